#include "switchyard/agent/split_applier.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/agent/split_plan.h"
#include "switchyard/telemetry/log.h"

namespace switchyard::agent {
namespace {

using Key = SplitKey;

std::string object_name(const std::string& namespace_name, const std::string& name) {
  return namespace_name.empty() ? name : namespace_name + "/" + name;
}

bool is_split_group(const std::string& group) { return group == protocol::kSmiGroup; }

// "trafficsplits" or "httproutes": the resource the group's kind is served as.
std::string resource_of(const std::string& group) { return is_split_group(group) ? "trafficsplits" : "httproutes"; }

// What to install when a group is not served.
std::string crd_hint(const std::string& group, const std::string& api_version) {
  if (is_split_group(group)) return "install the SMI TrafficSplit CRD serving " + api_version + " (deploy/smi)";
  if (group == protocol::kGatewayGroup) {
    return "install the Gateway API's standard HTTPRoute CRD serving " + api_version +
           " (crds/third_party), or choose another spec.output";
  }
  return "install Linkerd's CRDs (linkerd install --crds, 2.14 or later) serving " + api_version +
         ", or choose another spec.output";
}

std::string owner_label_of(const protocol::DesiredTrafficSplit& desired) {
  auto it = desired.labels.find(kOwnerLabel);
  return it == desired.labels.end() ? std::string() : it->second;
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
  const auto& [group, namespace_name, name] = key;
  log::info((is_split_group(group) ? "TrafficSplit " : "HTTPRoute ") + verb + (verb == "patch" ? "ed" : "d"),
            {{is_split_group(group) ? "trafficsplit" : "httproute", object_name(namespace_name, name)},
             {"group", group},
             {"revision", std::to_string(revision)}});
}

}  // namespace

SplitKey key_of(const protocol::DesiredTrafficSplit& desired) {
  return {protocol::api_group_of(desired.api_version), desired.namespace_name, desired.name};
}

SplitKey key_of(const protocol::SplitName& removed) {
  return {removed.api_version.empty() ? std::string(protocol::kSmiGroup) : protocol::api_group_of(removed.api_version),
          removed.namespace_name, removed.name};
}

std::string describe_failure(const ApiFailure& failure, const std::string& verb, const std::string& api_version,
                             const std::string& namespace_name, const std::string& name) {
  const auto group = protocol::api_group_of(api_version);
  const auto slash = api_version.find('/');
  const auto resource = resource_of(group) + "." + (slash == std::string::npos ? api_version : api_version.substr(slash + 1)) +
                        "." + group;
  const auto what = name.empty() ? resource : describe_route(group, namespace_name, name);
  if (failure.code == 0) {
    return verb + " " + what + ": Kubernetes API server unreachable: " + failure.message;
  }
  if (failure.code == 403) {
    return verb + " " + what + ": forbidden (HTTP 403): the agent's service account lacks RBAC permission to " +
           verb + " " + resource_of(group) + " in API group " + group + "; apply deploy/agent/rbac.yaml (" +
           failure.message + ")";
  }
  if (failure.code == 404 && verb == "list") {
    return std::string(is_split_group(group) ? "TrafficSplit" : "HTTPRoute") +
           " CRD missing: the API server does not serve " + resource + " (HTTP 404); " + crd_hint(group, api_version);
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
    wanted_keys.insert(key_of(split));
    versions.insert(split.api_version);
  }
  if (versions.empty()) versions.insert(kDefaultSplitApiVersion);

  // Every served version of a group lists the same objects; each is kept
  // once, with the version it was listed under for deletes.
  std::set<std::string> unlisted;
  std::map<Key, std::pair<ExistingTrafficSplit, std::string>> existing;
  for (const auto& version : versions) {
    auto listed = api.list(version);
    if (listed.failure) {
      unlisted.insert(version);
      if (listed.failure->code == 404) pass.missing_api = true;
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
      // What a list of a group's version holds is of that group, whatever
      // apiVersion the item shows.
      split->group = protocol::api_group_of(version);
      Key key{split->group, split->namespace_name, split->name};
      existing.try_emplace(key, std::move(*split), version);
    }
  }

  std::vector<protocol::DesiredTrafficSplit> plannable;
  // FailoverServices (owner label) with an assigned object not written in
  // this pass: their other objects are not deleted, whatever kind they are.
  std::set<std::string> unwritten_owners;
  for (auto& split : wanted) {
    if (unlisted.count(split.api_version) == 0) {
      plannable.push_back(std::move(split));
    } else {
      unwritten_owners.insert(owner_label_of(split));
    }
  }
  std::vector<ExistingTrafficSplit> in_cluster;
  for (const auto& [key, entry] : existing) in_cluster.push_back(entry.first);
  std::map<Key, const protocol::DesiredTrafficSplit*> desired_of;
  for (const auto& split : plannable) desired_of[key_of(split)] = &split;

  const auto actions = plan_split_actions(plannable, in_cluster);
  // What needs nothing is as the cluster holds it: remembered with its version.
  std::set<Key> acted_on;
  for (const auto& action : actions) acted_on.insert({action.group, action.namespace_name, action.name});
  for (const auto& [key, split] : desired_of) {
    auto found = existing.find(key);
    if (acted_on.count(key) == 0 && found != existing.end()) {
      applied[key] = {split->api_version, split->object_json, found->second.first.resource_version};
    }
  }

  for (const auto& action : actions) {
    const Key key{action.group, action.namespace_name, action.name};
    SplitWrite write;
    std::string verb;
    std::string version;
    switch (action.action) {
      case SplitAction::ForeignConflict:
        pass.errors.push_back(action.reason);
        unwritten_owners.insert(owner_label_of(*desired_of.at(key)));
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
      case SplitAction::Delete: {
        // Assigned under a version that could not be listed: not garbage.
        if (wanted_keys.count(key) != 0) continue;
        // The object replacing it (an output change) is not written: it
        // keeps routing until that one is (deletes come after every write).
        const auto& old = existing.at(key).first;
        if (!old.owner().empty() && unwritten_owners.count(old.owner()) != 0) continue;
        verb = "delete";
        version = existing.at(key).second;
        write.failure = api.remove(version, action.namespace_name, action.name);
        if (write.failure && write.failure->code == 404) write.failure.reset();  // already gone
        break;
      }
    }
    if (write.failure) {
      if (write.failure->code == 404) pass.missing_api = true;
      if (action.action != SplitAction::Delete) unwritten_owners.insert(owner_label_of(*desired_of.at(key)));
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

// One API version's HTTPRoutes as a delta pass found them, listed at most
// once per pass: a pass that creates many routes (FailoverServices created
// in bulk) would otherwise list the whole group once per route, and
// creating N routes cost N lists of up to N objects (1,000 HTTPRoute
// FailoverServices took 45 s to apply against 7 s for TrafficSplits, and
// 10,000 did not finish). The routes this pass writes are managed, so a
// listing taken before them still holds every route of someone else's.
struct RouteListing {
  std::optional<ApiFailure> failure;
  std::vector<ExistingTrafficSplit> foreign;  // not managed by switchyard
  std::map<std::pair<std::string, std::string>, ExistingTrafficSplit> managed;  // by namespace and name
};
using RouteListings = std::map<std::string, RouteListing>;  // by API version

const RouteListing& listing_of(TrafficSplitApi& api, const std::string& version, RouteListings& listings) {
  auto [it, fresh] = listings.try_emplace(version);
  if (!fresh) return it->second;
  auto& listing = it->second;
  auto listed = api.list(version);
  listing.failure = std::move(listed.failure);
  for (const auto& json : listed.objects_json) {
    std::string error;
    auto found = decode_existing_traffic_split(json, error);
    if (!found) continue;
    found->group = protocol::api_group_of(version);
    if (found->managed()) {
      auto key = std::make_pair(found->namespace_name, found->name);
      listing.managed.insert_or_assign(std::move(key), std::move(*found));
    } else {
      listing.foreign.push_back(std::move(*found));
    }
  }
  return listing;
}

// The delta pass's work for one desired object (labelled).
void apply_one(TrafficSplitApi& api, const protocol::DesiredTrafficSplit& split, std::int64_t revision,
               AppliedSplits& applied, ApplyPass& pass, RouteListings& listings) {
  const Key key = key_of(split);
  // Plain references, not a structured binding: the lambdas below capture
  // them, which clang before 16 refuses for bindings.
  const std::string& group = std::get<0>(key);
  const std::string& namespace_name = std::get<1>(key);
  const std::string& name = std::get<2>(key);
  const auto& version = split.api_version;
  auto fail = [&](const std::string& verb, const ApiFailure& failure) {
    applied.erase(key);
    pass.failed.insert(key);
    if (failure.code == 404 && verb != "get") pass.missing_api = true;
    pass.errors.push_back(describe_failure(failure, verb, version, namespace_name, name));
  };
  auto wrote = [&](const std::string& verb, const SplitWrite& write) {
    ++pass.writes;
    log_write(verb, key, revision);
    applied[key] = {version, split.object_json, write.resource_version};
  };

  if (auto known = applied.find(key); known != applied.end() && known->second.api_version == version) {
    if (known->second.object_json == split.object_json) return;  // the cluster holds it already
    // Only if nobody has touched it since: then it is still ours and as we left it.
    auto write = api.merge_patch(version, namespace_name, name, merge_patch_for(split, known->second.resource_version));
    if (!write.failure) return wrote("patch", write);
    if (write.failure->code != 409 && write.failure->code != 404) return fail("patch", *write.failure);
    // Moved or gone since: look at what is there now.
  }
  applied.erase(key);
  std::vector<ExistingTrafficSplit> existing;
  if (group == protocol::kSmiGroup) {
    auto fetched = api.get(version, namespace_name, name);
    if (fetched.failure && fetched.failure->code != 404) return fail("get", *fetched.failure);
    if (!fetched.failure) {
      std::string error;
      auto found = decode_existing_traffic_split(fetched.object_json, error);
      if (!found) return fail("get", {200, "", error});
      existing.push_back(std::move(*found));
    }
  } else {
    // An HTTPRoute is written only where no one else's route is attached to
    // its parent: the group's routes are listed, once per pass (a delta pass
    // comes here only for an HTTPRoute it does not know yet).
    const auto& listing = listing_of(api, version, listings);
    if (listing.failure) return fail("list", *listing.failure);
    existing = listing.foreign;
    // Other managed routes are not this delta's business (plan would delete them).
    if (auto ours = listing.managed.find({namespace_name, name}); ours != listing.managed.end()) {
      existing.push_back(ours->second);
    }
  }
  const auto actions = plan_split_actions({split}, existing);
  if (actions.empty()) {
    for (const auto& found : existing) {
      if (found.namespace_name == namespace_name && found.name == name) {
        applied[key] = {version, split.object_json, found.resource_version};
      }
    }
  }
  for (const auto& action : actions) {
    if (action.action == SplitAction::ForeignConflict) {
      pass.failed.insert(key);
      pass.errors.push_back(action.reason);
    } else if (action.action == SplitAction::Create) {
      auto write = api.create(version, namespace_name, action.body);
      if (write.failure) return fail("create", *write.failure);
      wrote("create", write);
    } else if (action.action == SplitAction::Patch) {
      auto write = api.merge_patch(version, namespace_name, name, action.body);
      if (write.failure) return fail("patch", *write.failure);
      wrote("patch", write);
    }
  }
}

// The delta pass's work for an object no longer assigned: deleted if it is
// there and managed (a foreign one at that name was never ours), unless an
// object assigned for the same FailoverService failed to be written in this
// pass (`unwritten_owners`): it keeps routing until that one is.
void remove_one(TrafficSplitApi& api, const SplitKey& key, const std::string& version, std::int64_t revision,
                const std::set<std::string>& unwritten_owners, AppliedSplits& applied, ApplyPass& pass) {
  // Plain references, not a structured binding: the lambdas below capture
  // them, which clang before 16 refuses for bindings.
  const std::string& namespace_name = std::get<1>(key);
  const std::string& name = std::get<2>(key);
  auto fail = [&](const std::string& verb, const ApiFailure& failure) {
    pass.failed.insert(key);
    pass.errors.push_back(describe_failure(failure, verb, version, namespace_name, name));
  };
  auto fetched = api.get(version, namespace_name, name);
  if (fetched.failure) {
    applied.erase(key);
    if (fetched.failure->code != 404) fail("get", *fetched.failure);
    return;
  }
  std::string error;
  auto found = decode_existing_traffic_split(fetched.object_json, error);
  if (!found) return fail("get", {200, "", error});
  if (!found->managed()) return (void)applied.erase(key);
  if (!found->owner().empty() && unwritten_owners.count(found->owner()) != 0) {
    pass.failed.insert(key);  // tried again with the object that replaces it
    return;
  }
  applied.erase(key);
  auto failure = api.remove(version, namespace_name, name);
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
  // Writes first, removals after: an object replacing another (an output
  // change) is in the cluster before the one it replaces goes.
  std::set<std::string> unwritten_owners;
  RouteListings listings;
  for (const auto& change : changes) {
    if (change.desired == nullptr) continue;
    const auto errors_before = pass.errors.size();
    apply_one(api, labelled(*change.desired), revision, applied, pass, listings);
    if (pass.errors.size() != errors_before) unwritten_owners.insert(owner_label_of(*change.desired));
  }
  for (const auto& change : changes) {
    if (change.desired == nullptr) {
      remove_one(api, change.key, change.api_version, revision, unwritten_owners, applied, pass);
    }
  }
  pass.clean = pass.errors.empty() && pass.failed.empty();
  return pass;
}

SplitApplier::SplitApplier(TrafficSplitApi& api, ApplierOptions options, AgentMetrics& metrics,
                           std::function<void(protocol::AppliedState)> on_applied,
                           std::function<void()> on_missing_api)
    : api_(api),
      options_(options),
      metrics_(metrics),
      on_applied_(std::move(on_applied)),
      on_missing_api_(std::move(on_missing_api)) {}

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
        const Key key = key_of(removed);
        auto was = desired.find(key);
        dirty[key] = was != desired.end()      ? was->second.api_version
                     : !removed.api_version.empty() ? removed.api_version
                                                    : kDefaultSplitApiVersion;
        if (was != desired.end()) desired.erase(was);
      }
      for (auto& split : update.splits) {
        const Key key = key_of(split);
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
          log::error("route apply failed", {{"revision", std::to_string(pass.revision)}, {"error", error}});
        }
      }
      log::debug("route apply retry scheduled", {{"retry_in_ms", std::to_string(delay.count())}});
      next_pass = Clock::now() + delay;
    }
    if (pass.missing_api && on_missing_api_) on_missing_api_();
    metrics_.apply_failing.set(static_cast<double>(pass.errors.size()));
    last_errors = pass.errors;
    on_applied_({applied_revision, pass.errors});
    lock.lock();
  }
}

}  // namespace switchyard::agent
