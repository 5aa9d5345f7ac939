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
  ApplyPass pass;
  pass.revision = desired.revision;

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
  std::map<Key, std::string> version_of;
  for (const auto& split : plannable) version_of[{split.namespace_name, split.name}] = split.api_version;

  for (const auto& action : plan_split_actions(plannable, in_cluster)) {
    const Key key{action.namespace_name, action.name};
    std::optional<ApiFailure> failure;
    std::string verb;
    std::string version;
    switch (action.action) {
      case SplitAction::ForeignConflict:
        pass.errors.push_back(action.reason);
        continue;
      case SplitAction::Create:
        verb = "create";
        version = version_of[key];
        failure = api.create(version, action.namespace_name, action.body);
        break;
      case SplitAction::Patch:
        verb = "patch";
        version = version_of[key];
        failure = api.merge_patch(version, action.namespace_name, action.name, action.body);
        break;
      case SplitAction::Delete:
        // Assigned under a version that could not be listed: not garbage.
        if (wanted_keys.count(key) != 0) continue;
        verb = "delete";
        version = existing.at(key).second;
        failure = api.remove(version, action.namespace_name, action.name);
        if (failure && failure->code == 404) failure.reset();  // already gone
        break;
    }
    if (failure) {
      pass.errors.push_back(describe_failure(*failure, verb, version, action.namespace_name, action.name));
    } else {
      ++pass.writes;
      log::info("TrafficSplit " + verb + (verb == "patch" ? "ed" : "d"), {{"trafficsplit", object_name(action.namespace_name, action.name)},
                                               {"revision", std::to_string(desired.revision)}});
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

void SplitApplier::submit(DesiredSplits desired) {
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(desired);
  }
  wake_.notify_all();
}

void SplitApplier::run() {
  using Clock = std::chrono::steady_clock;
  Backoff backoff(options_.backoff, options_.seed);
  std::set<std::string> known_versions;
  std::optional<DesiredSplits> current;  // nothing until the first submit: fail static
  std::int64_t applied_revision = 0;
  std::vector<std::string> last_errors;
  auto next_pass = Clock::time_point::max();
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_until(lock, next_pass, [this] { return stopping_ || pending_.has_value(); });
    if (stopping_) return;
    if (pending_) {
      current = std::move(*pending_);
      pending_.reset();
    } else if (!current || Clock::now() < next_pass) {
      continue;
    }
    const DesiredSplits desired = *current;
    lock.unlock();

    const auto pass = apply_once(api_, desired, known_versions);
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
