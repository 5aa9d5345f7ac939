// What the engine's decisions look like from outside: TrafficSplits, status
// blocks and per-cluster assignments.
#include <algorithm>

#include "engine_impl.h"
#include "switchyard/core/parse.h"

namespace switchyard::core {
namespace {

// Keeps the condition's transition time unless its status changed
// (metav1.Condition semantics).
Condition carry_transition(const std::vector<Condition>& before, Condition next, TimeMs now) {
  next.last_transition_time = now;
  for (const auto& old : before) {
    if (old.type == next.type && old.status == next.status) next.last_transition_time = old.last_transition_time;
  }
  return next;
}

// Rule 1a's condition: False while a backend's checks fail, Unknown while
// one cannot be evaluated (Prometheus down, query error, no series: never
// moves traffic, so it is said here), else True.
Condition data_plane_condition(const Record& record, const FosStatus& status) {
  std::string failing, unknown;
  for (std::size_t b = 0; b < record.backings.size(); ++b) {
    const auto& shown = status.backing_services[b];
    if (!shown.data_plane) continue;
    const auto name = record.fos.spec.backing_services[b].to_string();
    if (record.backings[b].streak.failing) {
      failing += (failing.empty() ? "" : "; ") + name + " " + record.backings[b].failing_words;
    }
    if (record.backings[b].streak.last == CheckOutcome::Unknown) {
      unknown += (unknown.empty() ? "" : "; ") + name + ": " + shown.data_plane->message;
    }
  }
  const auto generation = record.observed_generation;
  if (!failing.empty()) {
    if (!unknown.empty()) failing += "; unknown: " + unknown;
    return {"DataPlaneHealthy", "False", generation, 0, "ChecksFailing", failing};
  }
  if (!unknown.empty()) return {"DataPlaneHealthy", "Unknown", generation, 0, "ChecksUnknown", unknown};
  return {"DataPlaneHealthy", "True", generation, 0, "ChecksPassing", "every backend passes its data-plane checks"};
}

}  // namespace

std::optional<TrafficSplit> Engine::traffic_split(RecordId id, std::size_t c) const {
  const auto& record = impl_->records[id];
  // An invalid record keeps serving its last valid decisions (frozen).
  if (c >= record.consumers.size()) return std::nullopt;
  const auto& consumer = record.consumers[c];
  // Observe mode: the route stays as it was last enforced.
  const auto& hold = consumer.observe_hold;
  if (!(hold ? hold->decided : consumer.decided)) return std::nullopt;
  const auto& spec = record.fos.spec;
  TrafficSplit split;
  split.api_version = spec.output_version;
  split.port = spec.output_port;  // the kind is the hub's choice per consumer (output_choice.h)
  split.namespace_name = spec.target_namespace;
  split.name = record.fos.key.name;
  split.owner = record.fos.key.namespace_name + "." + record.fos.key.name;
  split.apex_service = spec.service;
  if (hold) {
    for (const auto& held : hold->backends) split.backends.push_back({held.service, held.weight});
    return split;
  }
  for (std::size_t b = 0; b < record.backings.size(); ++b) {
    if (consumer.omitted[b]) continue;
    split.backends.push_back({consumer.backend_names[b], consumer.weights[b]});
  }
  return split;
}

FosStatus Engine::status(RecordId id, TimeMs now, const std::map<std::string, Revisions, std::less<>>& revisions) {
  auto& record = impl_->records[id];
  const auto& spec = record.fos.spec;
  FosStatus status;
  status.observed_generation = record.observed_generation;
  status.failover_count = record.failover_count;
  status.last_failover_time = record.last_failover_time;

  std::vector<Condition> conditions;
  if (!record.errors.empty()) {
    status.state = FosState::Invalid;
    status.message = describe(record.fos.key, record.errors);
    conditions.push_back({"Accepted", "False", record.observed_generation, 0, "InvalidSpec", status.message});
    conditions.push_back({"Ready", "False", record.observed_generation, 0, "InvalidSpec",
                          "no TrafficSplit is changed while the spec is invalid"});
  } else {
    bool any_no_healthy = false;
    bool any_failed_over = false;
    const ConsumerRuntime* headline = record.consumers.empty() ? nullptr : &record.consumers.front();
    for (const auto& consumer : record.consumers) {
      if (consumer.no_healthy) {
        if (!any_no_healthy) headline = &consumer;
        any_no_healthy = true;
      } else if (consumer.decided && consumer.active_priority != record.priorities.front()) {
        if (!any_failed_over && !any_no_healthy) headline = &consumer;
        any_failed_over = true;
      }
    }
    if (record.shown_frozen) {
      status.state = FosState::Frozen;
      status.message = "decisions frozen: more than half of the member clusters fell silent at once, so this hub is "
                       "more likely the one cut off; traffic stays as it is until they report again";
    } else if (any_no_healthy) {
      status.state = FosState::NoHealthyBackend;
    } else if (any_failed_over) {
      status.state = FosState::FailedOver;
    } else {
      status.state = FosState::Primary;
    }
    if (status.message.empty() && headline != nullptr) {
      const auto index = static_cast<std::size_t>(headline - record.consumers.data());
      status.message = consumer_message(record, index);
      if (record.consumers.size() > 1) status.message = spec.consumers[index] + ": " + status.message;
    }

    for (std::size_t b = 0; b < record.backings.size(); ++b) {
      const auto& backing = spec.backing_services[b];
      std::uint32_t weight = 0;
      for (const auto& consumer : record.consumers) {
        if (consumer.decided) weight = std::max(weight, consumer.weights[b]);
      }
      if (weight > 0) status.active.push_back({backing.cluster, backing.namespace_name, backing.name, weight});
      const auto& runtime = record.backings[b];
      status.backing_services.push_back({backing.cluster, backing.namespace_name, backing.name, runtime.display,
                                         runtime.display_ready, runtime.display_since, std::nullopt});
      if (const auto& policy = spec.data_plane_for(b); policy.any()) {
        const auto& sample = impl_->samples[runtime.service];
        status.backing_services.back().data_plane = evidence(policy, runtime.streak, sample ? &*sample : nullptr);
      }
    }

    std::vector<std::string> behind;
    for (std::size_t c = 0; c < record.consumers.size(); ++c) {
      const auto& consumer = record.consumers[c];
      ConsumerStatus shown;
      shown.cluster = spec.consumers[c];
      if (auto it = revisions.find(shown.cluster); it != revisions.end()) {
        shown.desired_revision = it->second.desired;
        shown.applied_revision = it->second.applied;
      }
      shown.in_sync = shown.desired_revision != 0 && shown.applied_revision == shown.desired_revision;
      if (!shown.in_sync) behind.push_back(shown.cluster);
      if (consumer.decided) {
        shown.active_priority = consumer.active_priority;
        shown.active_since = consumer.active_since;
      }
      for (std::size_t b = 0; b < record.backings.size(); ++b) {
        if (consumer.omitted[b]) shown.omitted_backends.push_back(spec.backing_services[b].to_string());
        if (consumer.decided && consumer.weights[b] > 0) {
          shown.active_backends.push_back(spec.backing_services[b].to_string());
        }
      }
      if (consumer.observe_hold && consumer.observe_hold->decided) shown.held_backends = consumer.observe_hold->backends;
      if (consumer.observe_hold && consumer.decided) {
        for (std::size_t b = 0; b < record.backings.size(); ++b) {
          if (!consumer.omitted[b]) shown.would_apply.push_back({spec.backing_services[b].to_string(), consumer.weights[b]});
        }
      }
      shown.message = consumer_message(record, c);
      status.consumers.push_back(std::move(shown));
    }

    conditions.push_back({"Accepted", "True", record.observed_generation, 0, "Valid",
                          "spec is valid and every cluster it names is a MemberCluster"});
    if (behind.empty()) {
      conditions.push_back({"Ready", "True", record.observed_generation, 0, "Applied",
                            "every consumer applied the current decision"});
    } else {
      std::string clusters;
      for (const auto& name : behind) clusters += (clusters.empty() ? "" : ", ") + name;
      conditions.push_back({"Ready", "False", record.observed_generation, 0, "Applying",
                            "waiting for " + clusters + " to apply the current decision"});
    }
    if (status.state == FosState::FailedOver) {
      conditions.push_back({"FailedOver", "True", record.observed_generation, 0, "FailedOver",
                            "traffic is not on the primary group"});
    } else if (status.state == FosState::Primary) {
      conditions.push_back({"FailedOver", "False", record.observed_generation, 0, "OnPrimary",
                            "traffic is on the primary group"});
    } else {
      conditions.push_back({"FailedOver", "Unknown", record.observed_generation, 0, to_string(status.state),
                            status.message});
    }
    if (spec.any_data_plane()) conditions.push_back(data_plane_condition(record, status));
  }
  append_override_conditions(record, conditions);
  for (auto& condition : conditions) {
    status.conditions.push_back(carry_transition(record.conditions, std::move(condition), now));
  }
  record.conditions = status.conditions;
  return status;
}

namespace {

// Sorted, one item per service: a service several FailoverServices watch is
// measured once, for all of their checks.
void merge_duplicate_watch_items(std::vector<ClusterAssignment::WatchItem>& watch) {
  const auto same_service = [](const ClusterAssignment::WatchItem& a, const ClusterAssignment::WatchItem& b) {
    return std::tie(a.namespace_name, a.name, a.role) == std::tie(b.namespace_name, b.name, b.role);
  };
  std::sort(watch.begin(), watch.end());
  std::vector<ClusterAssignment::WatchItem> merged;
  merged.reserve(watch.size());
  for (auto& item : watch) {
    if (merged.empty() || !same_service(merged.back(), item)) {
      merged.push_back(std::move(item));
      continue;
    }
    auto& kept = merged.back().measure;
    if (!kept) {
      kept = item.measure;
    } else if (item.measure) {
      kept = merge(*kept, *item.measure);
    }
  }
  watch = std::move(merged);
}

}  // namespace

ClusterAssignment Engine::assignment_for(std::string_view cluster_name) const {
  ClusterAssignment assignment;
  auto found = impl_->cluster_ids.find(std::string(cluster_name));
  if (found == impl_->cluster_ids.end()) return assignment;
  const auto cluster = found->second;
  for (const auto id : impl_->clusters[cluster].records) {
    const auto& record = impl_->records[id];
    if (!record.live) continue;
    const auto& spec = record.fos.spec;
    for (std::size_t b = 0; b < record.backings.size(); ++b) {
      if (record.backings[b].cluster == cluster) {
        std::optional<MeasureRequest> measure;
        if (spec.data_plane_for(b).any()) measure = measure_request(spec.data_plane_for(b));
        assignment.watch.push_back(
            {spec.backing_services[b].namespace_name, spec.backing_services[b].name, ServiceRole::Local, measure});
      }
    }
    for (std::size_t c = 0; c < record.consumers.size(); ++c) {
      const auto& consumer = record.consumers[c];
      if (consumer.cluster != cluster) continue;
      for (std::size_t b = 0; b < record.backings.size(); ++b) {
        if (consumer.mirrors[b] == kNoService) continue;
        assignment.watch.push_back(
            {spec.backing_services[b].namespace_name, consumer.backend_names[b], ServiceRole::Mirror,
             std::nullopt});
      }
      if (auto split = traffic_split(id, c)) assignment.splits.push_back(std::move(*split));
    }
  }
  merge_duplicate_watch_items(assignment.watch);
  std::sort(assignment.splits.begin(), assignment.splits.end(), [](const TrafficSplit& a, const TrafficSplit& b) {
    return std::tie(a.namespace_name, a.name) < std::tie(b.namespace_name, b.name);
  });
  return assignment;
}

std::vector<std::string> Engine::clusters_touched(const Change& change) const {
  const auto& record = impl_->records[change.record];
  std::set<std::string> clusters;
  if (change.spec_changed) {
    for (const auto& backing : record.fos.spec.backing_services) clusters.insert(backing.cluster);
    for (const auto& consumer : record.fos.spec.consumers) clusters.insert(consumer);
  }
  for (std::size_t c = 0; c < record.fos.spec.consumers.size() && c < 64; ++c) {
    if (change.splits_changed & (std::uint64_t{1} << c)) clusters.insert(record.fos.spec.consumers[c]);
  }
  return {clusters.begin(), clusters.end()};
}

}  // namespace switchyard::core
