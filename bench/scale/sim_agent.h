// One simulated member cluster for the hub scale benchmark: the real agent's
// hub side (HubClient, Reporter, AssignmentPoller, ReportBuilder: the same
// code, threads and backoff as switchyard-agent) without a Kubernetes API
// behind it. What a real agent reads from EndpointSlices comes from a shared
// HealthTable instead, for exactly the services the hub's assignment `watch`
// list names; TrafficSplits are "applied" at once (the applied revision
// reported is the one received).
//
// Thread-safe: every public member may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/assignment_poller.h"
#include "switchyard/agent/hub_client.h"
#include "switchyard/agent/reporter.h"

namespace switchyard::bench {

using Clock = std::chrono::steady_clock;

// What every simulated cluster would measure: a local service has 2 of 2
// endpoints ready, a mirror 1 of 1 (its gateway reachable), unless set here.
class HealthTable {
 public:
  void set_ready(const std::string& cluster, const protocol::ServiceKey& key, std::uint32_t ready);
  [[nodiscard]] protocol::ServiceHealth measure(const std::string& cluster, const protocol::ServiceKey& key) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, protocol::ServiceKey>, std::uint32_t> ready_;
};

// Counters the whole simulated fleet shares.
struct FleetCounters {
  std::atomic<std::int64_t> polls_in_flight{0};
  std::atomic<std::int64_t> reports_accepted{0};
  std::atomic<std::int64_t> reports_conflict{0};  // 409: full snapshot asked for
  std::atomic<std::int64_t> reports_failed{0};
  std::atomic<std::int64_t> polls_failed{0};      // network error, 5xx, 429, 4xx
};

// The real HubClient, recording what the benchmark needs to see.
class RecordingHub final : public agent::HubApi {
 public:
  RecordingHub(agent::HubClientOptions options, FleetCounters& counters);
  [[nodiscard]] agent::ReportResult send_report(const protocol::Report& report) override;
  [[nodiscard]] agent::PollResult poll_assignment(std::int64_t after, const std::string& epoch,
                                                  std::chrono::seconds wait) override;
  void cancel() override { client_.cancel(); }

  [[nodiscard]] std::int64_t accepted_applied() const { return accepted_applied_.load(); }
  [[nodiscard]] bool parked() const { return parked_.load(); }

 private:
  agent::HubClient client_;
  FleetCounters& counters_;
  std::atomic<std::int64_t> accepted_applied_{-1};  // applied.revision of the last report answered 200
  std::atomic<bool> parked_{false};
};

struct SimAgentOptions {
  std::string hub_url;
  std::string cluster;
  std::string token;
  std::string ca_file;
  std::chrono::milliseconds report_interval{5000};
  std::uint64_t seed = 1;
};

struct AgentView {
  std::int64_t revision = 0;          // of the last assignment received
  Clock::time_point received_at{};    // when it arrived (the long poll returned and was decoded)
  std::int64_t accepted_applied = -1; // what the hub accepted as applied
  std::size_t watched = 0;
  std::size_t splits = 0;
};

class SimAgent {
 public:
  SimAgent(SimAgentOptions options, const HealthTable& health, agent::AgentMetrics& metrics,
           FleetCounters& counters);
  ~SimAgent();
  SimAgent(const SimAgent&) = delete;
  SimAgent& operator=(const SimAgent&) = delete;

  void start();
  void stop();
  // The health table changed for this cluster: measure and report again.
  void remeasure();

  [[nodiscard]] AgentView view() const;
  [[nodiscard]] bool parked() const { return hub_.parked(); }
  [[nodiscard]] const std::string& cluster() const { return options_.cluster; }

 private:
  void on_assignment(protocol::Assignment&& assignment);
  void report_current();  // mutex_ held

  SimAgentOptions options_;
  const HealthTable& health_;
  RecordingHub hub_;
  agent::Reporter reporter_;
  agent::AssignmentPoller poller_;

  mutable std::mutex mutex_;  // guards the fields below
  std::vector<protocol::ServiceKey> watch_;
  std::int64_t revision_ = 0;
  bool assigned_ = false;
  Clock::time_point received_at_{};
  std::set<protocol::SplitName> splits_;  // assigned TrafficSplits
};

}  // namespace switchyard::bench
