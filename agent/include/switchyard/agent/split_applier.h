// Makes the cluster's route objects (TrafficSplits and HTTPRoutes of both
// groups, docs/outputs.md) match the assignment, on a writer thread, by
// executing split_plan: create or merge-patch only what differs, label what
// it manages, never touch a foreign object (reported as an error), and
// delete managed objects no longer assigned. Objects are keyed by API group,
// namespace and name: a FailoverService moving from a TrafficSplit to an
// HTTPRoute holds both under one name for a while. A managed object is
// deleted only after every object assigned for the same FailoverService was
// written in that pass: an output change never leaves a moment without
// routing, even when the new object cannot be written.
//
// Two kinds of pass:
//   - a full pass lists every TrafficSplit of the API versions involved and
//     plans against them: after a complete assignment, while a failure lasts,
//     and every `resync` on a clean cluster, so hand edits of managed
//     TrafficSplits are undone;
//   - a delta pass handles only the TrafficSplits a delta assignment changed:
//     a merge patch conditional on the resourceVersion this applier last
//     wrote or saw (AppliedSplits), and a read of that one object when the
//     condition fails or nothing is known of it. A failover thus costs one
//     write per changed TrafficSplit, whatever the cluster holds besides.
//
// Failures (a missing CRD: 404 listing the resource; RBAC: 403; an
// unreachable API server) are reported with a message saying what to fix
// and retried with capped jittered backoff. A 404 from the API also asks for
// the served APIs to be discovered again (a CRD may have vanished).
//
// Nothing is done before the first submit(): an agent that has not heard
// from the hub leaves the cluster as it is.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/backoff.h"
#include "switchyard/agent/ports.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

// The version listed for garbage collection when nothing is assigned.
inline constexpr const char* kDefaultSplitApiVersion = "split.smi-spec.io/v1alpha2";

using SplitKey = std::tuple<std::string, std::string, std::string>;  // API group, namespace, name

// The key of a desired object, and of a removal (a removal without an
// apiVersion names a TrafficSplit, as a hub before HTTPRoutes sent it).
[[nodiscard]] SplitKey key_of(const protocol::DesiredTrafficSplit& desired);
[[nodiscard]] SplitKey key_of(const protocol::SplitName& removed);

struct DesiredSplits {
  std::int64_t revision = 0;
  std::vector<protocol::DesiredTrafficSplit> splits;
};

// What an assignment hands the applier: every TrafficSplit (`full`), or what
// a delta changed.
struct SplitUpdate {
  std::int64_t revision = 0;
  bool full = true;
  std::vector<protocol::DesiredTrafficSplit> splits;  // full: all; delta: added or changed
  std::vector<protocol::SplitName> removed;           // delta only
};

// What one pass achieved: `clean` when the cluster now matches `revision`.
struct ApplyPass {
  std::int64_t revision = 0;
  bool clean = false;
  std::vector<std::string> errors;
  std::set<SplitKey> failed;  // delta passes: the TrafficSplits to try again
  int writes = 0;             // create, patch and delete requests that succeeded
  bool missing_api = false;   // some request answered 404 for a resource: discover the served APIs again
};

// A managed TrafficSplit as this applier last wrote it or found it in the
// cluster: what a delta pass patches against.
struct AppliedSplit {
  std::string api_version;
  std::string object_json;  // the labelled desired object the cluster holds
  std::string resource_version;
};
using AppliedSplits = std::map<SplitKey, AppliedSplit>;

// One full pass, without threads: lists, plans, writes. `known_versions`
// holds the TrafficSplit API versions used before (listed for garbage
// collection) and gains the ones listed now; `applied` is rebuilt from what
// the pass found and wrote.
[[nodiscard]] ApplyPass apply_once(TrafficSplitApi& api, const DesiredSplits& desired,
                                   std::set<std::string>& known_versions, AppliedSplits& applied);
[[nodiscard]] ApplyPass apply_once(TrafficSplitApi& api, const DesiredSplits& desired,
                                   std::set<std::string>& known_versions);

// One TrafficSplit a delta changed: its desired object, or (null) its removal
// from what was assigned under `api_version`.
struct SplitChange {
  SplitKey key;
  const protocol::DesiredTrafficSplit* desired = nullptr;
  std::string api_version;
};

// One delta pass over `changes` only.
[[nodiscard]] ApplyPass apply_changes(TrafficSplitApi& api, std::int64_t revision,
                                      const std::vector<SplitChange>& changes, AppliedSplits& applied);

// A message saying what failed and what to do about it.
[[nodiscard]] std::string describe_failure(const ApiFailure& failure, const std::string& verb,
                                           const std::string& api_version, const std::string& namespace_name,
                                           const std::string& name);

struct ApplierOptions {
  BackoffOptions backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000), 2.0, 0.5};
  std::chrono::milliseconds resync{60'000};
  std::uint64_t seed = 3;
};

class SplitApplier {
 public:
  // `on_applied` runs on the writer thread after every pass with the state to
  // report: the last revision applied cleanly and the current failures.
  // `on_missing_api` (optional) runs on the writer thread after a pass that
  // got a 404 for a resource.
  SplitApplier(TrafficSplitApi& api, ApplierOptions options, AgentMetrics& metrics,
               std::function<void(protocol::AppliedState)> on_applied,
               std::function<void()> on_missing_api = {});
  ~SplitApplier();
  SplitApplier(const SplitApplier&) = delete;
  SplitApplier& operator=(const SplitApplier&) = delete;

  void start();
  void stop();  // idempotent; waits for the pass in progress, joins

  // Any thread, in the order the assignments arrived: applied at once.
  void submit(SplitUpdate update);

 private:
  void run();

  TrafficSplitApi& api_;
  ApplierOptions options_;
  AgentMetrics& metrics_;
  std::function<void(protocol::AppliedState)> on_applied_;
  std::function<void()> on_missing_api_;
  std::thread thread_;

  std::mutex mutex_;  // guards pending_, stopping_
  std::condition_variable wake_;
  std::vector<SplitUpdate> pending_;  // submitted, not yet taken by the writer thread
  bool stopping_ = false;
};

}  // namespace switchyard::agent
