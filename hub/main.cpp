// switchyard-hub: parses flags and runs the hub (hub_process.h).
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "switchyard/hub/agent_api_server.h"
#include "switchyard/hub/hub_process.h"
#include "switchyard/telemetry/log.h"

int main(int argc, char** argv) {
  using namespace switchyard;
  hub::HubConfig config;
  std::string log_format = "text";
  std::string log_level = "info";
  std::int64_t cluster_timeout_ms = config.cluster_timeout.count();
  std::int64_t lease_duration_ms = config.lease_duration.count();
  std::int64_t renew_deadline_ms = config.renew_deadline.count();
  std::int64_t retry_period_ms = config.retry_period.count();
  const auto duration = [] {
    return CLI::AsNumberWithUnit(std::map<std::string, std::int64_t>{{"ms", 1}, {"s", 1000}, {"m", 60000}},
                                 static_cast<CLI::AsNumberWithUnit::Options>(CLI::AsNumberWithUnit::CASE_SENSITIVE |
                                                                               CLI::AsNumberWithUnit::UNIT_REQUIRED),
                                 "DURATION");
  };

  CLI::App app{
      "switchyard-hub: the multi-cluster failover controller on the management cluster. It reads FailoverServices "
      "and MemberClusters, hears the agents' health reports, decides, writes status and Events, and hands each "
      "agent its TrafficSplits."};
  app.add_option("--kubeconfig", config.kubeconfig,
                 "kubeconfig of the management cluster (default: $KUBECONFIG, ~/.kube/config, else in-cluster)");
  app.add_option("--context", config.context, "kubeconfig context to use (default: its current-context)");
  app.add_option("--namespace", config.namespace_name,
                 "namespace of the agents' token Secrets and of the leader-election Lease")
      ->capture_default_str();
  app.add_option("--listen", config.listen, "agent API address, host:port or :port (port 0 picks one)")
      ->capture_default_str();
  app.add_option("--tls-cert", config.tls_cert, "PEM certificate (chain) of the agent API");
  app.add_option("--tls-key", config.tls_key, "PEM private key of the agent API");
  app.add_flag("--insecure-listen", config.insecure_listen,
               "serve the agent API over plain HTTP (development only; logs a warning)");
  app.add_option("--metrics-listen", config.metrics_listen,
                 "address of /metrics (Prometheus), /healthz and /readyz")
      ->capture_default_str();
  app.add_flag("--leader-elect", config.leader_elect,
               "run for leadership on a Lease; only the leader decides, writes and serves agents");
  app.add_option("--leader-elect-lease-name", config.lease_name, "name of the Lease in --namespace")
      ->capture_default_str();
  app.add_option("--leader-elect-identity", config.identity, "this hub's identity in the Lease (default: hostname_N)");
  app.add_option("--leader-elect-lease-duration", lease_duration_ms,
                 "how long followers wait before taking an unrenewed Lease (e.g. 15s)")
      ->transform(duration())
      ->default_str("15s");
  app.add_option("--leader-elect-renew-deadline", renew_deadline_ms,
                 "how long the leader keeps trying to renew before giving up leadership (e.g. 10s)")
      ->transform(duration())
      ->default_str("10s");
  app.add_option("--leader-elect-retry-period", retry_period_ms, "how often candidates and the leader act (e.g. 2s)")
      ->transform(duration())
      ->default_str("2s");
  app.add_option("--cluster-timeout", cluster_timeout_ms,
                 "a MemberCluster whose agent has not reported for this long is shown Connected=False (e.g. 15s)")
      ->transform(duration())
      ->default_str("15s");
  app.add_option("--max-agents", config.max_agents,
                 "agents the agent API serves at once: at most this many long polls park (plus 32), and "
                 "as many connections may wait unauthenticated")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--agent-api-threads", config.agent_api_threads,
                 "threads running the agent API's event loop, whatever the number of agents")
      ->check(CLI::Range(1, hub::kMaxAgentApiThreads))
      ->capture_default_str();
  app.add_option("--log-format", log_format, "log format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  app.add_option("--log-level", log_level, "minimum log level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  // A peer closing mid-write must cost a failed write, not the process.
  std::signal(SIGPIPE, SIG_IGN);

  log::configure(*log::parse_level(log_level), *log::parse_format(log_format));
  config.cluster_timeout = std::chrono::milliseconds(cluster_timeout_ms);
  config.lease_duration = std::chrono::milliseconds(lease_duration_ms);
  config.renew_deadline = std::chrono::milliseconds(renew_deadline_ms);
  config.retry_period = std::chrono::milliseconds(retry_period_ms);
  if (config.cluster_timeout.count() <= 0) {
    std::cerr << "--cluster-timeout must be positive\n";
    return 2;
  }
  if (config.insecure_listen) {
    if (!config.tls_cert.empty() || !config.tls_key.empty()) {
      std::cerr << "--insecure-listen cannot be combined with --tls-cert/--tls-key\n";
      return 2;
    }
    log::warn("agent API serves plain HTTP (--insecure-listen): bearer tokens travel unencrypted; "
              "use --tls-cert/--tls-key outside development");
  } else if (config.tls_cert.empty() || config.tls_key.empty()) {
    std::cerr << "--tls-cert and --tls-key are required (or --insecure-listen for local development)\n";
    return 2;
  }
  return hub::run_hub(config);
}
