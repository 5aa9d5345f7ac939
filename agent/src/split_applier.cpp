#include "switchyard/agent/split_applier.h"

#include <algorithm>
#include <map>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/agent/split_plan.h"
#include "switchyard/telemetry/log.h"

namespace switchyard::agent {
namespace {

using Key = std::pair<std::string, std::string>;  // namespace, name

std::string object_name(const std::string& namespace_name, const std::string& name) {
  return namespace_name.empty() ? name : namespace_name + "/" + name;
}

// The desired object with the managed-by label set, so that whatever the hub
// sends, the agent can recognise what it created (and only that) later.
protocol::DesiredTrafficSplit labelled(protocol::DesiredTrafficSplit split) {
  // The protocol decoder read `labels` from the object's metadata.labels.
  if (auto it = split.labels.find(kManagedByLabel); it != split.labels.end() && it->second == kManagedByValue) {
    return split;
  }
  split.labels[kManagedByLabel] = kManagedByValue;
  rapidjson::Document object;
  object.Parse(split.object_json.data(), split.object_json.size());
  if (object.HasParseError() || !object.IsObject()) return split;  // the protocol decoder checked it
  auto& allocator = object.GetAllocator();
  auto metadata = object.FindMember("metadata");
  if (metadata == object.MemberEnd() || !metadata->value.IsObject()) return split;
  auto labels = metadata->value.FindMember("labels");
  if (labels == metadata->value.MemberEnd() || !labels->value.IsObject()) {
    metadata->value.RemoveMember("labels");
    metadata->value.AddMember("labels", rapidjson::Value(rapidjson::kObjectType), allocator);
    labels = metadata->value.FindMember("labels");
  }
  labels->value.RemoveMember(kManagedByLabel);
  labels->value.AddMember(rapidjson::Value(kManagedByLabel, allocator), rapidjson::Value(kManagedByValue, allocator),
                          allocator);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  object.Accept(out);
  split.object_json.assign(buffer.GetString(), buffer.GetSize());
  return split;
}

void log_write(const std::string& verb, const Key& key, std::int64_t revision) {
  log::info("TrafficSplit " + verb + (verb == "patch" ? "ed" : "d"),
            {{"trafficsplit", object_name(key.first, key.second)}, {"revision", std::to_string(revision)}});
}

}  // namespace

std::string describe_failure(const ApiFailure& failure, const std::string& verb, const std::string& api_version,
                             const std::string& namespace_name, const std::string& name) {
  const auto resource = "trafficsplits." + api_version;
  const auto what = name.empty() ? resource : "TrafficSplit " + object_name(namespace_name, name);
  if (failure.code == 0) {
    return verb + " " + what + ": Kubernetes API server unreachable: " + failure.message;
  }
  if (failure.code == 403) {
    return verb + " " + what + ": forbidden (HTTP 403): the agent's service account lacks RBAC permission to " +
           verb + " trafficsplits in API group split.smi-spec.io; apply deploy/agent/rbac.yaml (" + failure.message +
           ")";
  }
  if (failure.code == 404 && verb == "list") {
    return "TrafficSplit CRD missing: the API server does not serve " + resource +
           " (HTTP 404); install the SMI TrafficSplit CRD serving " + api_version + " (deploy/smi)";
  }
  return verb + " " + what + ": HTTP " + std::to_string(failure.code) +
         (failure.reason.empty() ? "" : " " + failure.reason) + ": " + failure.message;
}

ApplyPass apply_once(TrafficSplitApi& api, const DesiredSplits& desired, std::set<std::string>& known_versions) {
  AppliedSplits applied;
  return apply_once(api, desired, known_versions, applied);
}

ApplyPass apply_once(TrafficSplitApi& api, const DesiredSplits& desired, std::set<std::string>& known_versions,
                     AppliedSplits& applied) {
  ApplyPass pass;
  pass.revision = desired.revision;
  applied.clear();

  std::vector<protocol::DesiredTrafficSplit> wanted;
  std::set<Key> wanted_keys;
  std::set<std::string> versions = known_versions;
  for (const auto& split : desired.splits) {
    wanted.push_back(labelled(split));
    wanted_keys.insert({split.namespace_name, split.name});
    versions.insert(split.api_version);
  }
  if (versions.empty()) versions.insert(kDefaultSplitApiVersion);

  // Every served version lists the same objects; each is kept once, with the
  // version it was listed under for deletes.
  std::set<std::string> unlisted;
  std::map<Key, std::pair<ExistingTrafficSplit, std::string>> existing;
  for (const auto& version : versions) {
    auto listed = api.list(version);
    if (listed.failure) {
      unlisted.insert(version);
      const bool assigned = std::any_of(wanted.begin(), wanted.end(),
                                        [&](const auto& split) { return split.api_version == version; });
      // A version nothing is assigned in may well not be served: only
      // garbage collection wanted it.
      if (assigned || listed.failure->code != 404) {
        pass.errors.push_back(describe_failure(*listed.failure, "list", version, {}, {}));
      }
      continue;
    }
    known_versions.insert(version);
    for (const auto& json : listed.objects_json) {
      std::string error;
      auto split = decode_existing_traffic_split(json, error);
      if (!split) {
        pass.errors.push_back("list " + version + ": " + error);
        continue;
      }
      Key key{split->namespace_name, split->name};
      existing.try_emplace(key, std::move(*split), version);
    }
  }

  std::vector<protocol::DesiredTrafficSplit> plannable;
  for (auto& split : wanted) {
    if (unlisted.count(split.api_version) == 0) plannable.push_back(std::move(split));
  }
  std::vector<ExistingTrafficSplit> in_cluster;
  for (const auto& [key, entry] : existing) in_cluster.push_back(entry.first);
  std::map<Key, const protocol::DesiredTrafficSplit*> desired_of;
  for (const auto& split : plannable) desired_of[{split.namespace_name, split.name}] = &split;

  const auto actions = plan_split_actions(plannable, in_cluster);
  // What needs nothing is as the cluster holds it: remembered with its version.
  std::set<Key> acted_on;
  for (const auto& action : actions) acted_on.insert({action.namespace_name, action.name});
  for (const auto& [key, split] : desired_of) {
    auto found = existing.find(key);
    if (acted_on.count(key) == 0 && found != existing.end()) {
      applied[key] = {split->api_version, split->object_json, found->second.first.resource_version};
    }
  }

  for (const auto& action : actions) {
    const Key key{action.namespace_name, action.name};
    SplitWrite write;
    std::string verb;
    std::string version;
    switch (action.action) {
      case SplitAction::ForeignConflict:
        pass.errors.push_back(action.reason);
        continue;
      case SplitAction::Create:
        verb = "create";
        version = desired_of.at(key)->api_version;
        write = api.create(version, action.namespace_name, action.body);
        break;
      case SplitAction::Patch:
        verb = "patch";
        version = desired_of.at(key)->api_version;
        write = api.merge_patch(version, action.namespace_name, action.name, action.body);
        break;
      case SplitAction::Delete:
        // Assigned under a version that could not be listed: not garbage.
        if (wanted_keys.count(key) != 0) continue;
        verb = "delete";
        version = existing.at(key).second;
        write.failure = api.remove(version, action.namespace_name, action.name);
        if (write.failure && write.failure->code == 404) write.failure.reset();  // already gone
        break;
    }
    if (write.failure) {
      pass.errors.push_back(describe_failure(*write.failure, verb, version, action.namespace_name, action.name));
    } else {
      ++pass.writes;
      log_write(verb, key, desired.revision);
      if (action.action != SplitAction::Delete) {
        applied[key] = {version, desired_of.at(key)->object_json, write.resource_version};
      }
    }
  }
  pass.clean = pass.errors.empty();
  return pass;
}

namespace {

// The delta pass's work for one desired TrafficSplit (labelled).
void apply_one(TrafficSplitApi& api, const protocol::DesiredTrafficSplit& split, std::int64_t revision,
               AppliedSplits& applied, ApplyPass& pass) {
  const Key key{split.namespace_name, split.name};
  const auto& version = split.api_version;
  auto fail = [&](const std::string& verb, const ApiFailure& failure) {
    applied.erase(key);
    pass.failed.insert(key);
    pass.errors.push_back(describe_failure(failure, verb, version, key.first, key.second));
  };
  auto wrote = [&](const std::string& verb, const SplitWrite& write) {
    ++pass.writes;
    log_write(verb, key, revision);
    applied[key] = {version, split.object_json, write.resource_version};
  };

  if (auto known = applied.find(key); known != applied.end() && known->second.api_version == version) {
    if (known->second.object_json == split.object_json) return;  // the cluster holds it already
    // Only if nobody has touched it since: then it is still ours and as we left it.
    auto write = api.merge_patch(version, key.first, key.second, merge_patch_for(split, known->second.resource_version));
    if (!write.failure) return wrote("patch", write);
    if (write.failure->code != 409 && write.failure->code != 404) return fail("patch", *write.failure);
    // Moved or gone since: look at what is there now.
  }
  applied.erase(key);
  auto fetched = api.get(version, key.first, key.second);
  std::vector<ExistingTrafficSplit> existing;
  if (fetched.failure && fetched.failure->code != 404) return fail("get", *fetched.failure);
  if (!fetched.failure) {
    std::string error;
    auto found = decode_existing_traffic_split(fetched.object_json, error);
    if (!found) return fail("get", {200, "", error});
    existing.push_back(std::move(*found));
  }
  const auto actions = plan_split_actions({split}, existing);
  if (actions.empty() && !existing.empty()) {
    applied[key] = {version, split.object_json, existing.front().resource_version};
  }
  for (const auto& action : actions) {
    if (action.action == SplitAction::ForeignConflict) {
      pass.failed.insert(key);
      pass.errors.push_back(action.reason);
    } else if (action.action == SplitAction::Create) {
      auto write = api.create(version, key.first, action.body);
      if (write.failure) return fail("create", *write.failure);
      wrote("create", write);
    } else if (action.action == SplitAction::Patch) {
      auto write = api.merge_patch(version, key.first, key.second, action.body);
      if (write.failure) return fail("patch", *write.failure);
      wrote("patch", write);
    }
  }
}

// The delta pass's work for a TrafficSplit no longer assigned: deleted if it
// is there and managed (a foreign one at that name was never ours).
void remove_one(TrafficSplitApi& api, const SplitKey& key, const std::string& version, std::int64_t revision,
                AppliedSplits& applied, ApplyPass& pass) {
  applied.erase(key);
  auto fail = [&](const std::string& verb, const ApiFailure& failure) {
    pass.failed.insert(key);
    pass.errors.push_back(describe_failure(failure, verb, version, key.first, key.second));
  };
  auto fetched = api.get(version, key.first, key.second);
  if (fetched.failure) {
    if (fetched.failure->code != 404) fail("get", *fetched.failure);
    return;
  }
  std::string error;
  auto found = decode_existing_traffic_split(fetched.object_json, error);
  if (!found) return fail("get", {200, "", error});
  if (!found->managed()) return;
  auto failure = api.remove(version, key.first, key.second);
  if (failure && failure->code != 404) return fail("delete", *failure);
  if (!failure) {
    ++pass.writes;
    log_write("delete", key, revision);
  }
}

}  // namespace

ApplyPass apply_changes(TrafficSplitApi& api, std::int64_t revision, const std::vector<SplitChange>& changes,
                        AppliedSplits& applied) {
  ApplyPass pass;
  pass.revision = revision;
  for (const auto& change : changes) {
    if (change.desired != nullptr) {
      apply_one(api, labelled(*change.desired), revision, applied, pass);
    } else {
      remove_one(api, change.key, change.api_version, revision, applied, pass);
    }
  }
  pass.clean = pass.errors.empty();
  return pass;
}

SplitApplier::SplitApplier(TrafficSplitApi& api, ApplierOptions options, AgentMetrics& metrics,
                           std::function<void(protocol::AppliedState)> on_applied)
    : api_(api), options_(options), metrics_(metrics), on_applied_(std::move(on_applied)) {}

SplitApplier::~SplitApplier() { stop(); }

void SplitApplier::start() { thread_ = std::thread([this] { run(); }); }

void SplitApplier::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SplitApplier::submit(SplitUpdate update) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(update));
  }
  wake_.notify_all();
}

void SplitApplier::run() {
  using Clock = std::chrono::steady_clock;
  Backoff backoff(options_.backoff, options_.seed);
  // Writer-thread state: the complete desired state the assignments built up.
  std::map<Key, protocol::DesiredTrafficSplit> desired;
  std::int64_t revision = 0;
  bool assigned = false;  // nothing until the first submit: fail static
  bool full_due = false;  // the next pass lists: a complete assignment, a failure, or the resync
  std::map<Key, std::string> dirty;  // changed by deltas since the last pass: key -> API version
  std::set<std::string> known_versions;
  AppliedSplits applied;
  std::int64_t applied_revision = 0;
  std::vector<std::string> last_errors;
  auto next_pass = Clock::time_point::max();

  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_until(lock, next_pass, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) return;
    auto updates = std::move(pending_);
    pending_.clear();
    if (updates.empty() && (!assigned || Clock::now() < next_pass)) continue;
    lock.unlock();

    for (auto& update : updates) {
      assigned = true;
      revision = update.revision;
      if (update.full) {
        desired.clear();
        dirty.clear();
        full_due = true;
      }
      for (const auto& removed : update.removed) {
        Key key{removed.namespace_name, removed.name};
        auto was = desired.find(key);
        dirty[key] = was != desired.end() ? was->second.api_version : kDefaultSplitApiVersion;
        if (was != desired.end()) desired.erase(was);
      }
      for (auto& split : update.splits) {
        Key key{split.namespace_name, split.name};
        if (!update.full) dirty[key] = split.api_version;
        desired[key] = std::move(split);
      }
    }
    // Without new updates this is a due pass: a retry after failures (as a
    // full pass, whatever failed) or the periodic resync.
    if (updates.empty()) full_due = true;

    ApplyPass pass;
    if (full_due) {
      DesiredSplits all{revision, {}};
      all.splits.reserve(desired.size());
      for (const auto& [key, split] : desired) all.splits.push_back(split);
      pass = apply_once(api_, all, known_versions, applied);
      dirty.clear();
      full_due = !pass.clean;
    } else {
      std::vector<SplitChange> changes;
      changes.reserve(dirty.size());
      for (const auto& [key, version] : dirty) {
        auto split = desired.find(key);
        changes.push_back({key, split != desired.end() ? &split->second : nullptr, version});
      }
      pass = apply_changes(api_, revision, changes, applied);
      // What failed is tried again, as a full pass: it lists, so it finds
      // what the failure was about (a missing CRD, a foreign TrafficSplit).
      dirty.clear();
      full_due = !pass.clean;
    }

    if (pass.clean) {
      applied_revision = pass.revision;
      metrics_.applied_revision.set(static_cast<double>(applied_revision));
      backoff.reset();
      next_pass = Clock::now() + options_.resync;
    } else {
      metrics_.apply_errors.inc(pass.errors.size());
      const auto delay = backoff.next();
      // Say it once per distinct failure, not on every retry.
      if (pass.errors != last_errors) {
        for (const auto& error : pass.errors) {
          log::error("TrafficSplit apply failed", {{"revision", std::to_string(pass.revision)}, {"error", error}});
        }
      }
      log::debug("TrafficSplit apply retry scheduled", {{"retry_in_ms", std::to_string(delay.count())}});
      next_pass = Clock::now() + delay;
    }
    metrics_.apply_failing.set(static_cast<double>(pass.errors.size()));
    last_errors = pass.errors;
    on_applied_({applied_revision, pass.errors});
    lock.lock();
  }
}

}  // namespace switchyard::agent
