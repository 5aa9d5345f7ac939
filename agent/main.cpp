// switchyard-agent: parses flags and runs the agent (agent_process.h).
#include <CLI/CLI.hpp>

#include <iostream>

#include "switchyard/agent/agent_process.h"
#include "switchyard/telemetry/log.h"

int main(int argc, char** argv) {
  using namespace switchyard;
  using agent::kHubRetryBackoff;
  agent::AgentConfig config;
  std::string log_format = "text";
  std::string log_level = "info";
  std::int64_t report_interval_ms = config.report_interval.count();

  CLI::App app{
      "switchyard-agent: runs in each member cluster. It measures the ready endpoints of the services the hub "
      "asks about (EndpointSlices), reports them to the hub, and applies the SMI TrafficSplits the hub assigns "
      "to this cluster. When the hub is unreachable it keeps what it applied (fail static)."};
  app.add_option("--cluster", config.cluster, "name of this member cluster (its MemberCluster on the hub)")
      ->required();
  app.add_option("--hub", config.hub_url, "URL of the hub's agent API, e.g. https://switchyard-hub.example:8443")
      ->required();
  app.add_option("--token-file", config.token_file, "file holding this cluster's bearer token for the hub")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("--hub-ca", config.hub_ca,
                 "PEM file of the CA that signs the hub's certificate (default: the system's trusted roots)")
      ->check(CLI::ExistingFile);
  app.add_option("--kubeconfig", config.kubeconfig,
                 "kubeconfig of the member cluster (default: $KUBECONFIG, ~/.kube/config, else in-cluster)");
  app.add_option("--context", config.context, "kubeconfig context to use (default: its current-context)");
  app.add_option("--metrics-listen", config.metrics_listen,
                 "address of /metrics (Prometheus), /healthz and /readyz, host:port or :port")
      ->capture_default_str();
  const auto duration = [] {
    return CLI::AsNumberWithUnit(std::map<std::string, std::int64_t>{{"ms", 1}, {"s", 1000}, {"m", 60000}},
                                 static_cast<CLI::AsNumberWithUnit::Options>(CLI::AsNumberWithUnit::CASE_SENSITIVE |
                                                                             CLI::AsNumberWithUnit::UNIT_REQUIRED),
                                 "DURATION");
  };
  app.add_option("--report-interval", report_interval_ms,
                 "longest time between two reports to the hub (heartbeat); changes are reported at once "
                 "(e.g. 5s, 500ms)")
      ->transform(duration())
      ->default_str("5s");
  std::int64_t hub_retry_max_ms = config.hub_retry_max.count();
  app.add_option("--hub-retry-max", hub_retry_max_ms,
                 "longest wait between two attempts to reach an unreachable hub (reports and polls; "
                 "jittered, from 500ms doubling); after a leader change agents get through within it")
      ->transform(duration())
      ->default_str("2s");
  std::int64_t discovery_interval_ms = config.discovery_interval.count();
  app.add_option("--discovery-interval", discovery_interval_ms,
                 "time between two discoveries of the route APIs the cluster serves (TrafficSplit, Gateway API "
                 "and Linkerd HTTPRoute), reported to the hub for spec.output Auto; a 404 from the API "
                 "discovers at once")
      ->transform(duration())
      ->default_str("5m");
  app.add_option("--prometheus-url", config.prometheus.url,
                 "Prometheus that scrapes this cluster's Linkerd proxies, for data-plane checks, e.g. "
                 "http://prometheus.linkerd-viz.svc.cluster.local:9090 (a path prefix is kept)");
  app.add_option("--prometheus-token-file", config.prometheus.token_file,
                 "file holding a bearer token for --prometheus-url, read again for every query")
      ->check(CLI::ExistingFile);
  app.add_option("--prometheus-ca", config.prometheus.ca_file,
                 "PEM file of the CA that signs --prometheus-url's certificate (default: the system's trusted roots)")
      ->check(CLI::ExistingFile);
  std::int64_t data_plane_interval_ms = 5000;
  std::int64_t data_plane_window_ms = 30000;
  app.add_option("--data-plane-interval", data_plane_interval_ms,
                 "time between two data-plane evaluations (one batched query per check kind), with --prometheus-url")
      ->transform(duration())
      ->default_str("5s");
  app.add_option("--data-plane-window", data_plane_window_ms,
                 "rate() window of the data-plane queries for services the hub sends no checks for (an older hub)")
      ->transform(duration())
      ->default_str("30s");
  app.add_option("--latency-quantile", config.data_plane.queries.latency_quantile,
                 "latency quantile measured for services the hub sends no checks for (0.5, 0.9, 0.95 or 0.99)")
      ->check(CLI::IsMember({0.5, 0.9, 0.95, 0.99}))
      ->default_str("none");
  app.add_option("--log-format", log_format, "log format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  app.add_option("--log-level", log_level, "minimum log level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  log::configure(*log::parse_level(log_level), *log::parse_format(log_format));
  if (report_interval_ms <= 0) {
    std::cerr << "--report-interval must be positive\n";
    return 2;
  }
  config.report_interval = std::chrono::milliseconds(report_interval_ms);
  if (hub_retry_max_ms < kHubRetryBackoff.initial.count()) {
    std::cerr << "--hub-retry-max must be at least " << kHubRetryBackoff.initial.count() << "ms\n";
    return 2;
  }
  config.hub_retry_max = std::chrono::milliseconds(hub_retry_max_ms);
  if (discovery_interval_ms < 100) {
    std::cerr << "--discovery-interval must be at least 100ms\n";
    return 2;
  }
  config.discovery_interval = std::chrono::milliseconds(discovery_interval_ms);
  if (data_plane_interval_ms < 100 || data_plane_window_ms < 1000) {
    std::cerr << "--data-plane-interval must be at least 100ms and --data-plane-window at least 1s\n";
    return 2;
  }
  config.data_plane.interval = std::chrono::milliseconds(data_plane_interval_ms);
  config.data_plane.queries.options.window = std::chrono::milliseconds(data_plane_window_ms);
  return agent::run_agent(config);
}
