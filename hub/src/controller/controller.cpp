#include "switchyard/hub/controller.h"

#include <algorithm>

#include "switchyard/core/status.h"
#include "switchyard/core/traffic_split.h"
#include "switchyard/protocol/codec.h"
#include "switchyard/telemetry/log.h"

namespace switchyard::hub {
namespace {

constexpr const char* kApiVersion = "switchyard.io/v1alpha1";

core::ServiceRole core_role(protocol::ServiceRole role) {
  return role == protocol::ServiceRole::Local ? core::ServiceRole::Local : core::ServiceRole::Mirror;
}

protocol::ServiceRole protocol_role(core::ServiceRole role) {
  return role == core::ServiceRole::Local ? protocol::ServiceRole::Local : protocol::ServiceRole::Mirror;
}

std::string encode(const core::ClusterAssignment& assignment, std::int64_t revision) {
  protocol::Assignment message;
  message.revision = revision;
  for (const auto& item : assignment.watch) {
    message.watch.push_back({item.namespace_name, item.name, protocol_role(item.role)});
  }
  for (const auto& split : assignment.splits) {
    message.traffic_splits.push_back({core::api_version_string(split.api_version),
                                      split.namespace_name,
                                      split.name,
                                      {{core::kManagedByLabel, core::kManagedByValue},
                                       {core::kFailoverServiceLabel, split.owner}},
                                      core::traffic_split_to_json(split)});
  }
  return protocol::encode_assignment(message);
}

std::string secret_id(const std::string& namespace_name, const std::string& name) {
  return namespace_name + "/" + name;
}

}  // namespace

struct Controller::FosEntry {
  core::ObjectKey key;
  std::string uid;
  std::vector<std::string> consumers;  // clusters whose revisions its status shows
  std::string last_status_json;        // as last written, or as last observed in the object
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
  std::set<protocol::ServiceKey> services;
  bool status_due = false;
};

struct Controller::ClusterPublication {
  std::int64_t revision = 0;  // last published (or, before that, the highest recorded in status)
  bool published = false;
  core::ClusterAssignment current;
  std::int64_t applied = 0;
};

Controller::Controller(ControllerOptions options, ControllerOutputs outputs)
    : options_(options),
      out_(outputs),
      engine_(core::EngineOptions{options.started_at, core::seconds_ms(40)}) {}

Controller::~Controller() = default;

void Controller::failover_service_changed(const FailoverServiceObject& object, TimeMs now) {
  auto& entry = services_[object.key];
  entry.key = object.key;
  entry.uid = object.uid;
  const bool known = engine_.find(object.key).has_value();
  if (object.spec.ok()) {
    engine_.upsert(*object.spec.value, known ? std::nullopt : object.recorded, now);
    entry.consumers = object.spec.value->spec.consumers;
  } else {
    engine_.upsert_unparsable(object.key, object.generation, object.spec.errors, now);
    entry.consumers.clear();
  }
  if (!known && object.recorded) {
    // Resume revision numbering above what the previous hub published, so an
    // agent that applied revision N never mistakes a new assignment for it.
    for (const auto& consumer : object.recorded->consumers) {
      auto& publication = clusters_[consumer.cluster];
      if (!publication.published) publication.revision = std::max(publication.revision, consumer.desired_revision);
    }
  }
  if (object.recorded_json != entry.last_status_json) {
    // Someone else's write, or an echo of an older one of ours: re-derive and
    // write again only if ours differs from it.
    entry.last_status_json = object.recorded_json;
    status_due_.insert(object.key);
  }
}

void Controller::failover_service_deleted(const core::ObjectKey& key) {
  for (auto& cluster : engine_.remove(key)) republish_.insert(std::move(cluster));
  services_.erase(key);
  status_due_.erase(key);
}

void Controller::member_cluster_changed(const MemberClusterObject& object, TimeMs now) {
  auto [it, inserted] = members_.try_emplace(object.name);
  auto& entry = it->second;
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
  if (inserted) {
    std::set<std::string, std::less<>> names;
    for (const auto& [name, member] : members_) names.insert(name);
    engine_.set_member_clusters(names, now);
    republish_.insert(object.name);
  }
}

void Controller::member_cluster_deleted(const std::string& name, TimeMs now) {
  if (members_.erase(name) == 0) return;
  out_.tokens.remove(name);
  out_.sessions.forget(name);
  out_.board.remove(name);
  clusters_.erase(name);
  republish_.erase(name);
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
}

void Controller::report_received(const std::string& cluster, protocol::Report&& report, TimeMs received_at) {
  auto found = members_.find(cluster);
  if (found == members_.end()) return;  // deleted between admission and now
  auto& member = found->second;
  out_.metrics.reports(cluster).inc();

  const auto id = engine_.cluster_id(cluster);
  engine_.heard_from(id, received_at);
  if (report.full) engine_.begin_snapshot(id);
  for (const auto& service : report.services) {
    engine_.observe(engine_.service_id(id, service.key.namespace_name, service.key.name, core_role(service.key.role)),
                    {service.exists, service.ready_endpoints, service.total_endpoints});
  }
  if (report.full) engine_.end_snapshot(id);

  const auto before = member.view;
  member.last_heard = received_at;
  if (!member.view.connected) {
    member.connected_since = received_at;
    out_.events.record({kApiVersion, "MemberCluster", "", cluster, member.uid}, false, "ClusterConnected",
                       "the agent of cluster " + cluster + " reports to this hub");
    log::info("cluster connected", {{"cluster", cluster}});
  }
  member.view.connected = true;
  member.known = true;
  if (report.full) member.services.clear();
  for (const auto& service : report.services) member.services.insert(service.key);
  member.view.reported_services = member.services.size();
  if (!report.agent_version.empty()) member.view.agent_version = report.agent_version;
  member.view.applied_revision = report.applied.revision;
  if (member.view != before || !member.written) member.status_due = true;

  auto& publication = clusters_[cluster];
  if (publication.applied != report.applied.revision) {
    publication.applied = report.applied.revision;
    mark_consumers_status(cluster);
  }
  for (const auto& error : report.applied.errors) {
    log::warn("agent could not apply its assignment", {{"cluster", cluster}, {"error", error}});
  }
}

void Controller::mark_consumers_status(const std::string& cluster) {
  for (const auto& [key, entry] : services_) {
    if (std::find(entry.consumers.begin(), entry.consumers.end(), cluster) != entry.consumers.end()) {
      status_due_.insert(key);
    }
  }
}

void Controller::check_connections(TimeMs now) {
  const auto timeout = options_.cluster_timeout.count();
  for (auto& [name, member] : members_) {
    if (member.known && !member.view.connected) continue;
    const auto heard = member.last_heard != 0 ? member.last_heard : options_.started_at;
    if (now < heard + timeout) continue;
    const bool was_connected = member.view.connected;
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
    for (auto& cluster : engine_.clusters_touched(change)) republish_.insert(std::move(cluster));
    if (change.status_changed || change.spec_changed) status_due_.insert(key);
  }
  if (first_flush_) {
    // Every member gets an answer to its long poll, even an empty one.
    for (const auto& [name, member] : members_) republish_.insert(name);
    first_flush_ = false;
  }
  for (const auto& cluster : republish_) {
    if (members_.count(cluster) != 0) publish(cluster);
  }
  republish_.clear();

  if (!status_due_.empty()) {
    std::map<std::string, core::Revisions, std::less<>> revisions;
    for (const auto& [name, publication] : clusters_) {
      if (publication.published) revisions[name] = {publication.revision, publication.applied};
    }
    for (const auto& key : status_due_) {
      auto entry = services_.find(key);
      auto record = engine_.find(key);
      if (entry != services_.end() && record) write_fos_status(entry->second, *record, now, revisions);
    }
    status_due_.clear();
  }

  std::size_t connected = 0;
  for (auto& [name, member] : members_) {
    if (member.status_due) write_member_status(name, member);
    member.status_due = false;
    if (member.known && member.view.connected) ++connected;
  }
  out_.metrics.connected_agents.set(static_cast<double>(connected));
  out_.metrics.parked_polls.set(static_cast<double>(out_.board.parked()));
  out_.metrics.decision_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void Controller::publish(const std::string& cluster) {
  auto assignment = engine_.assignment_for(cluster);
  auto& publication = clusters_[cluster];
  if (publication.published && assignment == publication.current) return;
  publication.current = std::move(assignment);
  publication.revision += 1;
  publication.published = true;
  auto published = std::make_shared<PublishedAssignment>();
  published->revision = publication.revision;
  published->body = encode(publication.current, publication.revision);
  out_.board.publish(cluster, std::move(published));
  out_.metrics.assignment_revision(cluster).set(static_cast<double>(publication.revision));
  log::debug("assignment published", {{"cluster", cluster}, {"revision", std::to_string(publication.revision)}});
  mark_consumers_status(cluster);
}

void Controller::write_fos_status(FosEntry& entry, core::RecordId record, TimeMs now,
                                  const std::map<std::string, core::Revisions, std::less<>>& revisions) {
  const auto status = engine_.status(record, now, revisions);
  if (status.state == core::FosState::Frozen && entry.last_state && *entry.last_state != core::FosState::Frozen) {
    out_.events.record(subject_of(entry), true, "Frozen", status.message);
  }
  entry.last_state = status.state;
  auto json = core::status_to_json(status);
  if (json == entry.last_status_json) return;
  const auto& key = engine_.key_of(record);
  out_.statuses.submit({WriteKind::FailoverServiceStatus, key.namespace_name, key.name, json});
  entry.last_status_json = std::move(json);
}

void Controller::write_member_status(const std::string& name, MemberEntry& member) {
  if (!member.known) return;  // nothing of our own to say yet: keep what the object shows
  if (member.written && *member.written == member.view) return;
  out_.statuses.submit({WriteKind::MemberClusterStatus, "", name,
                        member_status_to_json(member.view, member.last_heard, member.connected_since,
                                              member.generation)});
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
