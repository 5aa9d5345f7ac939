// Fakes of the agent's ports (ports.h, HubApi) for unit tests: an in-memory
// hub that sequences reports as the real one does, a member cluster's
// TrafficSplits with JSON merge patch, and namespace watches driven by the test.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/agent/ports.h"
#include "switchyard/devcluster/objects/merge_patch.h"

namespace switchyard::agent::testing {

// Waits for `condition` (polled), up to `timeout`. Returns whether it held.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

class FakeHub : public HubApi {
 public:
  ReportResult send_report(const protocol::Report& report) override {
    std::lock_guard lock(mutex_);
    ++report_attempts_;
    if (!reachable_) return {HubOutcome::Unavailable, "hub unreachable: connection refused"};
    if (!report.full && report.agent_id == agent_id_ && report.seq <= last_seq_) {
      // As a hub before the forged-seq fix answered a seq it had passed: a
      // resend, not applied (and not recorded here).
      ++duplicates_;
      return {HubOutcome::Ok, {}, {}, protocol::ReportOutcome::Duplicate};
    }
    if (!report.full && (report.agent_id != agent_id_ || report.seq != last_seq_ + 1)) {
      ++conflicts_;
      return {HubOutcome::NeedFullSnapshot, "HTTP 409: send a full snapshot"};
    }
    agent_id_ = report.agent_id;
    last_seq_ = report.seq;
    reports_.push_back(report);
    changed_.notify_all();
    return {HubOutcome::Ok, {}};
  }

  // Always the complete assignment (its epoch is empty): the deltas are the
  // hub's and are tested there and end to end.
  PollResult poll_assignment(std::int64_t after, const std::string& /*epoch*/, std::chrono::seconds wait) override {
    std::unique_lock lock(mutex_);
    ++poll_attempts_;
    if (!reachable_) {
      ++poll_failures_;
      return {HubOutcome::Unavailable, "hub unreachable: connection refused", {}, {}};
    }
    const auto cancelled_before = cancels_;
    changed_.wait_for(lock, std::chrono::milliseconds(200), [&] {
      return cancels_ != cancelled_before || !reachable_ || (assignment_ && assignment_->revision != after);
    });
    if (!reachable_ || cancels_ != cancelled_before) {
      ++poll_failures_;
      return {HubOutcome::Unavailable, "cancelled", {}, {}};
    }
    if (!assignment_ || assignment_->revision == after) return {HubOutcome::Unchanged, {}, {}, {}};
    return {HubOutcome::Ok, {}, *assignment_, {}};
  }

  void cancel() override {
    std::lock_guard lock(mutex_);
    ++cancels_;
    changed_.notify_all();
  }

  void publish(protocol::Assignment assignment) {
    std::lock_guard lock(mutex_);
    assignment_ = std::move(assignment);
    changed_.notify_all();
  }
  void set_reachable(bool reachable) {
    std::lock_guard lock(mutex_);
    reachable_ = reachable;
    changed_.notify_all();
  }
  // The hub restarts: it knows no agent, so the next delta gets a 409.
  void forget_agents() {
    std::lock_guard lock(mutex_);
    agent_id_.clear();
    last_seq_ = 0;
  }
  // Someone with the cluster's token and this agent's id sent a full report
  // with `seq` (docs/protocol.md, "Sequencing").
  void forge_seq(std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    last_seq_ = seq;
  }
  int duplicates() {
    std::lock_guard lock(mutex_);
    return duplicates_;
  }
  std::vector<protocol::Report> reports() {
    std::lock_guard lock(mutex_);
    return reports_;
  }
  int poll_attempts() {
    std::lock_guard lock(mutex_);
    return poll_attempts_;
  }
  int poll_failures() {
    std::lock_guard lock(mutex_);
    return poll_failures_;
  }
  int report_attempts() {
    std::lock_guard lock(mutex_);
    return report_attempts_;
  }
  int conflicts() {
    std::lock_guard lock(mutex_);
    return conflicts_;
  }

 private:
  std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  bool reachable_ = true;
  std::optional<protocol::Assignment> assignment_;
  std::string agent_id_;
  std::uint64_t last_seq_ = 0;
  std::vector<protocol::Report> reports_;
  int poll_attempts_ = 0;
  int poll_failures_ = 0;
  int report_attempts_ = 0;
  int conflicts_ = 0;
  int duplicates_ = 0;
  int cancels_ = 0;
};

inline std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  value.Accept(out);
  return {buffer.GetString(), buffer.GetSize()};
}

// A member cluster's route objects, and API discovery answering from the
// same served versions (a CRD removed vanishes from both).
class FakeSplitApi : public TrafficSplitApi, public ApiDiscoveryApi {
 public:
  DiscoveredResources served_resources(const std::string& group_version) override {
    std::lock_guard lock(mutex_);
    ++discoveries_;
    if (discovery_failure_) return {discovery_failure_, {}};
    if (served_versions.count(group_version) == 0) {
      return {ApiFailure{404, "NotFound", "the server could not find the requested resource"}, {}};
    }
    const auto group = protocol::api_group_of(group_version);
    return {std::nullopt, {group == kSmi ? "trafficsplits" : "httproutes"}};
  }
  void fail_discovery_with(std::optional<ApiFailure> failure) {
    std::lock_guard lock(mutex_);
    discovery_failure_ = std::move(failure);
  }
  int discoveries() { std::lock_guard lock(mutex_); return discoveries_; }
  void serve(std::set<std::string> versions) {
    std::lock_guard lock(mutex_);
    served_versions = std::move(versions);
  }

  // API group, namespace, name: the versions of a group are views of one
  // object, as on an API server.
  using Key = std::tuple<std::string, std::string, std::string>;
  static constexpr const char* kSmi = "split.smi-spec.io";
  static constexpr const char* kGateway = "gateway.networking.k8s.io";
  static constexpr const char* kLinkerd = "policy.linkerd.io";

  ListedTrafficSplits list(const std::string& api_version) override {
    std::lock_guard lock(mutex_);
    ++lists_;
    if (auto failure = failure_for(api_version)) return {failure, {}};
    ListedTrafficSplits listed;
    const auto group = protocol::api_group_of(api_version);
    for (const auto& [key, json] : objects_) {
      if (std::get<0>(key) == group) listed.objects_json.push_back(json);
    }
    return listed;
  }
  FetchedTrafficSplit get(const std::string& api_version, const std::string& namespace_name,
                          const std::string& name) override {
    std::lock_guard lock(mutex_);
    ++gets_;
    if (auto failure = failure_for(api_version)) return {failure, {}};
    auto it = objects_.find({protocol::api_group_of(api_version), namespace_name, name});
    if (it == objects_.end()) return {ApiFailure{404, "NotFound", "not found"}, {}};
    return {std::nullopt, it->second};
  }
  SplitWrite create(const std::string& api_version, const std::string& namespace_name,
                    const std::string& object_json) override {
    std::lock_guard lock(mutex_);
    if (auto failure = failure_for(api_version)) return {failure, {}};
    rapidjson::Document object;
    object.Parse(object_json.data(), object_json.size());
    const Key key{protocol::api_group_of(api_version), namespace_name, object["metadata"]["name"].GetString()};
    if (objects_.count(key) != 0) return {ApiFailure{409, "AlreadyExists", "already exists"}, {}};
    const auto version = stamp(object);
    objects_[key] = to_json(object);
    ++creates_;
    record();
    return {std::nullopt, version};
  }
  // As the API server: a patch that sets metadata.resourceVersion applies
  // only to that version of the object (409 Conflict otherwise).
  SplitWrite merge_patch(const std::string& api_version, const std::string& namespace_name, const std::string& name,
                         const std::string& patch_json) override {
    std::lock_guard lock(mutex_);
    if (auto failure = failure_for(api_version)) return {failure, {}};
    auto it = objects_.find({protocol::api_group_of(api_version), namespace_name, name});
    if (it == objects_.end()) return {ApiFailure{404, "NotFound", "not found"}, {}};
    rapidjson::Document object;
    object.Parse(it->second.data(), it->second.size());
    const std::string current = resource_version_of(object);
    rapidjson::Document patch;
    patch.Parse(patch_json.data(), patch_json.size());
    devcluster::objects::merge_patch_value(object, patch, object.GetAllocator());
    if (resource_version_of(object) != current) {
      return {ApiFailure{409, "Conflict", "the object has been modified; please apply your changes to the latest version"}, {}};
    }
    const auto version = stamp(object);
    it->second = to_json(object);
    ++patches_;
    record();
    return {std::nullopt, version};
  }
  std::optional<ApiFailure> remove(const std::string& api_version, const std::string& namespace_name,
                                   const std::string& name) override {
    std::lock_guard lock(mutex_);
    if (auto failure = failure_for(api_version)) return failure;
    if (objects_.erase({protocol::api_group_of(api_version), namespace_name, name}) == 0) {
      return ApiFailure{404, "NotFound", "not found"};
    }
    ++deletes_;
    record();
    return std::nullopt;
  }

  // An object someone else wrote (a hand edit, a foreign TrafficSplit),
  // stored as given: with no resourceVersion it matches no precondition the
  // applier remembers.
  void put(const std::string& namespace_name, const std::string& name, const std::string& json) {
    put_in(kSmi, namespace_name, name, json);
  }
  void put_in(const std::string& group, const std::string& namespace_name, const std::string& name,
              const std::string& json) {
    std::lock_guard lock(mutex_);
    objects_[{group, namespace_name, name}] = json;
  }
  std::optional<std::string> get(const std::string& namespace_name, const std::string& name) {
    return get_in(kSmi, namespace_name, name);
  }
  std::optional<std::string> get_in(const std::string& group, const std::string& namespace_name,
                                    const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find({group, namespace_name, name});
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  // The keys present after each create, patch and delete, in order: what a
  // test checks "at no moment" properties against.
  std::vector<std::set<Key>> history() {
    std::lock_guard lock(mutex_);
    return history_;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return objects_.size();
  }
  // 0: serve normally; 404: CRD not installed; 403: RBAC denies; 0 with
  // `unreachable`: transport error.
  void fail_with(std::optional<ApiFailure> failure) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(failure);
  }
  int lists() { std::lock_guard lock(mutex_); return lists_; }
  int gets() { std::lock_guard lock(mutex_); return gets_; }
  int writes() { std::lock_guard lock(mutex_); return creates_ + patches_ + deletes_; }
  int creates() { std::lock_guard lock(mutex_); return creates_; }
  int patches() { std::lock_guard lock(mutex_); return patches_; }
  int deletes() { std::lock_guard lock(mutex_); return deletes_; }
  std::set<std::string> served_versions{"split.smi-spec.io/v1alpha1", "split.smi-spec.io/v1alpha2",
                                        "split.smi-spec.io/v1alpha4", "gateway.networking.k8s.io/v1",
                                        "policy.linkerd.io/v1beta3"};

 private:
  std::optional<ApiFailure> failure_for(const std::string& api_version) {
    if (failure_) return failure_;
    if (served_versions.count(api_version) == 0) {
      return ApiFailure{404, "NotFound", "the server could not find the requested resource"};
    }
    return std::nullopt;
  }
  static std::string resource_version_of(const rapidjson::Value& object) {
    auto metadata = object.FindMember("metadata");
    if (metadata == object.MemberEnd() || !metadata->value.IsObject()) return {};
    auto version = metadata->value.FindMember("resourceVersion");
    return version != metadata->value.MemberEnd() && version->value.IsString() ? version->value.GetString() : "";
  }
  // Gives `object` the next resourceVersion; returns it.
  std::string stamp(rapidjson::Document& object) {
    const auto version = std::to_string(++resource_version_);
    auto& allocator = object.GetAllocator();
    auto metadata = object.FindMember("metadata");
    if (metadata == object.MemberEnd()) {
      object.AddMember("metadata", rapidjson::Value(rapidjson::kObjectType), allocator);
      metadata = object.FindMember("metadata");
    }
    metadata->value.RemoveMember("resourceVersion");
    metadata->value.AddMember("resourceVersion", rapidjson::Value(version.c_str(), allocator), allocator);
    return version;
  }
  void record() {
    std::set<Key> keys;
    for (const auto& [key, json] : objects_) keys.insert(key);
    history_.push_back(std::move(keys));
  }
  std::mutex mutex_;  // guards everything below
  std::map<Key, std::string> objects_;
  std::vector<std::set<Key>> history_;
  std::optional<ApiFailure> discovery_failure_;
  int discoveries_ = 0;
  std::optional<ApiFailure> failure_;
  int lists_ = 0, gets_ = 0, creates_ = 0, patches_ = 0, deletes_ = 0;
  std::uint64_t resource_version_ = 0;
};

// Namespace watches driven by the test. Loop thread only, like the real one.
class FakeWatchBackend : public WatchBackend {
 public:
  class Watch : public NamespaceWatch {
   public:
    Watch(FakeWatchBackend& backend, std::string name) : backend_(backend), name_(std::move(name)) {}
    ~Watch() override { backend_.active.erase(name_); }
    std::uint64_t failed_requests() const override { return backend_.failures; }

   private:
    FakeWatchBackend& backend_;
    std::string name_;
  };

  std::unique_ptr<NamespaceWatch> watch_namespace(const std::string& namespace_name,
                                                  NamespaceEvents& events) override {
    active[namespace_name] = &events;
    ++started;
    auto watch = std::make_unique<Watch>(*this, namespace_name);
    if (auto_sync) {
      // Deliver the namespace's current objects, then synced, as an informer's
      // initial list would.
      for (const auto& [key, present] : services) {
        if (key.first == namespace_name) events.service_upserted(key.first, key.second);
      }
      for (const auto& [key, slice] : slices) {
        if (key.first == namespace_name) events.slice_upserted(slice);
      }
      events.synced();
    }
    return watch;
  }

  // The cluster's objects, used for the initial lists.
  std::map<std::pair<std::string, std::string>, bool> services;
  std::map<std::pair<std::string, std::string>, EndpointSlice> slices;
  std::map<std::string, NamespaceEvents*> active;
  bool auto_sync = true;
  int started = 0;
  std::uint64_t failures = 0;  // what every watch reports as failed requests

  // Loop thread: change the cluster and tell the active watch, if any.
  void upsert_service(const std::string& namespace_name, const std::string& name) {
    services[{namespace_name, name}] = true;
    if (auto it = active.find(namespace_name); it != active.end()) it->second->service_upserted(namespace_name, name);
  }
  void upsert_slice(const EndpointSlice& slice) {
    slices[{slice.namespace_name, slice.name}] = slice;
    if (auto it = active.find(slice.namespace_name); it != active.end()) it->second->slice_upserted(slice);
  }
};

// A slice of `service` with `ready` ready and `not_ready` unready endpoints.
inline EndpointSlice make_slice(const std::string& namespace_name, const std::string& service, int ready,
                                int not_ready = 0, const std::string& suffix = "abcde") {
  EndpointSlice slice{namespace_name, service + "-" + suffix, service, "IPv4", {}};
  int next = 1;
  for (int i = 0; i < ready; ++i) slice.endpoints.push_back({{"10.0.0." + std::to_string(next++)}, true, false, {}});
  for (int i = 0; i < not_ready; ++i) slice.endpoints.push_back({{"10.0.0." + std::to_string(next++)}, false, false, {}});
  return slice;
}

}  // namespace switchyard::agent::testing
