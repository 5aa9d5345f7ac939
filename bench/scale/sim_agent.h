// One simulated member cluster for the hub scale benchmark, on the load
// generator's event loop: the agent's side of docs/protocol.md over ONE
// kept-alive TLS connection (hub_link.h) carrying its reports and its long
// poll, with the real agent's ReportBuilder and Backoff. No Kubernetes API
// behind it: what a real agent reads from EndpointSlices comes from a shared
// HealthTable, for exactly the services the hub's `watch` list names, and
// TrafficSplits are "applied" at once (the applied revision reported is the
// one received).
//
// As the real agent (issue 18 item 2), it sends a full snapshot whenever it
// may have missed a hub: a new connection (the hub may have restarted or
// another replica may lead) or a new epoch in an assignment; so a hub
// restart costs it no 409.
//
// start(), stop(), remeasure(), view(), parked() may be called from any
// thread; the rest runs on the loop's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "hub_link.h"
#include "switchyard/agent/backoff.h"
#include "switchyard/agent/report_builder.h"

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
  std::atomic<std::int64_t> reports_full{0};      // full snapshots sent
  std::atomic<std::int64_t> reports_conflict{0};  // 409: full snapshot asked for
  std::atomic<std::int64_t> reports_failed{0};    // no answer, 5xx, 429, other 4xx
  std::atomic<std::int64_t> polls_failed{0};
  std::atomic<std::int64_t> connections{0};       // opened, all agents
  // TrafficSplits a real agent would have written (created, changed or
  // deleted) after its first assignment.
  std::atomic<std::int64_t> route_writes{0};
};

struct SimAgentOptions {
  std::string cluster;
  std::string token;
  std::chrono::milliseconds report_interval{5000};
  std::chrono::seconds poll_wait{30};
  std::uint64_t seed = 1;
};

struct AgentView {
  std::int64_t revision = 0;          // of the last assignment received
  Clock::time_point received_at{};    // when it arrived (the long poll returned and was decoded)
  std::int64_t accepted_applied = -1; // what the hub accepted as applied
  Clock::time_point accepted_at{};    // when that report was answered
  std::size_t watched = 0;
  std::size_t splits = 0;
};

class SimAgent : public std::enable_shared_from_this<SimAgent> {
 public:
  SimAgent(net::any_io_executor executor, net::ssl::context& tls, HubLink::PickEndpoint pick_endpoint,
           SimAgentOptions options, const HealthTable& health, FleetCounters& counters);

  void start();
  void stop();
  // The health table changed for this cluster: measure and report again.
  void remeasure();

  [[nodiscard]] AgentView view() const;
  [[nodiscard]] bool parked() const { return polling_.load(); }
  [[nodiscard]] const std::string& cluster() const { return options_.cluster; }

 private:
  void poll();
  void on_poll(HubAnswer answer);
  void apply(protocol::Assignment&& assignment);
  void retry_poll(const HubAnswer& answer);
  void report();
  void on_report(HubAnswer answer, const protocol::Report& report, std::uint64_t generation);
  void retry_report(const HubAnswer& answer);
  void heartbeat_after(std::chrono::milliseconds delay);
  std::chrono::milliseconds delay_after(agent::Backoff& backoff, const HubAnswer& answer);

  SimAgentOptions options_;
  const HealthTable& health_;
  FleetCounters& counters_;
  std::shared_ptr<HubLink> link_;
  net::steady_timer heartbeat_;
  net::steady_timer poll_retry_;
  agent::ReportBuilder builder_;
  agent::Backoff report_backoff_;
  agent::Backoff poll_backoff_;
  bool stopped_ = false;
  bool assigned_ = false;
  bool report_in_flight_ = false;
  bool report_again_ = false;     // something changed while a report was in flight
  std::uint64_t reported_on_ = 0; // the link generation the last accepted report went on
  std::string epoch_;
  std::vector<protocol::ServiceKey> watch_;
  std::map<protocol::SplitName, std::string> splits_;  // assigned TrafficSplits, as objects
  std::atomic<bool> polling_{false};

  mutable std::mutex view_mutex_;  // guards view_ (read by the bench's thread)
  AgentView view_;
};

}  // namespace switchyard::bench
