// switchyard-agent's runtime: one libuv loop thread owns the assignment, the
// measurements and the applied state; the assignment long poll, the reporter
// and the TrafficSplit applier run on their own threads and talk to the loop
// only through LoopMailbox hand-offs (inbound) and their thread-safe submit /
// update calls (outbound).
//
//   poller --assignment--> loop --watch list--> ClusterView (namespace watches)
//                          loop --splits------> SplitApplier --applied--> loop
//                          loop --measurements + applied--> Reporter --> hub
//
// Lifecycle: construct, start() and stop() on the loop thread (stop() may be
// requested from any thread through request_stop()). After stop() every
// thread is joined and every handle closed, so uv_run returns.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <uv.h>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/assignment_poller.h"
#include "switchyard/agent/cluster_view.h"
#include "switchyard/agent/data_plane_evaluator.h"
#include "switchyard/agent/ports.h"
#include "switchyard/agent/reporter.h"
#include "switchyard/agent/route_discovery.h"
#include "switchyard/agent/split_applier.h"
#include "switchyard/kube/loop_mailbox.h"
#include "switchyard/telemetry/health_server.h"

namespace switchyard::agent {

struct AgentOptions {
  std::string agent_id;       // random per process start (see new_agent_id)
  std::string agent_version;
  PollerOptions poller;
  ReporterOptions reporter;
  ApplierOptions applier;
  DiscoveryOptions discovery;
};

// "<cluster>-<16 random hex digits>".
[[nodiscard]] std::string new_agent_id(const std::string& cluster);

class Agent {
 public:
  // With `discovery`, the agent discovers the route APIs its cluster serves
  // and reports them (`outputs`); its first report waits for the first
  // discovery. Without, it reports none, as an agent before HTTPRoutes.
  Agent(uv_loop_t* loop, AgentOptions options, HubApi& hub, WatchBackend& watches, TrafficSplitApi& splits,
        AgentMetrics& metrics, ApiDiscoveryApi* discovery = nullptr);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  void start();  // loop thread
  void stop();   // loop thread; idempotent
  // Any thread: runs stop() on the loop thread.
  void request_stop();
  // Any thread: runs `work` on the loop thread (tests, signal handling).
  void run_on_loop(std::function<void()> work);

  // Before start(): evaluate the data-plane checks of the local services
  // it watches through `prometheus` (docs/agent.md, "Data-plane measurements").
  void enable_data_plane(std::unique_ptr<PrometheusApi> prometheus, DataPlaneOptions options);

  // Any thread, for /healthz and /readyz.
  [[nodiscard]] telemetry::Probe liveness() const;
  [[nodiscard]] telemetry::Probe readiness() const;

 private:
  void on_assignment(protocol::Assignment&& assignment);
  void on_applied(protocol::AppliedState applied);
  void push_report_input();
  void on_data_plane(DataPlaneRound&& round);
  void on_discovered(protocol::ServedApis served);
  static void on_tick(uv_timer_t* timer);
  void check_watches();

  uv_loop_t* loop_;
  AgentOptions options_;
  AgentMetrics& metrics_;
  kube::LoopMailbox queue_;
  ClusterView view_;
  Reporter reporter_;
  SplitApplier applier_;
  AssignmentPoller poller_;
  uv_timer_t* tick_ = nullptr;  // liveness heartbeat; owned by libuv until closed
  std::unique_ptr<DataPlaneEvaluator> evaluator_;  // set by enable_data_plane
  std::unique_ptr<RouteDiscoverer> discoverer_;     // with an ApiDiscoveryApi

  // Loop-thread state.
  std::optional<std::int64_t> revision_;  // of the last assignment received
  protocol::AppliedState applied_;
  bool reported_once_ = false;  // reports flow once the first assignment's watches synced
  bool stopped_ = false;
  std::uint64_t watch_failures_seen_ = 0;
  std::int64_t watch_warned_at_ms_ = 0;
  // The last data-plane round: each measured local service's values, and
  // the round's number (rule 1a counts rounds; docs/protocol.md).
  std::map<protocol::ServiceKey, protocol::DataPlaneMeasurement> data_plane_;
  std::optional<protocol::Report::DataPlaneRound> data_plane_round_;
  std::optional<protocol::ServedApis> outputs_;  // the route APIs last discovered

  // Read by the probes on the metrics server's threads.
  std::atomic<std::int64_t> loop_tick_ms_{0};
  std::atomic<bool> has_assignment_{false};
  std::atomic<bool> watches_synced_{false};
};

}  // namespace switchyard::agent
