// The switchyard-hub process: informers on the management cluster feed the
// Controller on one libuv loop; the agent API, the status writer, the event
// recorder and the metrics server run beside it; with leader election only
// the leader decides, serves agents and writes.
//
// main.cpp parses flags into a HubConfig and calls run_hub().
#pragma once

#include <chrono>
#include <string>

namespace switchyard::hub {

struct HubConfig {
  std::string kubeconfig;  // both empty: in-cluster configuration
  std::string context;
  std::string namespace_name = "switchyard-system";  // token Secrets and the Lease
  std::string listen = ":8443";                      // agent API
  std::string tls_cert, tls_key;
  bool insecure_listen = false;  // plain HTTP for the agent API (development only)
  std::string metrics_listen = ":9090";
  bool leader_elect = false;
  std::string lease_name = "switchyard-hub";
  std::string identity;  // empty: hostname plus a random suffix
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  std::chrono::milliseconds cluster_timeout{15'000};
  // Agents served at once (--max-agents): the agent API parks at most this
  // many long polls (plus a margin for agents reconnecting), and keeps at most
  // as many unauthenticated connections; a parked poll costs memory, not a
  // thread.
  std::size_t max_agents = 1024;
  // Threads running the agent API's event loop (--agent-api-threads).
  int agent_api_threads = 2;
};

// Runs until SIGTERM/SIGINT (exit code 0) or a fatal error (logged; non-zero:
// 1 for a failure at start, 2 when leadership is lost).
[[nodiscard]] int run_hub(const HubConfig& config);

}  // namespace switchyard::hub
