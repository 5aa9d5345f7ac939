// Makes the cluster's TrafficSplits match the assignment, on a writer thread,
// by executing split_plan: create or merge-patch only what differs, label what
// it manages, never touch a foreign TrafficSplit (reported as an error), and
// delete managed TrafficSplits no longer assigned.
//
// Failures (a missing TrafficSplit CRD: 404 listing the resource; RBAC: 403;
// an unreachable API server) are reported with a message saying what to fix
// and retried with capped jittered backoff. A clean cluster is re-checked
// every `resync` so that hand edits of managed TrafficSplits are undone.
//
// Nothing is done before the first submit(): an agent that has not heard
// from the hub leaves the cluster as it is.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/backoff.h"
#include "switchyard/agent/ports.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

// The version listed for garbage collection when nothing is assigned.
inline constexpr const char* kDefaultSplitApiVersion = "split.smi-spec.io/v1alpha2";

struct DesiredSplits {
  std::int64_t revision = 0;
  std::vector<protocol::DesiredTrafficSplit> splits;
};

// What one pass achieved: `clean` when the cluster now matches `revision`.
struct ApplyPass {
  std::int64_t revision = 0;
  bool clean = false;
  std::vector<std::string> errors;
  int writes = 0;  // create, patch and delete requests that succeeded
};

// One pass, without threads: lists, plans, writes. `known_versions` holds
// the TrafficSplit API versions used before (listed for garbage collection)
// and gains the ones listed now.
[[nodiscard]] ApplyPass apply_once(TrafficSplitApi& api, const DesiredSplits& desired,
                                   std::set<std::string>& known_versions);

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
  // report: the last revision applied cleanly and the current pass's errors.
  SplitApplier(TrafficSplitApi& api, ApplierOptions options, AgentMetrics& metrics,
               std::function<void(protocol::AppliedState)> on_applied);
  ~SplitApplier();
  SplitApplier(const SplitApplier&) = delete;
  SplitApplier& operator=(const SplitApplier&) = delete;

  void start();
  void stop();  // idempotent; waits for the pass in progress, joins

  // Any thread: the latest assignment's TrafficSplits; applied at once.
  void submit(DesiredSplits desired);

 private:
  void run();

  TrafficSplitApi& api_;
  ApplierOptions options_;
  AgentMetrics& metrics_;
  std::function<void(protocol::AppliedState)> on_applied_;
  std::thread thread_;

  std::mutex mutex_;  // guards pending_, stopping_
  std::condition_variable wake_;
  std::optional<DesiredSplits> pending_;
  bool stopping_ = false;
};

}  // namespace switchyard::agent
