// The switchyard-agent process: loads the credentials and the member cluster's
// kubeconfig, wires the real hub client and Kubernetes ports to the Agent,
// serves /metrics, /healthz and /readyz, and runs until SIGTERM or SIGINT.
#pragma once

#include <chrono>
#include <string>

#include "switchyard/agent/backoff.h"
#include "switchyard/agent/data_plane_evaluator.h"
#include "switchyard/agent/prometheus_client.h"

namespace switchyard::agent {

struct AgentConfig {
  std::string cluster;     // MemberCluster name this agent speaks for
  std::string hub_url;     // https://hub:8443 (http:// for local development only)
  std::string token_file;  // bearer token bound to `cluster`
  std::string hub_ca;      // PEM bundle that signs the hub's certificate; empty: system roots
  std::string kubeconfig;  // member cluster; empty with `context` empty: $KUBECONFIG, ~/.kube/config, in-cluster
  std::string context;
  std::string metrics_listen = ":9091";
  std::chrono::milliseconds report_interval{5000};
  std::chrono::seconds poll_wait{30};
  // Longest wait between two attempts to reach an unreachable hub (reports
  // and polls alike); kHubRetryBackoff explains the default.
  std::chrono::milliseconds hub_retry_max = kHubRetryBackoff.max;
  std::chrono::milliseconds discovery_interval{300'000};  // route API discovery (docs/outputs.md)
  PrometheusConfig prometheus;  // url empty: no data-plane measurements
  DataPlaneOptions data_plane{std::chrono::milliseconds(5000), {{}, 0.99}};
};

// Blocks until stopped by a signal. Returns the process exit code: 0 after a
// clean stop, 1 when it could not start (the reason is logged).
[[nodiscard]] int run_agent(const AgentConfig& config);

}  // namespace switchyard::agent
