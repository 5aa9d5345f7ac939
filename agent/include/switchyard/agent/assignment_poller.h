// Long-polls the hub for this cluster's assignment on its own thread and
// hands every new one to `on_assignment` (which posts it to the loop).
//
// Fail static: while the hub is unreachable or refuses the poll, it only
// retries, with capped jittered backoff (or the hub's Retry-After); nothing
// is handed on, so the cluster keeps what was last applied. Until the first
// assignment arrives nothing is handed on at all.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/backoff.h"
#include "switchyard/agent/hub_client.h"

namespace switchyard::agent {

struct PollerOptions {
  std::chrono::seconds poll_wait{30};
  BackoffOptions backoff = kHubRetryBackoff;
  std::uint64_t seed = 1;
};

class AssignmentPoller {
 public:
  // `hub` and `metrics` outlive the poller. `on_assignment` runs on the
  // poller's thread and must return quickly.
  AssignmentPoller(HubApi& hub, PollerOptions options, AgentMetrics& metrics,
                   std::function<void(protocol::Assignment&&)> on_assignment);
  ~AssignmentPoller();
  AssignmentPoller(const AssignmentPoller&) = delete;
  AssignmentPoller& operator=(const AssignmentPoller&) = delete;

  void start();
  // Wakes the thread (cancelling a parked poll through the hub client) and
  // joins it. Idempotent.
  void stop();
  // Any thread: a report was just accepted after failed sends. A poll waiting
  // out its backoff goes at once: the hub (perhaps a new leader) is
  // reachable, and a consumer changed while the hub was away would otherwise
  // hear of it only after the backoff (the chaos suite saw 5.6 s).
  void hub_reachable();

 private:
  void run();
  // Waits for `delay`, stop or hub_reachable() (which resets `backoff`);
  // true when stopping.
  bool wait_or_stop(std::chrono::milliseconds delay, Backoff& backoff);

  HubApi& hub_;
  PollerOptions options_;
  AgentMetrics& metrics_;
  std::function<void(protocol::Assignment&&)> on_assignment_;
  std::thread thread_;
  std::mutex mutex_;  // guards hub_reachable_, and stopping_ for the condition variable
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  bool hub_reachable_ = false;  // a report got through since this poll started
};

}  // namespace switchyard::agent
