#include "switchyard/agent/agent_process.h"

#include <csignal>
#include <random>

#include <uv.h>

#include "switchyard/agent/agent.h"
#include "switchyard/agent/kube_ports.h"
#include "switchyard/agent/prometheus_client.h"
#include "switchyard/kube/config.h"
#include "switchyard/telemetry/health_server.h"
#include "switchyard/telemetry/log.h"
#include "switchyard/telemetry/process_metrics.h"
#include "token_file.h"

namespace switchyard::agent {
namespace {

struct Signals {
  uv_signal_t term{};
  uv_signal_t interrupt{};
  Agent* agent = nullptr;

  void start(uv_loop_t* loop, Agent& owner) {
    agent = &owner;
    for (auto* handle : {&term, &interrupt}) {
      uv_signal_init(loop, handle);
      handle->data = this;
    }
    uv_signal_start(&term, &Signals::on_signal, SIGTERM);
    uv_signal_start(&interrupt, &Signals::on_signal, SIGINT);
  }
  static void on_signal(uv_signal_t* handle, int signum) {
    auto* self = static_cast<Signals*>(handle->data);
    log::info("stopping", {{"signal", signum == SIGTERM ? "SIGTERM" : "SIGINT"}});
    self->agent->stop();
    for (auto* signal : {&self->term, &self->interrupt}) {
      uv_signal_stop(signal);
      uv_close(reinterpret_cast<uv_handle_t*>(signal), nullptr);
    }
  }
};

}  // namespace

int run_agent(const AgentConfig& config) {
  std::string error;
  std::string token;
  if (!read_token_file(config.token_file, token, error)) {
    error = "--token-file " + error;
    log::error("cannot start", {{"error", error}});
    return 1;
  }
  if (config.hub_url.rfind("http://", 0) == 0) {
    log::warn("talking to the hub over plain HTTP: the bearer token travels unencrypted; use https outside "
              "development");
  }
  // The Prometheus flags are checked now so that a wrong URL or token file
  // stops the agent at start, not at its first check.
  std::unique_ptr<PrometheusClient> prometheus;
  if (!config.prometheus.url.empty()) {
    auto created = PrometheusClient::create(config.prometheus);
    if (const auto* failure = std::get_if<std::string>(&created)) {
      log::error("cannot start", {{"error", *failure}});
      return 1;
    }
    prometheus = std::move(std::get<std::unique_ptr<PrometheusClient>>(created));
  }
  auto kube_config = kube::load_config(config.kubeconfig, config.context);
  if (!kube_config) {
    log::error("cannot load the member cluster's Kubernetes configuration",
               {{"error", kube_config.error().to_string()}});
    return 1;
  }
  // Names the binary in the API server's audit log (and in RBAC checks).
  kube_config.value().user_agent = std::string("switchyard-agent/") + SWITCHYARD_VERSION;
  kube::Client kube_client(std::move(kube_config).value());

  uv_loop_t loop;
  uv_loop_init(&loop);
  metrics::Registry registry;
  AgentMetrics metrics(registry);
  metrics::export_process_metrics(registry);
  metrics::export_build_info(registry, "switchyard_agent_build_info", SWITCHYARD_VERSION, SWITCHYARD_REVISION);

  HubClientOptions hub_options;
  hub_options.hub_url = config.hub_url;
  hub_options.cluster = config.cluster;
  hub_options.token = token;
  hub_options.ca_file = config.hub_ca;
  HubClient hub(hub_options);
  KubeWatchBackend watches(kube_client, &loop);
  KubeTrafficSplitApi splits(kube_client);
  KubeApiDiscovery discovery(kube_client);

  std::random_device entropy;
  AgentOptions options;
  options.agent_id = new_agent_id(config.cluster);
#ifdef SWITCHYARD_VERSION
  options.agent_version = SWITCHYARD_VERSION;
#endif
  options.poller.poll_wait = config.poll_wait;
  options.poller.seed = entropy();
  options.reporter.interval = config.report_interval;
  options.reporter.seed = entropy();
  options.poller.backoff.max = options.reporter.backoff.max = config.hub_retry_max;
  options.applier.seed = entropy();
  options.discovery.interval = config.discovery_interval;
  options.discovery.seed = entropy();

  auto agent = std::make_unique<Agent>(&loop, options, hub, watches, splits, metrics, &discovery);
  if (prometheus) agent->enable_data_plane(std::move(prometheus), config.data_plane);
  telemetry::HealthServer health(
      registry, [&agent] { return agent->liveness(); }, [&agent] { return agent->readiness(); });
  if (!health.start(config.metrics_listen, error)) {
    log::error("cannot serve metrics", {{"listen", config.metrics_listen}, {"error", error}});
    agent.reset();
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_loop_close(&loop);
    return 1;
  }
  log::info("serving /metrics, /healthz and /readyz", {{"port", std::to_string(health.port())}});

  Signals signals;
  signals.start(&loop, *agent);
  agent->start();
  log::info("agent running", {{"cluster", config.cluster}, {"hub", config.hub_url}});
  uv_run(&loop, UV_RUN_DEFAULT);

  health.stop();
  agent.reset();
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
  return 0;
}

}  // namespace switchyard::agent
