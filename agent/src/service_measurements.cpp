#include "switchyard/agent/service_measurements.h"

#include <algorithm>

namespace switchyard::agent {

void ServiceMeasurements::set_watch(const std::vector<protocol::ServiceKey>& watch,
                                    const std::map<protocol::ServiceKey, protocol::DataPlaneChecks>& checks) {
  watch_ = watch;
  checks_ = checks;
}

void ServiceMeasurements::service_present(const std::string& namespace_name, const std::string& name) {
  services_.emplace(namespace_name, name);
}

void ServiceMeasurements::service_gone(const std::string& namespace_name, const std::string& name) {
  services_.erase({namespace_name, name});
}

void ServiceMeasurements::slice_present(EndpointSlice slice) {
  const Name slice_key{slice.namespace_name, slice.name};
  slice_gone(slice_key.first, slice_key.second);
  if (!slice.service_name.empty()) {
    slices_by_service_[{slice.namespace_name, slice.service_name}].insert(slice.name);
  }
  slices_.emplace(slice_key, std::move(slice));
}

void ServiceMeasurements::slice_gone(const std::string& namespace_name, const std::string& slice_name) {
  auto it = slices_.find({namespace_name, slice_name});
  if (it == slices_.end()) return;
  const Name service{namespace_name, it->second.service_name};
  if (auto owner = slices_by_service_.find(service); owner != slices_by_service_.end()) {
    owner->second.erase(slice_name);
    if (owner->second.empty()) slices_by_service_.erase(owner);
  }
  slices_.erase(it);
}

std::map<protocol::ServiceKey, protocol::ServiceHealth> ServiceMeasurements::measure() const {
  std::map<protocol::ServiceKey, protocol::ServiceHealth> measured;
  for (const auto& key : watch_) {
    protocol::ServiceHealth health{key, false, 0, 0, std::nullopt};
    const Name service{key.namespace_name, key.name};
    if (services_.count(service) != 0) {
      health.exists = true;
      std::vector<const EndpointSlice*> slices;
      if (auto owned = slices_by_service_.find(service); owned != slices_by_service_.end()) {
        for (const auto& slice_name : owned->second) slices.push_back(&slices_.at({key.namespace_name, slice_name}));
      }
      const auto count = count_endpoints(slices);
      health.ready_endpoints = count.ready;
      health.total_endpoints = count.total;
    }
    measured.emplace(key, health);
  }
  return measured;
}

std::string workload_of_pod(const std::string& pod) {
  const auto alnum = [](std::string_view part) {
    return std::all_of(part.begin(), part.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
  };
  const auto last = pod.rfind('-');
  if (last == std::string::npos || last == 0) return {};
  const auto hash = pod.rfind('-', last - 1);
  if (hash == std::string::npos || hash == 0) return {};
  const std::string_view suffix(pod.data() + last + 1, pod.size() - last - 1);
  const std::string_view template_hash(pod.data() + hash + 1, last - hash - 1);
  if (suffix.size() != 5 || !alnum(suffix) || template_hash.size() < 6 || template_hash.size() > 10 ||
      !alnum(template_hash)) {
    return {};
  }
  return pod.substr(0, hash);
}

std::vector<WatchedWorkload> ServiceMeasurements::workloads() const {
  std::vector<WatchedWorkload> out;
  for (const auto& key : watch_) {
    const Name service{key.namespace_name, key.name};
    if (key.role != protocol::ServiceRole::Local || services_.count(service) == 0) continue;
    const auto owned = slices_by_service_.find(service);
    if (owned == slices_by_service_.end()) continue;
    std::map<std::string, std::size_t> votes;
    for (const auto& slice_name : owned->second) {
      for (const auto& endpoint : slices_.at({key.namespace_name, slice_name}).endpoints) {
        if (auto workload = workload_of_pod(endpoint.pod); !workload.empty()) ++votes[workload];
      }
    }
    if (votes.empty()) continue;
    // Most pods win; a tie goes to the first name, so the choice is stable.
    const auto best = std::max_element(votes.begin(), votes.end(),
                                       [](const auto& a, const auto& b) { return a.second < b.second; });
    std::optional<protocol::DataPlaneChecks> checks;
    if (const auto asked = checks_.find(key); asked != checks_.end()) checks = asked->second;
    out.push_back({key.namespace_name, key.name, best->first, std::move(checks)});
  }
  return out;
}

}  // namespace switchyard::agent
