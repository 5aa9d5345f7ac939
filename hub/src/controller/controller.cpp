#include "switchyard/hub/controller.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <tuple>

#include "switchyard/core/status.h"
#include "switchyard/core/http_route.h"
#include "switchyard/core/traffic_split.h"
#include "switchyard/protocol/codec.h"
#include "switchyard/telemetry/log.h"

namespace switchyard::hub {
namespace {

constexpr const char* kApiVersion = "switchyard.io/v1alpha1";

core::ServiceRole core_role(protocol::ServiceRole role) {
  return role == protocol::ServiceRole::Local ? core::ServiceRole::Local : core::ServiceRole::Mirror;
}

// The report's data-plane measurement as the core's sample (nothing: none).
std::optional<core::DataPlaneSample> data_plane_sample(const protocol::ServiceHealth& service) {
  if (!service.data_plane) return std::nullopt;
  const auto& measured = *service.data_plane;
  return core::DataPlaneSample{measured.request_rate,         measured.success_rate,
                               measured.latency_ms,           measured.queries,
                               measured.error,                measured.latency_within_share,
                               measured.latency_within_ms};
}

// A route's identity on the wire: a TrafficSplit by namespace/name (as a hub
// before HTTPRoutes named it, so its agent removes it under the version it
// was assigned), an HTTPRoute with its apiVersion, since a consumer moving
// between outputs holds both under one name.
protocol::SplitName route_name_of(const core::TrafficSplit& route) {
  return {route.namespace_name, route.name,
          route.kind == core::RouteKind::TrafficSplit ? std::string() : core::api_version_string(route)};
}

std::string secret_id(const std::string& namespace_name, const std::string& name) {
  return namespace_name + "/" + name;
}

// A status as a digest: the controller only asks whether what it would
// write equals what it wrote or saw last, and keeping each FailoverService's
// status JSON for that was 19 MB of the hub's heap at 10,000 of them
// (docs/benchmarks.md). Length and a 64-bit hash: two different statuses of
// one object collide with odds of about 2^-64.
struct StatusDigest {
  std::size_t length = 0;
  std::size_t hash = 0;
  static StatusDigest of(std::string_view json) { return {json.size(), std::hash<std::string_view>{}(json)}; }
  bool operator==(const StatusDigest&) const = default;
};

}  // namespace

struct Controller::FosEntry {
  core::ObjectKey key;
  std::string uid;
  std::int64_t generation = 0;
  bool spec_moved = false;             // a new generation: its watches may differ in every consumer
  std::vector<std::string> consumers;  // clusters whose revisions its status shows
  // Each consumer's TrafficSplit as this hub last decided it; a consumer not
  // listed has not been decided by this hub yet.
  std::map<std::string, std::optional<core::TrafficSplit>, std::less<>> splits;
  std::set<std::string, std::less<>> restored;  // consumers whose revisions came from the recorded status
  std::vector<std::string> clusters;   // every cluster its spec names (backing services and consumers)
  // Its status was recorded by a previous hub and this hub has not written
  // it yet: it stands until every cluster named has reported or timed out.
  bool resumed = false;
  std::optional<core::FailoverSpec> spec;  // the valid spec, for the output choice
  // Per consumer: which route objects are written there (route_outputs.h).
  std::map<std::string, ConsumerOutput, std::less<>> outputs;
  // Per consumer, status.consumers[].output as a previous hub recorded it:
  // what the consumer holds until this hub chooses (no flip on restart).
  std::map<std::string, std::string, std::less<>> recorded_outputs;
  StatusDigest last_status = StatusDigest::of("");  // as last written, or as last observed in the object
  std::optional<core::FosState> last_state;
};

struct Controller::MemberEntry {
  std::string uid;
  std::int64_t generation = 0;
  std::optional<SecretRef> token_ref;
  MemberStatusView view;                    // what this hub believes now
  std::optional<MemberStatusView> written;  // as last written, or as observed in the object
  bool known = false;     // view.connected is this hub's own judgement (heard, or timed out)
  TimeMs last_heard = 0;  // hub receive time of the last report; 0: none since this hub started
  TimeMs connected_since = 0;
  core::ClusterId engine_id = 0;  // resolved once: a report looks up only its services' names
  std::vector<std::string> apply_errors;  // as the agent last reported them
  TimeMs token_conflict_since = 0;
  bool status_due = false;
  // Rule 1a: the data-plane evaluation round last counted, of which agent
  // process (a restarted agent numbers from 1 again).
  std::string data_plane_agent;
  std::uint64_t data_plane_evaluation = 0;
  // The route APIs its agent said the cluster serves; nothing until a full
  // report since this hub started (output_choice.h).
  std::optional<core::ServedOutputs> served;
  std::optional<core::OutputKind> output_default;  // spec.output
};

// One FailoverService's own revisions in one consumer cluster: the cluster
// revision at which its TrafficSplit (or watch list) there last changed, so
// that another FailoverService's change moves nothing in its status.
struct Controller::ConsumerRevision {
  std::int64_t desired = 0;
  std::int64_t recorded_applied = 0;  // shown until this hub hears the cluster's agent
};

struct Controller::ClusterPublication {
  std::int64_t revision = 0;  // last published (or, before that, the highest recorded in status)
  bool published = false;
  core::ClusterAssignment current;
  std::int64_t applied = 0;
  bool applied_heard = false;  // `applied` comes from a report to this hub
  std::map<core::ObjectKey, ConsumerRevision> consumers;  // FailoverServices consuming this cluster
  // The same, by desired revision: an applied revision that moves from A to B
  // changes the in-sync state of exactly those wanting a revision in (A, B].
  std::set<std::pair<std::int64_t, core::ObjectKey>> by_desired;
  std::set<core::ObjectKey> changed;  // consumers whose split or watches here changed since the last publish
  // FailoverServices whose split here the engine re-derived since the last
  // publish: a publish without a spec change updates only these.
  std::set<core::ObjectKey> touched;
  EncodedSplits split_json;             // current.splits encoded, in the same order
  std::string watch_json;               // current.watch encoded

  // What a FailoverService's status shows as applied here: the agent's
  // revision, capped at the one that FailoverService wants.
  [[nodiscard]] std::int64_t shown_applied(const ConsumerRevision& revision) const {
    return std::min(applied_heard ? applied : revision.recorded_applied, revision.desired);
  }
  [[nodiscard]] bool in_sync(const ConsumerRevision& revision) const {
    return revision.desired != 0 && shown_applied(revision) == revision.desired;
  }
  void set_desired(const core::ObjectKey& key, std::int64_t desired, std::int64_t recorded_applied) {
    auto& revision = consumers[key];
    by_desired.erase({revision.desired, key});
    revision.desired = desired;
    revision.recorded_applied = recorded_applied;
    by_desired.insert({desired, key});
  }
  void forget(const core::ObjectKey& key) {
    if (auto found = consumers.find(key); found != consumers.end()) {
      by_desired.erase({found->second.desired, key});
      consumers.erase(found);
    }
  }
};

Controller::Controller(ControllerOptions options, ControllerOutputs outputs)
    : options_(options),
      out_(outputs),
      engine_(core::EngineOptions{options.started_at, core::seconds_ms(40)}) {}

Controller::~Controller() = default;

void Controller::failover_service_changed(const FailoverServiceObject& object, TimeMs now) {
  auto& entry = services_[object.key];
  entry.key = object.key;
  const bool known = engine_.find(object.key).has_value();
  // metadata.generation moves with the spec only: an update at the same
  // generation of the same object changed its status (often the echo of our
  // own write), and re-compiling it would re-derive every consumer's whole
  // assignment for nothing.
  const bool same_spec = known && entry.uid == object.uid && entry.generation == object.generation;
  if (known && entry.generation != object.generation) entry.spec_moved = true;
  entry.generation = object.generation;
  entry.uid = object.uid;
  if (!same_spec && object.spec.ok()) {
    engine_.upsert(*object.spec.value, known ? std::nullopt : object.recorded, now);
    const auto& spec = object.spec.value->spec;
    entry.spec = spec;
    set_consumers(entry, spec.consumers);
    std::set<std::string> clusters(spec.consumers.begin(), spec.consumers.end());
    for (const auto& backing : spec.backing_services) clusters.insert(backing.cluster);
    entry.clusters.assign(clusters.begin(), clusters.end());
  } else if (!same_spec) {
    engine_.upsert_unparsable(object.key, object.generation, object.spec.errors, now);
    entry.spec.reset();
    set_consumers(entry, {});
    entry.clusters.clear();
  }
  if (!known && object.recorded) entry.resumed = true;
  if (!known && object.recorded) {
    // Resume revision numbering above what the previous hub published, so an
    // agent that applied revision N never mistakes a new assignment for it.
    // Its own revisions are resumed too, so a restart alone rewrites no status.
    for (const auto& consumer : object.recorded->consumers) {
      auto& publication = clusters_[consumer.cluster];
      if (!publication.published) publication.revision = std::max(publication.revision, consumer.desired_revision);
      if (consumer.desired_revision == 0) continue;
      publication.set_desired(object.key, consumer.desired_revision, consumer.applied_revision);
      entry.restored.insert(consumer.cluster);
    }
    for (const auto& consumer : object.recorded->consumers) {
      if (!consumer.output.empty()) entry.recorded_outputs[consumer.cluster] = consumer.output;
    }
  }
  if (!same_spec) {
    // Consumers no longer named keep no output state; the named ones choose again.
    for (auto it = entry.outputs.begin(); it != entry.outputs.end();) {
      if (std::find(entry.consumers.begin(), entry.consumers.end(), it->first) == entry.consumers.end()) {
        moving_[it->first].erase(object.key);
        unavailable_.erase({object.key, it->first});
        it = entry.outputs.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& consumer : entry.consumers) choose_output_for(entry, consumer, now);
  }
  if (const auto observed = StatusDigest::of(object.recorded_json); observed != entry.last_status) {
    // Someone else's write, or an echo of an older one of ours: re-derive and
    // write again only if ours differs from it.
    entry.last_status = observed;
    status_due_.insert(object.key);
  }
}

void Controller::failover_service_deleted(const core::ObjectKey& key) {
  for (auto& cluster : engine_.remove(key)) {
    rederive_.insert(cluster);
    republish_.insert(std::move(cluster));
  }
  if (auto entry = services_.find(key); entry != services_.end()) {
    for (const auto& consumer : entry->second.consumers) forget_consumer(consumer, key);
    set_consumers(entry->second, {});
    for (const auto& consumer : entry->second.restored) forget_consumer(consumer, key);
    for (const auto& [consumer, output] : entry->second.outputs) {
      moving_[consumer].erase(key);
      unavailable_.erase({key, consumer});
    }
  }
  services_.erase(key);
  status_due_.erase(key);
}

void Controller::member_cluster_changed(const MemberClusterObject& object, TimeMs now) {
  auto [it, inserted] = members_.try_emplace(object.name);
  auto& entry = it->second;
  if (inserted) entry.engine_id = engine_.cluster_id(object.name);
  entry.uid = object.uid;
  entry.generation = object.generation;
  if (inserted && object.recorded) {
    entry.view = *object.recorded;
    entry.connected_since = object.connected_since_ms;
  }
  if (object.recorded != entry.written) {
    entry.written = object.recorded;
    entry.status_due = true;
  }
  if (!object.problem.empty()) log::warn("no agent may speak for this cluster", {{"error", object.problem}});
  if (entry.token_ref != object.token_ref || inserted) {
    entry.token_ref = object.token_ref;
    refresh_token(object.name);
  }
  drain_changed(object, entry);
  if (entry.output_default != object.output) {
    // Also on a MemberCluster seen after the FailoverServices consuming it.
    entry.output_default = object.output;
    choose_outputs_in(object.name, now);
  }
  if (inserted) {
    std::set<std::string, std::less<>> names;
    for (const auto& [name, member] : members_) names.insert(name);
    engine_.set_member_clusters(names, now);
    rederive_.insert(object.name);
    republish_.insert(object.name);
  }
}

// spec.drain is read like any other fact (core/overrides.h); said where users
// look: an Event on the MemberCluster and status.drained, with who asked as
// Kubernetes records it (the field manager of spec.drain in managedFields:
// a controller never sees the user of an update).
void Controller::drain_changed(const MemberClusterObject& object, MemberEntry& entry) {
  if (!object.drain_problem.empty()) log::warn("malformed spec.drain counts as a drain", {{"error", object.drain_problem}});
  if (object.drain == engine_.drain(entry.engine_id)) return;
  const bool was_drained = engine_.drain(entry.engine_id).has_value();
  engine_.set_drain(entry.engine_id, object.drain, object.undrain);
  entry.view.drained = object.drain ? core::describe_drain(*object.drain) : "";
  entry.status_due = true;
  const EventSubject subject{kApiVersion, "MemberCluster", "", object.name, object.uid};
  if (object.drain) {
    out_.events.record(subject, false, was_drained ? "DrainUpdated" : "Drained",
                       "cluster " + object.name + " " + entry.view.drained +
                           "; its backends carry no traffic in any consumer");
  } else {
    const bool at_once = object.undrain == core::Undrain::Now;
    out_.events.record(subject, false, "Undrained",
                       "cluster " + object.name +
                           (at_once ? " undrained with " + std::string(core::kUndrainNowAnnotation) + ": " +
                                          core::kUndrainNowValue + "; traffic returns at once, without the failback delay"
                                    : " undrained; traffic returns after each FailoverService's failback delay"));
  }
  log::info("drain changed", {{"cluster", object.name}, {"drain", entry.view.drained}});
}

void Controller::member_cluster_deleted(const std::string& name, TimeMs now) {
  if (members_.erase(name) == 0) return;
  out_.tokens.remove(name);
  tokens_changed_ = true;
  out_.sessions.forget(name);
  out_.board.remove(name);
  clusters_.erase(name);
  held_.erase(name);
  republish_.erase(name);
  rederive_.erase(name);
  std::set<std::string, std::less<>> names;
  for (const auto& [member_name, member] : members_) names.insert(member_name);
  engine_.set_member_clusters(names, now);
}

void Controller::secret_changed(const SecretObject& secret) {
  secrets_[secret_id(secret.namespace_name, secret.name)] = secret.data;
  for (const auto& [name, member] : members_) {
    if (member.token_ref && member.token_ref->namespace_name == secret.namespace_name &&
        member.token_ref->name == secret.name) {
      refresh_token(name);
    }
  }
}

void Controller::secret_deleted(const std::string& namespace_name, const std::string& name) {
  secrets_.erase(secret_id(namespace_name, name));
  for (const auto& [cluster, member] : members_) {
    if (member.token_ref && member.token_ref->namespace_name == namespace_name && member.token_ref->name == name) {
      refresh_token(cluster);
    }
  }
}

void Controller::refresh_token(const std::string& cluster) {
  const auto& member = members_.at(cluster);
  std::string token;
  if (member.token_ref) {
    auto secret = secrets_.find(secret_id(member.token_ref->namespace_name, member.token_ref->name));
    if (secret != secrets_.end()) {
      if (auto value = secret->second.find(member.token_ref->key); value != secret->second.end()) {
        token = value->second;
      }
    }
  }
  // An empty token removes the entry: a missing Secret lets no agent in.
  out_.tokens.set_token(cluster, token);
  tokens_changed_ = true;
}

void Controller::note_token_conflicts(TimeMs now) {
  tokens_changed_ = false;
  const auto sharing = out_.tokens.sharing();
  for (auto& [name, member] : members_) {
    std::string message;
    if (auto found = sharing.find(name); found != sharing.end()) {
      std::string others;
      for (const auto& other : found->second) others += (others.empty() ? "" : ", ") + other;
      const auto& ref = *member.token_ref;  // only a set token can be shared
      message = "the agent token in Secret " + ref.namespace_name + "/" + ref.name + " key " + ref.key +
                " is also the token of MemberCluster " + others +
                ": it authenticates none of them until each cluster has its own";
    }
    if (message == member.view.token_conflict) {
      // Recorded before this hub started: shown as of now, not 1970.
      if (!message.empty() && member.token_conflict_since == 0) member.token_conflict_since = now;
      continue;
    }
    const bool was = !member.view.token_conflict.empty();
    member.view.token_conflict = message;
    member.token_conflict_since = now;
    member.status_due = true;
    const EventSubject subject{kApiVersion, "MemberCluster", "", name, member.uid};
    if (!message.empty()) {
      out_.events.record(subject, true, "TokenShared", message);
      log::warn("agent token shared by more than one cluster; refused for each", {{"cluster", name}, {"error", message}});
    } else if (was) {
      out_.events.record(subject, false, "TokenUnique", "the agent token of cluster " + name + " is its own again");
    }
  }
}

void Controller::report_received(const std::string& cluster, protocol::Report&& report, TimeMs received_at) {
  auto found = members_.find(cluster);
  if (found == members_.end()) return;  // deleted between admission and now
  auto& member = found->second;
  out_.metrics.reports(cluster).inc();

  // Per reported service: one lookup in the cluster's own name table, then
  // the observation (the path bench/core/decision_bench.cpp times).
  const auto id = member.engine_id;
  if (held_.erase(cluster) != 0) {
    // Back from silence: its assignment is published once this report has
    // been decided on (rule 1b), in full, against what it had before.
    republish_.insert(cluster);
    rederive_.insert(cluster);
  }
  engine_.heard_from(id, received_at);
  if (report.full) engine_.begin_snapshot(id);
  for (const auto& service : report.services) {
    const auto service_id =
        engine_.service_id(id, service.key.namespace_name, service.key.name, core_role(service.key.role));
    engine_.observe(service_id, {service.exists, service.ready_endpoints, service.total_endpoints});
    engine_.observe_data_plane(service_id, data_plane_sample(service));
  }
  if (report.full) engine_.end_snapshot(id);
  if (report.data_plane && (report.agent_id != member.data_plane_agent ||
                            report.data_plane->evaluation != member.data_plane_evaluation)) {
    member.data_plane_agent = report.agent_id;
    member.data_plane_evaluation = report.data_plane->evaluation;
    engine_.data_plane_evaluated(id);
    out_.metrics.data_plane_rounds(cluster).inc();
  }

  const auto before = member.view;
  member.last_heard = received_at;
  if (!member.view.connected) {
    member.connected_since = received_at;
    out_.events.record({kApiVersion, "MemberCluster", "", cluster, member.uid}, false, "ClusterConnected",
                       "the agent of cluster " + cluster + " reports to this hub");
    log::info("cluster connected", {{"cluster", cluster}});
  }
  member.view.connected = true;
  if (!member.known) release_awaiting(cluster);
  member.known = true;
  member.view.reported_services = engine_.reported_services(id);
  if (!report.agent_version.empty()) member.view.agent_version = report.agent_version;
  member.view.applied_revision = report.applied.revision;
  if (member.view.connected != before.connected || member.view.agent_version != before.agent_version ||
      !member.written) {
    member.status_due = true;
  }

  if (report.full || report.outputs) {
    // A full report without `outputs` is from an agent older than discovery.
    auto served = served_outputs_of(report.outputs);
    if (member.served != served) {
      member.served = served;
      choose_outputs_in(cluster, received_at);
    }
  }

  auto& publication = clusters_[cluster];
  note_applied_outputs(cluster, report.applied.revision);
  if (!publication.applied_heard) {
    // The first report since this hub started replaces the applied revisions
    // recorded in each status: whatever moved shows.
    std::vector<bool> was_in_sync;
    was_in_sync.reserve(publication.consumers.size());
    for (const auto& [key, revision] : publication.consumers) was_in_sync.push_back(publication.in_sync(revision));
    publication.applied = report.applied.revision;
    publication.applied_heard = true;
    std::size_t i = 0;
    for (const auto& [key, revision] : publication.consumers) {
      if (was_in_sync[i++] != publication.in_sync(revision)) status_due_.insert(key);
    }
  } else if (publication.applied != report.applied.revision) {
    // Only FailoverServices whose own revision here this crosses show
    // anything new: those wanting a revision between the old and the new.
    const auto low = std::min(publication.applied, report.applied.revision);
    const auto high = std::max(publication.applied, report.applied.revision);
    publication.applied = report.applied.revision;
    for (auto it = publication.by_desired.lower_bound({low + 1, core::ObjectKey{}});
         it != publication.by_desired.end() && it->first <= high; ++it) {
      status_due_.insert(it->second);
    }
  }
  if (report.applied.errors != member.apply_errors) {
    // Said once per change, where users look: an Event on the MemberCluster
    // (kubectl describe mc) and the log; the agent retries with backoff and
    // repeats the same errors in every report meanwhile.
    member.apply_errors = report.applied.errors;
    const EventSubject subject{kApiVersion, "MemberCluster", "", cluster, member.uid};
    if (member.apply_errors.empty()) {
      out_.events.record(subject, false, "Applied", "the agent of cluster " + cluster + " applied revision " +
                                                        std::to_string(report.applied.revision) + " cleanly");
    } else {
      std::string joined;
      for (const auto& error : member.apply_errors) joined += (joined.empty() ? "" : "; ") + error;
      out_.events.record(subject, true, "ApplyFailed",
                         "the agent of cluster " + cluster + " cannot apply its TrafficSplits: " + joined);
      for (const auto& error : member.apply_errors) {
        log::warn("agent could not apply its assignment", {{"cluster", cluster}, {"error", error}});
      }
    }
    // A user's HTTPRoute on a FailoverService's parent: said on that
    // consumer of that FailoverService too.
    for (auto& [key, entry] : services_) {
      auto output = entry.outputs.find(cluster);
      if (!entry.spec || output == entry.outputs.end()) continue;
      auto conflict = route_conflict_in(member.apply_errors, entry.spec->target_namespace, key.name);
      if (conflict == output->second.conflict) continue;
      output->second.conflict = std::move(conflict);
      output->second.conflict_since = received_at;
      status_due_.insert(key);
    }
  }
}

void Controller::forget_consumer(const std::string& cluster, const core::ObjectKey& key) {
  auto publication = clusters_.find(cluster);
  if (publication == clusters_.end()) return;
  publication->second.forget(key);
  publication->second.changed.erase(key);
  publication->second.touched.erase(key);
}

void Controller::note_split_changes(const core::Change& change, FosEntry& entry) {
  const auto& key = entry.key;
  const auto count = engine_.consumer_count(change.record);
  std::set<std::string, std::less<>> consumers;
  for (std::size_t c = 0; c < count; ++c) {
    const auto& cluster = engine_.consumer_cluster(change.record, c);
    consumers.insert(cluster);
    const bool split_flagged = c < 64 && (change.splits_changed & (std::uint64_t{1} << c)) != 0;
    if (!change.spec_changed && !split_flagged) continue;
    auto split = engine_.traffic_split(change.record, c);
    clusters_[cluster].touched.insert(key);
    auto known = entry.splits.find(cluster);
    bool changed = entry.spec_moved;
    if (known == entry.splits.end()) {
      // First decision by this hub: new to this consumer unless it resumes
      // what the recorded status says this consumer already has.
      changed = changed || entry.restored.count(cluster) == 0;
      entry.splits.emplace(cluster, std::move(split));
    } else if (known->second != split) {
      changed = true;
      known->second = std::move(split);
    }
    if (changed) clusters_[cluster].changed.insert(key);
  }
  if (change.spec_changed) {
    // A consumer it no longer names shows nothing of it any more.
    for (auto it = entry.splits.begin(); it != entry.splits.end();) {
      if (consumers.count(it->first) == 0) {
        forget_consumer(it->first, key);
        it = entry.splits.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& cluster : entry.restored) {
      if (consumers.count(cluster) == 0) forget_consumer(cluster, key);
    }
    entry.spec_moved = false;
  }
}

void Controller::check_connections(TimeMs now) {
  const auto timeout = options_.cluster_timeout.count();
  for (auto& [name, member] : members_) {
    if (member.known && !member.view.connected) continue;
    const auto heard = member.last_heard != 0 ? member.last_heard : options_.started_at;
    if (now < heard + timeout) continue;
    const bool was_connected = member.view.connected;
    if (!member.known) release_awaiting(name);
    member.known = true;
    member.view.connected = false;
    if (was_connected) {
      member.connected_since = now;
      member.status_due = true;
      out_.events.record({kApiVersion, "MemberCluster", "", name, member.uid}, true, "ClusterDisconnected",
                         "no report from the agent of cluster " + name + " for " + std::to_string(timeout / 1000) +
                             "s (--cluster-timeout)");
      log::warn("cluster disconnected", {{"cluster", name}});
    } else if (!member.written) {
      member.connected_since = now;
      member.status_due = true;
    }
  }
}

void Controller::flush(TimeMs now) {
  const auto started = std::chrono::steady_clock::now();
  if (tokens_changed_) note_token_conflicts(now);
  check_connections(now);
  engine_.evaluate(now, changes_);
  for (const auto& change : changes_) {
    const auto& key = engine_.key_of(change.record);
    auto entry = services_.find(key);
    for (const auto& event : change.events) {
      if (event.kind == core::DecisionEventKind::FailedOver) out_.metrics.failovers.inc();
      if (event.kind == core::DecisionEventKind::FailedBack) out_.metrics.failbacks.inc();
      if (entry != services_.end()) out_.events.record(subject_of(entry->second), event.warning, event.reason, event.message);
      log::info(event.message, {{"failoverservice", key.to_string()}, {"reason", event.reason}});
    }
    if (entry != services_.end()) note_split_changes(change, entry->second);
    // Traffic moved: the status is what the next leader resumes from, so it
    // is written now even if some of the clusters have not reported since the
    // restart (awaits_first_reports only spares writes that record nothing).
    if (entry != services_.end() && change.splits_changed != 0) entry->second.resumed = false;
    for (auto& cluster : engine_.clusters_touched(change)) {
      // A spec change may move watch lists: those clusters are derived anew.
      if (change.spec_changed) rederive_.insert(cluster);
      republish_.insert(std::move(cluster));
    }
    if (change.status_changed || change.spec_changed) status_due_.insert(key);
  }
  if (first_flush_) {
    // Every member gets an answer to its long poll, even an empty one.
    for (const auto& [name, member] : members_) {
      republish_.insert(name);
      rederive_.insert(name);
    }
    first_flush_ = false;
  }
  for (const auto& cluster : republish_) {
    auto member = members_.find(cluster);
    if (member == members_.end()) continue;
    if (engine_.silent(member->second.engine_id)) {
      // Rule 1b: what is decided for a silent cluster is provisional. A
      // revision published now would be the first thing its agent hears when
      // it returns (a SIGSTOPped agent even finds it already in its socket):
      // it gets nothing new until its next report has been decided on.
      held_.insert(cluster);
      continue;
    }
    publish(cluster);
  }
  republish_.clear();
  rederive_.clear();

  for (const auto& key : status_due_) {
    auto entry = services_.find(key);
    auto record = engine_.find(key);
    if (entry == services_.end() || !record || awaits_first_reports(entry->second)) continue;
    write_fos_status(entry->second, *record, now);
    entry->second.resumed = false;
  }
  status_due_.clear();

  std::size_t connected = 0;
  for (auto& [name, member] : members_) {
    if (member.status_due) write_member_status(name, member);
    member.status_due = false;
    if (member.known && member.view.connected) ++connected;
  }
  out_.metrics.connected_agents.set(static_cast<double>(connected));
  out_.metrics.output_unavailable_consumers.set(static_cast<double>(unavailable_.size()));
  out_.metrics.parked_polls.set(static_cast<double>(out_.board.parked()));
  out_.metrics.decision_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void Controller::publish(const std::string& cluster) {
  auto& publication = clusters_[cluster];
  auto step = std::make_shared<AssignmentStep>();
  bool moved = false;
  if (!publication.published || rederive_.count(cluster) != 0) {
    auto assignment = engine_.assignment_for(cluster);
    expand_routes(cluster, assignment);
    if (!publication.published || assignment != publication.current) {
      replace_assignment(publication, std::move(assignment), *step);
      moved = true;
    }
  } else {
    moved = update_splits(cluster, publication, *step);
  }
  if (moved) publish_new_revision(cluster, std::move(step));
  publication.touched.clear();
  // The FailoverServices whose own part of this assignment changed now want
  // this revision; no other one's status moves.
  for (const auto& key : publication.changed) {
    auto& revision = publication.consumers[key];
    if (revision.desired == publication.revision) continue;
    publication.set_desired(key, publication.revision, revision.recorded_applied);
    status_due_.insert(key);
  }
  publication.changed.clear();
}

void Controller::replace_assignment(ClusterPublication& publication, core::ClusterAssignment assignment,
                                    AssignmentStep& step) {
  // Both split lists are sorted by namespace/name: one walk finds what was
  // removed, added or changed, and reuses the encoding of what was not.
  auto& old_splits = publication.current.splits;
  std::vector<std::string> encoded;
  encoded.reserve(assignment.splits.size());
  std::vector<const std::string*> old_encoded;
  old_encoded.reserve(publication.split_json.size());
  publication.split_json.for_each([&](const std::string& piece) { old_encoded.push_back(&piece); });
  std::size_t old_at = 0;
  auto name_of = route_name_of;
  for (const auto& split : assignment.splits) {
    while (old_at < old_splits.size() && name_of(old_splits[old_at]) < name_of(split)) {
      step.splits.emplace_back(name_of(old_splits[old_at++]), std::nullopt);
    }
    if (old_at < old_splits.size() && name_of(old_splits[old_at]) == name_of(split) && old_splits[old_at] == split) {
      encoded.push_back(*old_encoded[old_at++]);
      continue;
    }
    if (old_at < old_splits.size() && name_of(old_splits[old_at]) == name_of(split)) ++old_at;
    encoded.push_back(route_object_json(split));
    step.splits.emplace_back(name_of(split), encoded.back());
  }
  for (; old_at < old_splits.size(); ++old_at) step.splits.emplace_back(name_of(old_splits[old_at]), std::nullopt);
  step.watch_changed = !publication.published || assignment.watch != publication.current.watch;
  if (step.watch_changed) publication.watch_json = encode_watch_json(assignment.watch);
  publication.current = std::move(assignment);
  publication.split_json = EncodedSplits(std::move(encoded));
}

bool Controller::update_splits(const std::string& cluster, ClusterPublication& publication, AssignmentStep& step) {
  // Without a spec change only decisions (or output kinds) moved: the
  // touched FailoverServices' route objects are replaced in place, the other
  // thousands neither re-derived, compared nor re-encoded (issue 8: no work
  // per failover that grows with the fleet beyond copying the encoded pieces).
  auto& splits = publication.current.splits;
  auto& encoded = publication.split_json;
  bool moved = false;
  for (const auto& key : publication.touched) {
    std::vector<core::TrafficSplit> now;
    if (auto entry = services_.find(key); entry != services_.end()) {
      if (auto split = entry->second.splits.find(cluster); split != entry->second.splits.end()) {
        now = routes_for(entry->second, cluster, split->second);
      }
    }
    const auto owner = key.namespace_name + "." + key.name;
    std::vector<std::size_t> old_at;
    for (std::size_t i = 0; i < splits.size(); ++i) {
      if (splits[i].owner == owner) old_at.push_back(i);
    }
    if (old_at.size() == now.size() &&
        std::equal(old_at.begin(), old_at.end(), now.begin(), [&](std::size_t i, const core::TrafficSplit& route) {
          return splits[i] == route;
        })) {
      continue;
    }
    moved = true;
    // Objects that stay as they were keep their encoding and are not sent
    // again (an output change removes one kind and leaves the other).
    std::vector<std::pair<core::TrafficSplit, std::string>> unchanged;
    for (auto it = old_at.rbegin(); it != old_at.rend(); ++it) {
      const auto& old = splits[*it];
      const bool replaced = std::any_of(now.begin(), now.end(), [&](const core::TrafficSplit& route) {
        return route_name_of(route) == route_name_of(old);
      });
      if (!replaced) step.splits.emplace_back(route_name_of(old), std::nullopt);
      if (std::find(now.begin(), now.end(), old) != now.end()) unchanged.emplace_back(old, encoded.at(*it));
      encoded.erase(*it);
      splits.erase(splits.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    for (auto& route : now) {
      auto at = std::lower_bound(splits.begin(), splits.end(), route, route_before);
      auto kept = std::find_if(unchanged.begin(), unchanged.end(), [&](const auto& old) { return old.first == route; });
      std::string piece;
      if (kept != unchanged.end()) {
        piece = std::move(kept->second);
      } else {
        piece = route_object_json(route);
        step.splits.emplace_back(route_name_of(route), piece);
      }
      encoded.insert(static_cast<std::size_t>(at - splits.begin()), std::move(piece));
      splits.insert(at, std::move(route));
    }
  }
  return moved;
}

std::vector<core::TrafficSplit> Controller::routes_for(const FosEntry& entry, const std::string& cluster,
                                                       const std::optional<core::TrafficSplit>& decided) const {
  auto output = entry.outputs.find(cluster);
  // A consumer never chosen for (no valid spec): what every hub before outputs wrote.
  if (output == entry.outputs.end()) return routes_of(decided, {core::RouteKind::TrafficSplit});
  return routes_of(decided, output->second.transition.kinds());
}

void Controller::expand_routes(const std::string& cluster, core::ClusterAssignment& assignment) const {
  std::vector<core::TrafficSplit> routes;
  routes.reserve(assignment.splits.size());
  for (auto& split : assignment.splits) {
    // The owner label's value is "<namespace>.<name>"; a namespace has no dot.
    const auto dot = split.owner.find('.');
    const core::ObjectKey key{split.owner.substr(0, dot), dot == std::string::npos ? "" : split.owner.substr(dot + 1)};
    auto entry = services_.find(key);
    auto expanded = entry == services_.end() ? routes_of(split, {core::RouteKind::TrafficSplit})
                                             : routes_for(entry->second, cluster, split);
    for (auto& route : expanded) routes.push_back(std::move(route));
  }
  std::sort(routes.begin(), routes.end(), route_before);
  assignment.splits = std::move(routes);
}

void Controller::choose_output_for(FosEntry& entry, const std::string& cluster, TimeMs now) {
  if (!entry.spec) return;
  auto& output = entry.outputs[cluster];
  if (!output.choice && !output.transition.current()) {
    // What the consumer holds before this hub chose: the recorded output, or
    // a TrafficSplit where a hub before outputs recorded a revision.
    auto recorded = entry.recorded_outputs.find(cluster);
    auto kind = recorded != entry.recorded_outputs.end() ? route_kind_named(recorded->second) : std::nullopt;
    if (!kind && entry.restored.count(cluster) != 0) kind = core::RouteKind::TrafficSplit;
    if (kind) output.transition.choose({core::OutputChoice::Outcome::Chosen, *kind, {}}, 0);
  }
  auto member = members_.find(cluster);
  const auto choice = core::choose_output(*entry.spec, cluster,
                                          member != members_.end() ? member->second.output_default : std::nullopt,
                                          member != members_.end() ? member->second.served : std::nullopt);
  const auto shown_before = output.shown();
  const bool unavailable_before = unavailable_.count({entry.key, cluster}) != 0;
  const auto reason_before = output.choice ? output.choice->reason : std::string();
  const auto next_revision = clusters_[cluster].revision + 1;
  bool kinds_changed = output.choose(choice, next_revision, now);
  const bool unavailable = choice.outcome == core::OutputChoice::Outcome::Unavailable;
  const auto wanted = entry.spec->output_kind.value_or(
      (member != members_.end() ? member->second.output_default : std::nullopt).value_or(core::OutputKind::TrafficSplit));
  if (unavailable && wanted == core::OutputKind::TrafficSplit && !output.transition.current()) {
    // A TrafficSplit asked of a cluster that serves none, holding nothing:
    // written anyway, as before outputs existed, so that its agent reports
    // the missing CRD, retries, and (its 404) discovers it once installed.
    output.transition.choose({core::OutputChoice::Outcome::Chosen, core::RouteKind::TrafficSplit, {}}, next_revision);
    kinds_changed = true;
  }
  if (kinds_changed) output_kinds_changed(entry, cluster);
  if (unavailable) {
    unavailable_.insert({entry.key, cluster});
  } else {
    unavailable_.erase({entry.key, cluster});
  }
  if (output.moving()) {
    moving_[cluster].insert(entry.key);
  } else {
    moving_[cluster].erase(entry.key);
  }
  if (output.shown() != shown_before || unavailable != unavailable_before || choice.reason != reason_before) {
    status_due_.insert(entry.key);
  }
  if (unavailable && !unavailable_before) {
    log::warn("output unavailable; the consumer keeps its routing",
              {{"failoverservice", entry.key.to_string()}, {"cluster", cluster}, {"reason", choice.reason}});
  }
}

void Controller::choose_outputs_in(const std::string& cluster, TimeMs now) {
  auto consumed = consumed_by_.find(cluster);
  if (consumed == consumed_by_.end()) return;
  for (const auto& key : consumed->second) {
    if (auto entry = services_.find(key); entry != services_.end()) choose_output_for(entry->second, cluster, now);
  }
}

void Controller::set_consumers(FosEntry& entry, std::vector<std::string> consumers) {
  for (const auto& cluster : entry.consumers) {
    auto consumed = consumed_by_.find(cluster);
    if (consumed == consumed_by_.end()) continue;
    consumed->second.erase(entry.key);
    if (consumed->second.empty()) consumed_by_.erase(consumed);
  }
  entry.consumers = std::move(consumers);
  for (const auto& cluster : entry.consumers) consumed_by_[cluster].insert(entry.key);
}

void Controller::output_kinds_changed(const FosEntry& entry, const std::string& cluster) {
  auto& publication = clusters_[cluster];
  publication.touched.insert(entry.key);
  publication.changed.insert(entry.key);
  republish_.insert(cluster);
  status_due_.insert(entry.key);
}

void Controller::note_applied_outputs(const std::string& cluster, std::int64_t applied) {
  auto moving = moving_.find(cluster);
  if (moving == moving_.end()) return;
  for (auto it = moving->second.begin(); it != moving->second.end();) {
    auto entry = services_.find(*it);
    if (entry == services_.end() || entry->second.outputs.count(cluster) == 0) {
      it = moving->second.erase(it);
      continue;
    }
    auto output = entry->second.outputs.find(cluster);
    // The agent holds the new object: the old one leaves the assignment.
    if (output->second.applied(applied)) output_kinds_changed(entry->second, cluster);
    it = output->second.moving() ? std::next(it) : moving->second.erase(it);
  }
}

void Controller::publish_new_revision(const std::string& cluster, std::shared_ptr<AssignmentStep> step) {
  auto& publication = clusters_[cluster];
  const bool first = !publication.published;
  publication.revision += 1;
  publication.published = true;
  auto published = std::make_shared<PublishedAssignment>();
  published->revision = publication.revision;
  // The complete body is assembled only if a poll needs it: agents that
  // follow with deltas never do.
  published->epoch = out_.board.epoch();
  published->watch_json = publication.watch_json;
  published->splits = publication.split_json;
  step->revision = publication.revision;
  // A first publish has no previous revision of this hub to be a step from.
  out_.board.publish(cluster, std::move(published), first ? nullptr : std::move(step));
  out_.metrics.assignment_revision(cluster).set(static_cast<double>(publication.revision));
  log::debug("assignment published", {{"cluster", cluster}, {"revision", std::to_string(publication.revision)}});
}

std::map<std::string, core::Revisions, std::less<>> Controller::revisions_of(const FosEntry& entry) const {
  std::map<std::string, core::Revisions, std::less<>> revisions;
  for (const auto& cluster : entry.consumers) {
    auto publication = clusters_.find(cluster);
    if (publication == clusters_.end()) continue;
    auto revision = publication->second.consumers.find(entry.key);
    if (revision == publication->second.consumers.end() || revision->second.desired == 0) continue;
    revisions[cluster] = {revision->second.desired, publication->second.shown_applied(revision->second)};
  }
  return revisions;
}

bool Controller::awaits_first_reports(const FosEntry& entry) {
  // After a restart, a status derived before the clusters have reported
  // would show their health as not reported, then as it was: two writes per
  // FailoverService for nothing (tens of thousands in a large fleet).
  if (!entry.resumed) return false;
  bool waiting = false;
  for (const auto& cluster : entry.clusters) {
    auto member = members_.find(cluster);
    if (member == members_.end() || member->second.known) continue;
    awaiting_cluster_[cluster].insert(entry.key);
    waiting = true;
  }
  return waiting;
}

void Controller::release_awaiting(const std::string& cluster) {
  auto awaiting = awaiting_cluster_.find(cluster);
  if (awaiting == awaiting_cluster_.end()) return;
  status_due_.insert(awaiting->second.begin(), awaiting->second.end());
  awaiting_cluster_.erase(awaiting);
}

void Controller::write_fos_status(FosEntry& entry, core::RecordId record, TimeMs now) {
  auto status = engine_.status(record, now, revisions_of(entry));
  for (auto& consumer : status.consumers) {
    if (auto output = entry.outputs.find(consumer.cluster); output != entry.outputs.end()) {
      show_output(consumer, output->second, entry.generation);
    }
  }
  if (auto summary = output_summary(status.consumers, entry.generation)) status.conditions.push_back(*summary);
  if (status.state == core::FosState::Frozen && entry.last_state && *entry.last_state != core::FosState::Frozen) {
    out_.events.record(subject_of(entry), true, "Frozen", status.message);
  }
  entry.last_state = status.state;
  auto json = core::status_to_json(status);
  const auto digest = StatusDigest::of(json);
  if (digest == entry.last_status) return;
  const auto& key = engine_.key_of(record);
  out_.statuses.submit({WriteKind::FailoverServiceStatus, key.namespace_name, key.name, std::move(json)});
  entry.last_status = digest;
}

void Controller::write_member_status(const std::string& name, MemberEntry& member) {
  const bool conflict_shown = member.written ? member.written->token_conflict == member.view.token_conflict
                                             : member.view.token_conflict.empty();
  // Nothing of our own to say yet: keep what the object shows. A token
  // conflict is said at once: no agent can report until it is resolved.
  if (!member.known && conflict_shown) return;
  // Written on connection changes only (protocol.md): the revision an agent
  // applied or its service count move with every decision, and a write per
  // cluster per decision is the churn api.md forbids. They are shown as of
  // the last connection change; /metrics has them live.
  if (member.written && member.written->connected == member.view.connected &&
      member.written->agent_version == member.view.agent_version && conflict_shown &&
      member.written->drained == member.view.drained) {
    return;
  }
  out_.statuses.submit({WriteKind::MemberClusterStatus, "", name,
                        member_status_to_json(member.view, member.last_heard,
                                              // Never connected, shown for its token conflict: since then, not 1970.
                                              member.connected_since != 0 ? member.connected_since
                                                                          : member.token_conflict_since,
                                              member.generation, member.token_conflict_since)});
  member.written = member.view;
}

std::optional<TimeMs> Controller::next_deadline(TimeMs now) const {
  auto deadline = engine_.next_deadline(now);
  for (const auto& [name, member] : members_) {
    if (member.known && !member.view.connected) continue;
    const auto due = (member.last_heard != 0 ? member.last_heard : options_.started_at) +
                     options_.cluster_timeout.count();
    if (!deadline || due < *deadline) deadline = std::max(due, now);
  }
  return deadline;
}

std::int64_t Controller::revision(const std::string& cluster) const {
  auto it = clusters_.find(cluster);
  return it != clusters_.end() && it->second.published ? it->second.revision : 0;
}

bool Controller::connected(const std::string& cluster) const {
  auto it = members_.find(cluster);
  return it != members_.end() && it->second.known && it->second.view.connected;
}

EventSubject Controller::subject_of(const FosEntry& entry) const {
  return {kApiVersion, "FailoverService", entry.key.namespace_name, entry.key.name, entry.uid};
}

}  // namespace switchyard::hub
