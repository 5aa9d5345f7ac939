#include "switchyard/agent/service_measurements.h"

namespace switchyard::agent {

void ServiceMeasurements::set_watch(const std::vector<protocol::ServiceKey>& watch) { watch_ = watch; }

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
    protocol::ServiceHealth health{key, false, 0, 0};
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

}  // namespace switchyard::agent
