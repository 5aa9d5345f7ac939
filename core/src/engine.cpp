#include <algorithm>

#include "engine_impl.h"
#include "switchyard/core/parse.h"

namespace switchyard::core {
namespace {

void append_unique(std::vector<RecordId>& list, RecordId id) {
  if (std::find(list.begin(), list.end(), id) == list.end()) list.push_back(id);
}

void erase_value(std::vector<RecordId>& list, RecordId id) {
  list.erase(std::remove(list.begin(), list.end(), id), list.end());
}

}  // namespace

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>()) { impl_->options = options; }

Engine::~Engine() = default;

ClusterId Engine::cluster_id(std::string_view cluster) { return impl_->intern_cluster(cluster); }

ServiceId Engine::service_id(ClusterId cluster, std::string_view namespace_name, std::string_view name,
                             ServiceRole role) {
  return impl_->intern_service(cluster, namespace_name, name, role);
}

ClusterId Engine::Impl::intern_cluster(std::string_view cluster) {
  auto& impl = *this;
  impl.key_buffer.assign(cluster);
  if (auto it = impl.cluster_ids.find(impl.key_buffer); it != impl.cluster_ids.end()) return it->second;
  const auto id = static_cast<ClusterId>(impl.clusters.size());
  ClusterState state;
  state.name = std::string(cluster);
  state.last_heard = impl.options.started_at;
  state.member = false;
  impl.clusters.push_back(std::move(state));
  impl.cluster_ids.emplace(std::string(cluster), id);
  return id;
}

ServiceId Engine::Impl::intern_service(ClusterId cluster, std::string_view namespace_name, std::string_view name,
                                       ServiceRole role) {
  auto& index = clusters[cluster].service_index;
  const auto hash = ServiceIndex::hash(namespace_name, name, role);
  const auto found = index.find(hash, [&](ServiceId id) {
    const auto& state = services[id];
    return state.role == role && state.name == name && state.namespace_name == namespace_name;
  });
  if (found != kNoService) return found;
  const auto id = static_cast<ServiceId>(services.size());
  ServiceState state;
  state.cluster = cluster;
  state.namespace_name = std::string(namespace_name);
  state.name = std::string(name);
  state.role = role;
  services.push_back(std::move(state));
  health.emplace_back();
  samples.emplace_back();
  index.insert(hash, id);
  clusters[cluster].services.push_back(id);
  return id;
}

void Engine::heard_from(ClusterId cluster, TimeMs now) {
  auto& state = impl_->clusters[cluster];
  // A silent member that reports changes the fleet count (rule 8).
  if (now - state.last_heard >= impl_->fleet_silent_after()) impl_->fleet_recount = true;
  state.last_heard = now;
  const bool first = !state.reported;
  state.reported = true;
  // A cluster coming back from silence (or reporting for the first time)
  // changes decisions; a heartbeat of a live cluster does not.
  if (state.seen_silent || first) {
    state.seen_silent = false;
    for (auto record : state.records) impl_->mark_dirty(record);
  }
}

void Engine::observe(ServiceId service, const Observation& observation) {
  auto& health = impl_->health[service];
  health.in_snapshot = true;
  if (health.reported && health.last == observation) return;
  if (!health.reported) ++impl_->clusters[impl_->services[service].cluster].reported_services;
  health.reported = true;
  health.last = observation;
  if (health.sole_record < kManyRecords) {
    impl_->mark_dirty(health.sole_record);
  } else if (health.sole_record == kManyRecords) {
    for (auto record : impl_->services[service].records) impl_->mark_dirty(record);
  }
}

void Engine::observe_data_plane(ServiceId service, std::optional<DataPlaneSample> sample) {
  auto& held = impl_->samples[service];
  if (held == sample) return;
  held = std::move(sample);
  // What status shows changed; the verdict only moves at the next evaluation.
  for (auto record : impl_->services[service].records) {
    impl_->records[record].status_dirty = true;
    impl_->mark_dirty(record);
  }
}

void Engine::data_plane_evaluated(ClusterId cluster) { impl_->advance_data_plane(cluster); }

void Engine::Impl::advance_data_plane(ClusterId cluster) {
  for (const auto id : clusters[cluster].records) {
    auto& record = records[id];
    if (!record.live || !record.errors.empty()) continue;
    for (std::size_t b = 0; b < record.backings.size(); ++b) {
      auto& backing = record.backings[b];
      const auto& policy = record.fos.spec.data_plane_for(b);
      if (!policy.any() || backing.cluster != cluster || backing.service == kNoService) continue;
      const auto& sample = samples[backing.service];
      const auto* measured = sample ? &*sample : nullptr;
      const auto before = backing.streak;
      if (advance(backing.streak, judge(policy, measured), policy)) {
        backing.failing_words = backing.streak.failing ? describe(policy, measured) : std::string();
      }
      if (backing.streak != before) {
        record.status_dirty = true;
        mark_dirty(id);
      }
    }
  }
}

void Engine::begin_snapshot(ClusterId cluster) {
  for (const auto service : impl_->clusters[cluster].services) impl_->health[service].in_snapshot = false;
}

void Engine::end_snapshot(ClusterId cluster) {
  auto& state = impl_->clusters[cluster];
  for (const auto service : state.services) {
    auto& health = impl_->health[service];
    if (health.in_snapshot || !health.reported) continue;
    // Not in the agent's full snapshot: it no longer measures the service.
    health.reported = false;
    health.last = {};
    --state.reported_services;
    for (auto record : impl_->services[service].records) impl_->mark_dirty(record);
  }
}

std::size_t Engine::reported_services(ClusterId cluster) const { return impl_->clusters[cluster].reported_services; }

void Engine::set_drain(ClusterId cluster, std::optional<Drain> drain, Undrain undrain) {
  auto& state = impl_->clusters[cluster];
  // Only drained or not moves traffic; who asked and why are words.
  const bool moves = state.drain.has_value() != drain.has_value();
  state.undrained_now = state.drain && !drain && undrain == Undrain::Now;
  if (state.undrained_now) impl_->undrained_now.push_back(cluster);
  state.drain = std::move(drain);
  if (moves) {
    for (auto record : state.records) impl_->mark_dirty(record);
  }
}

const std::optional<Drain>& Engine::drain(ClusterId cluster) const { return impl_->clusters[cluster].drain; }

void Engine::Impl::mark_dirty(RecordId id) {
  // A record removed meanwhile is skipped by evaluate().
  if (queued[id]) return;
  queued[id] = 1;
  dirty.push_back(id);
}

void Engine::Impl::sum_up_records(ServiceId service) {
  const auto& list = services[service].records;
  health[service].sole_record = list.empty() ? kNoRecord : list.size() == 1 ? list.front() : kManyRecords;
}

void Engine::set_member_clusters(const std::set<std::string, std::less<>>& names, TimeMs now) {
  if (names == members_) return;
  members_ = names;
  impl_->fleet_recount = true;
  for (auto& cluster : impl_->clusters) cluster.member = members_.count(cluster.name) != 0;
  for (const auto& name : members_) impl_->clusters[impl_->intern_cluster(name)].member = true;
  // Membership decides validity: recompile every FailoverService.
  for (RecordId id = 0; id < impl_->records.size(); ++id) {
    const auto& record = impl_->records[id];
    if (!record.live || record.unparsable) continue;
    const auto latest = record.latest;
    upsert(latest, std::nullopt, now);
  }
}

RecordId Engine::upsert(const FailoverService& fos, const std::optional<FosStatus>& recorded, TimeMs now) {
  auto& impl = *impl_;
  RecordId id;
  bool known = false;
  if (auto it = impl.record_ids.find(fos.key); it != impl.record_ids.end()) {
    id = it->second;
    known = true;
    impl.detach(id);
    impl.count_threshold(impl.records[id], false);
  } else if (!impl.free_records.empty()) {
    id = impl.free_records.back();
    impl.free_records.pop_back();
    impl.record_ids[fos.key] = id;
  } else {
    id = static_cast<RecordId>(impl.records.size());
    impl.records.emplace_back();
    impl.queued.push_back(0);
    impl.record_ids[fos.key] = id;
  }
  auto& record = impl.records[id];
  Record previous = known ? std::move(record) : Record{};
  auto errors = validate_failover_service(fos, members_);
  if (!errors.empty()) {
    // An invalid spec changes no TrafficSplit anywhere: a FailoverService
    // that was valid keeps its last decisions (frozen) until it is fixed.
    record = previous.errors.empty() && known ? std::move(previous) : Record{};
    if (!record.live) record.fos = fos;
    record.live = true;
    record.errors = std::move(errors);
    record.observed_generation = fos.generation;
    record.status_dirty = true;
    record.spec_changed = true;
    record.pending_events.push_back({DecisionEventKind::InvalidSpec, "InvalidSpec",
                                     describe(fos.key, record.errors), true});
    record.latest = fos;
    record.unparsable = false;
    impl.attach(id);
    impl.count_threshold(record, true);
    impl.mark_dirty(id);
    return id;
  }
  // Decisions and counters survive a spec update of the same object when the
  // backing services and consumers are the same; otherwise they start over.
  record = Record{};
  record.live = true;
  record.fos = fos;
  record.latest = fos;
  record.observed_generation = fos.generation;
  record.failover_count = previous.failover_count;
  record.last_failover_time = previous.last_failover_time;
  record.conditions = previous.conditions;
  record.spec_changed = true;
  record.status_dirty = true;
  impl.compile(record, recorded, now);
  const bool same_backings = known && previous.errors.empty() &&
                             previous.fos.spec.backing_services == fos.spec.backing_services &&
                             previous.fos.spec.consumers == fos.spec.consumers;
  if (same_backings) {
    for (std::size_t c = 0; c < record.consumers.size(); ++c) {
      auto& now_consumer = record.consumers[c];
      auto& before = previous.consumers[c];  // `previous` is dropped after this
      now_consumer.decided = before.decided;
      now_consumer.active_priority = before.active_priority;
      now_consumer.active_since = before.active_since;
      now_consumer.weights = before.weights;
      now_consumer.omitted = before.omitted;
      now_consumer.usable_since = before.usable_since;
      now_consumer.no_healthy = before.no_healthy;
      // A decision resumed from status stays resumed across a recompile
      // (a MemberCluster added, a spec edit): its holding rules still apply.
      now_consumer.restored = before.restored;
      now_consumer.recorded_message = std::move(before.recorded_message);
      now_consumer.before_silence = std::move(before.before_silence);
      now_consumer.observe_hold = before.observe_hold;
      now_consumer.pin_shown = before.pin_shown;
      now_consumer.pin_backing = before.pin_backing;
    }
    for (std::size_t b = 0; b < record.backings.size(); ++b) {
      record.backings[b].restored_healthy = previous.backings[b].restored_healthy;
      record.backings[b].display = previous.backings[b].display;
      record.backings[b].display_since = previous.backings[b].display_since;
      record.backings[b].display_ready = previous.backings[b].display_ready;
      record.backings[b].streak = previous.backings[b].streak;
      record.backings[b].failing_words = previous.backings[b].failing_words;
    }
  }
  // spec.mode Observe holds each consumer's route as it was enforced: as
  // this hub last routed that consumer (whatever the spec edit), as status
  // recorded it (compile), or none for a FailoverService new to this hub
  // and never enforced. Enforce applies at once.
  for (auto& consumer : record.consumers) {
    if (fos.spec.mode == Mode::Enforce) {
      consumer.observe_hold.reset();
      continue;
    }
    if (consumer.observe_hold) continue;
    consumer.observe_hold = ConsumerRuntime::Routed{};
    for (std::size_t c = 0; c < previous.consumers.size(); ++c) {
      if (previous.consumers[c].cluster == consumer.cluster) consumer.observe_hold = routed(previous, c);
    }
  }
  impl.attach(id);
  impl.count_threshold(record, true);
  impl.mark_dirty(id);
  return id;
}

RecordId Engine::upsert_unparsable(const ObjectKey& key, std::int64_t generation, std::vector<FieldError> errors,
                                   TimeMs now) {
  // An empty spec is invalid whatever the fleet: upsert keeps any previous
  // decisions frozen, and the parse errors replace the validation ones.
  FailoverService placeholder;
  placeholder.key = key;
  placeholder.generation = generation;
  const auto id = upsert(placeholder, std::nullopt, now);
  auto& record = impl_->records[id];
  record.errors = std::move(errors);
  record.unparsable = true;
  record.pending_events.clear();
  record.pending_events.push_back({DecisionEventKind::InvalidSpec, "InvalidSpec", describe(key, record.errors), true});
  return id;
}

std::vector<std::string> Engine::remove(const ObjectKey& key) {
  auto& impl = *impl_;
  auto it = impl.record_ids.find(key);
  if (it == impl.record_ids.end()) return {};
  const auto id = it->second;
  auto& record = impl.records[id];
  std::set<std::string> clusters;
  for (const auto& consumer : record.consumers) clusters.insert(impl.clusters[consumer.cluster].name);
  for (const auto& backing : record.backings) clusters.insert(impl.clusters[backing.cluster].name);
  impl.detach(id);
  impl.count_threshold(record, false);
  record = Record{};
  impl.record_ids.erase(it);
  impl.free_records.push_back(id);
  return {clusters.begin(), clusters.end()};
}

std::optional<RecordId> Engine::find(const ObjectKey& key) const {
  auto it = impl_->record_ids.find(key);
  if (it == impl_->record_ids.end()) return std::nullopt;
  return it->second;
}

void Engine::Impl::attach(RecordId id) {
  auto& record = records[id];
  for (const auto& backing : record.backings) {
    append_unique(services[backing.service].records, id);
    sum_up_records(backing.service);
    append_unique(clusters[backing.cluster].records, id);
  }
  for (const auto& consumer : record.consumers) {
    append_unique(clusters[consumer.cluster].records, id);
    for (auto mirror : consumer.mirrors) {
      if (mirror == kNoService) continue;
      append_unique(services[mirror].records, id);
      sum_up_records(mirror);
    }
  }
}

void Engine::Impl::detach(RecordId id) {
  auto& record = records[id];
  for (const auto& backing : record.backings) {
    erase_value(services[backing.service].records, id);
    sum_up_records(backing.service);
    erase_value(clusters[backing.cluster].records, id);
  }
  for (const auto& consumer : record.consumers) {
    erase_value(clusters[consumer.cluster].records, id);
    for (auto mirror : consumer.mirrors) {
      if (mirror == kNoService) continue;
      erase_value(services[mirror].records, id);
      sum_up_records(mirror);
    }
  }
}

void Engine::Impl::count_threshold(const Record& record, bool add) {
  if (!record.live || !record.errors.empty()) return;
  const auto threshold = seconds_ms(record.fos.spec.health.unknown_after_seconds);
  auto& count = unknown_thresholds[threshold];
  count += add ? 1 : -1;
  if (count == 0) unknown_thresholds.erase(threshold);
  fleet_recount = true;
}

TimeMs Engine::Impl::fleet_silent_after() const {
  return unknown_thresholds.empty() ? options.fleet_silent_after_ms : unknown_thresholds.begin()->first;
}

TimeMs Engine::fleet_silent_after() const { return impl_->fleet_silent_after(); }

bool Engine::silent(ClusterId cluster) const { return impl_->clusters[cluster].seen_silent; }

void Engine::evaluate(TimeMs now, std::vector<Change>& out) {
  out.clear();
  auto& impl = *impl_;
  while (!impl.wakes.empty() && impl.wakes.top().first <= now) {
    const auto [at, id] = impl.wakes.top();
    impl.wakes.pop();
    if (impl.records[id].scheduled_wake == at) impl.records[id].scheduled_wake = kNever;
    impl.mark_dirty(id);
  }

  // Rule 8: more than half of the members silent at once -> freeze. The
  // count can only change when a silent cluster reports (heard_from), when
  // membership changes, or when time reaches a member's silence deadline,
  // so a batch of reports from live clusters does not recount the fleet.
  bool frozen = frozen_;
  if (impl.fleet_recount || now >= impl.fleet_next_recount) {
    std::size_t members = 0;
    std::size_t silent = 0;
    impl.fleet_recount = false;
    impl.fleet_next_recount = INT64_MAX;
    const auto silent_after = impl.fleet_silent_after();
    for (const auto& cluster : impl.clusters) {
      if (!cluster.member) continue;
      ++members;
      const auto deadline = cluster.last_heard + silent_after;
      if (now >= deadline) {
        ++silent;
      } else {
        impl.fleet_next_recount = std::min(impl.fleet_next_recount, deadline);
      }
    }
    frozen = members > 0 && silent * 2 > members;
  }
  if (frozen != frozen_) {
    frozen_ = frozen;
    for (RecordId id = 0; id < impl.records.size(); ++id) impl.mark_dirty(id);
  }

  // Deciding may mark nothing new, so the list is taken whole (both lists
  // keep their capacity: evaluating allocates nothing).
  auto& batch = impl.deciding;
  batch.clear();
  batch.swap(impl.dirty);
  for (auto id : batch) impl.prefetch(impl.records[id]);
  for (auto id : batch) {
    impl.queued[id] = 0;
    auto& record = impl.records[id];
    if (!record.live) continue;
    const auto wake = record.errors.empty() ? impl.decide(record, now, frozen_) : kNever;
    if (!record.errors.empty() && !record.status_dirty && !record.spec_changed && record.pending_events.empty()) {
      continue;
    }
    if (wake != kNever) impl.schedule(id, wake);
    if (record.status_dirty || record.splits_dirty != 0 || record.spec_changed || !record.pending_events.empty()) {
      Change change;
      change.record = id;
      change.spec_changed = record.spec_changed;
      change.status_changed = record.status_dirty;
      change.splits_changed = record.splits_dirty;
      change.events = std::move(record.pending_events);
      record.pending_events.clear();
      record.status_dirty = false;
      record.splits_dirty = 0;
      record.spec_changed = false;
      out.push_back(std::move(change));
    }
  }
  // An undrain --now skips the delay once: in the decisions just made.
  // Frozen, nothing was decided (rule 8), so it waits for the thaw.
  if (!frozen_) {
    for (const auto id : impl.undrained_now) impl.clusters[id].undrained_now = false;
    impl.undrained_now.clear();
  }
}

std::optional<TimeMs> Engine::next_deadline(TimeMs now) const {
  std::optional<TimeMs> next;
  if (!impl_->wakes.empty()) next = std::max(impl_->wakes.top().first, now + 1);
  // The fleet freeze can begin with no FailoverService due: when the
  // member that would tip the count falls silent.
  const auto silent_after = impl_->fleet_silent_after();
  for (const auto& cluster : impl_->clusters) {
    if (!cluster.member) continue;
    const auto at = cluster.last_heard + silent_after;
    if (at > now && (!next || at < *next)) next = at;
  }
  return next;
}

const ObjectKey& Engine::key_of(RecordId record) const { return impl_->records[record].fos.key; }

std::size_t Engine::consumer_count(RecordId record) const { return impl_->records[record].consumers.size(); }

const std::string& Engine::consumer_cluster(RecordId record, std::size_t consumer) const {
  return impl_->records[record].fos.spec.consumers[consumer];
}

std::size_t Engine::record_count() const { return impl_->record_ids.size(); }

}  // namespace switchyard::core
