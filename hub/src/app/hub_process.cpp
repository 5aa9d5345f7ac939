#include "switchyard/hub/hub_process.h"

#include <unistd.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <random>

#include "kube_writes.h"
#include "switchyard/hub/agent_api_server.h"
#include "switchyard/hub/controller.h"
#include "switchyard/hub/decision_loop.h"
#include "switchyard/hub/objects.h"
#include "switchyard/hub/status_writer.h"
#include "switchyard/kube/client.h"
#include "switchyard/kube/config.h"
#include "switchyard/kube/informer.h"
#include "switchyard/kube/leader_election.h"
#include "switchyard/kube/resource.h"
#include "switchyard/telemetry/free_memory_releaser.h"
#include "switchyard/telemetry/health_server.h"
#include "switchyard/telemetry/log.h"
#include "switchyard/telemetry/process_metrics.h"

namespace switchyard::hub {
namespace {

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string default_identity() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device random;
  return std::string(host.data()) + "_" + std::to_string(random() % 1000000);
}

enum class Feed { FailoverServices, MemberClusters, Secrets };

class HubProcess;

// Hands one informer's events to the process on the loop thread.
class FeedHandler final : public kube::InformerHandler {
 public:
  FeedHandler(Feed feed, HubProcess& process) : feed_(feed), process_(process) {}
  void on_add(const kube::ObjectPtr& object) override;
  void on_update(const kube::ObjectPtr& old, const kube::ObjectPtr& now) override;
  void on_delete(const kube::ObjectPtr& last) override;
  void on_synced() override;

 private:
  Feed feed_;
  HubProcess& process_;
};

class HubProcess {
 public:
  explicit HubProcess(const HubConfig& config) : config_(config), hub_metrics_(registry_) {
    metrics::export_process_metrics(registry_);
    metrics::export_build_info(registry_, "switchyard_hub_build_info", SWITCHYARD_VERSION, SWITCHYARD_REVISION);
  }

  int run();
  void changed(Feed feed, const kube::Object& object);
  void deleted(Feed feed, const kube::Object& object);
  void synced();

 private:
  bool start(std::string& error);
  void maybe_start_deciding();
  void lost_leadership();
  void shutdown(int exit_code);
  void apply(Controller& controller, Feed feed, const kube::Object& object, TimeMs now);

  static void on_signal(uv_signal_t* handle, int signum);
  static void on_tick(uv_timer_t* handle);

  const HubConfig& config_;
  uv_loop_t loop_{};
  metrics::Registry registry_;
  HubMetrics hub_metrics_;
  TokenRegistry tokens_;
  AgentSessions sessions_;
  AssignmentBoard board_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> synced_all_{false};
  std::atomic<TimeMs> last_tick_{0};
  std::size_t events_written_ = 0;  // recorder totals already counted
  std::size_t events_failed_ = 0;
  bool leading_ = false;
  bool stopping_ = false;
  int exit_code_ = 0;

  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<DecisionLoop> decisions_;
  std::unique_ptr<KubeStatusApi> status_api_;
  std::unique_ptr<StatusWriter> status_writer_;
  std::unique_ptr<kube::EventRecorder> recorder_;
  std::unique_ptr<KubeEventSink> event_sink_;
  std::unique_ptr<AgentApiServer> agent_api_;
  std::unique_ptr<telemetry::HealthServer> health_;
  telemetry::FreeMemoryReleaser memory_releaser_{std::chrono::seconds(30), 16 << 20};
  std::unique_ptr<FeedHandler> fos_feed_, member_feed_, secret_feed_;
  std::unique_ptr<kube::Informer> fos_informer_, member_informer_, secret_informer_;
  std::unique_ptr<kube::LeaderElector> elector_;
  std::unique_ptr<Controller> controller_;
  uv_signal_t sigterm_{}, sigint_{};
  uv_timer_t tick_{};
};

void FeedHandler::on_add(const kube::ObjectPtr& object) { process_.changed(feed_, *object); }
void FeedHandler::on_update(const kube::ObjectPtr&, const kube::ObjectPtr& now) { process_.changed(feed_, *now); }
void FeedHandler::on_delete(const kube::ObjectPtr& last) { process_.deleted(feed_, *last); }
void FeedHandler::on_synced() { process_.synced(); }

int HubProcess::run() {
  uv_loop_init(&loop_);
  std::string error;
  if (!start(error)) {
    log::error("switchyard-hub cannot start", {{"error", error}});
    exit_code_ = 1;
    shutdown(1);
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
  if (uv_loop_close(&loop_) != 0) log::warn("loop closed with open handles");
  log::info("stopped", {{"exit_code", std::to_string(exit_code_)}});
  return exit_code_;
}

bool HubProcess::start(std::string& error) {
  auto config = kube::load_config(config_.kubeconfig, config_.context);
  if (!config.ok()) {
    error = "kubeconfig: " + config.error().to_string();
    return false;
  }
  log::info("management cluster", {{"server", config.value().server}, {"source", config.value().source}});
  // Names the binary in the API server's audit log (and in RBAC checks).
  config.value().user_agent = std::string("switchyard-hub/") + SWITCHYARD_VERSION;
  client_ = std::make_unique<kube::Client>(std::move(config).value());

  uv_signal_init(&loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_start(&sigterm_, &HubProcess::on_signal, SIGTERM);
  uv_signal_init(&loop_, &sigint_);
  sigint_.data = this;
  uv_signal_start(&sigint_, &HubProcess::on_signal, SIGINT);
  uv_timer_init(&loop_, &tick_);
  tick_.data = this;
  last_tick_ = wall_ms();
  uv_timer_start(&tick_, &HubProcess::on_tick, 1000, 1000);

  decisions_ = std::make_unique<DecisionLoop>(&loop_, wall_ms);
  status_api_ = std::make_unique<KubeStatusApi>(*client_);
  status_writer_ = std::make_unique<StatusWriter>(*status_api_, hub_metrics_);
  recorder_ = std::make_unique<kube::EventRecorder>(*client_, "switchyard-hub", config_.identity);
  event_sink_ = std::make_unique<KubeEventSink>(*recorder_);

  health_ = std::make_unique<telemetry::HealthServer>(
      registry_,
      [this] {
        const bool alive = wall_ms() - last_tick_.load() < 10'000;
        return telemetry::Probe{alive, alive ? "" : "the hub's loop is stuck"};
      },
      [this] {
        if (!synced_all_) return telemetry::Probe{false, "informers have not synced yet"};
        if (!serving_) return telemetry::Probe{false, "not the leader"};
        return telemetry::Probe{true, ""};
      });
  if (!health_->start(config_.metrics_listen, error)) {
    error = "--metrics-listen " + config_.metrics_listen + ": " + error;
    return false;
  }
  log::info("metrics listening", {{"port", std::to_string(health_->port())}});
  // With a thousand agents' requests freeing memory on the pool's threads,
  // this took 50 MiB off the hub's resident size (docs/benchmarks.md). A
  // release holds each arena, the decision loop's too, for up to 15 ms: every
  // 10 s, the 10,000 FailoverService failover bench's p99 went from 28 to
  // 51 ms; looking every 30 s and releasing only after 16 MiB of growth kept
  // both (276 MiB, p99 16.6 ms).
  memory_releaser_.start();

  AgentApiOptions api_options;
  api_options.tls_cert_file = config_.tls_cert;
  api_options.tls_key_file = config_.tls_key;
  // Every agent parks one long poll; the margin covers agents whose old
  // poll is still parked while they reconnect (a closed one is dropped at
  // once). The same number of unauthenticated connections lets every agent
  // reconnect at once after a hub restart.
  api_options.caps.parked = config_.max_agents + 32;
  api_options.caps.unauthenticated = config_.max_agents;
  api_options.io_threads = config_.agent_api_threads;
  agent_api_ = std::make_unique<AgentApiServer>(api_options, tokens_, sessions_, board_, *decisions_, registry_,
                                                [this] { return serving_.load(); });
  std::string host;
  int port = 0;
  if (!telemetry::split_listen_address(config_.listen, host, port)) {
    error = "--listen " + config_.listen + ": expected host:port or :port";
    return false;
  }
  if (!agent_api_->start(host, port, error)) return false;
  log::info("agent API listening",
            {{"port", std::to_string(agent_api_->port())}, {"tls", agent_api_->tls() ? "true" : "false"}});

  fos_feed_ = std::make_unique<FeedHandler>(Feed::FailoverServices, *this);
  member_feed_ = std::make_unique<FeedHandler>(Feed::MemberClusters, *this);
  secret_feed_ = std::make_unique<FeedHandler>(Feed::Secrets, *this);
  kube::InformerOptions fos_options;
  fos_options.resource = kube::kFailoverServices;
  fos_informer_ = std::make_unique<kube::Informer>(*client_, &loop_, fos_options, *fos_feed_);
  kube::InformerOptions member_options;
  member_options.resource = kube::kMemberClusters;
  member_informer_ = std::make_unique<kube::Informer>(*client_, &loop_, member_options, *member_feed_);
  kube::InformerOptions secret_options;
  secret_options.resource = kube::kSecrets;
  secret_options.namespace_name = config_.namespace_name;
  secret_informer_ = std::make_unique<kube::Informer>(*client_, &loop_, secret_options, *secret_feed_);
  fos_informer_->start();
  member_informer_->start();
  secret_informer_->start();

  if (config_.leader_elect) {
    kube::LeaderElectionOptions election;
    election.lease_namespace = config_.namespace_name;
    election.lease_name = config_.lease_name;
    election.identity = config_.identity;
    election.lease_duration = config_.lease_duration;
    election.renew_deadline = config_.renew_deadline;
    election.retry_period = config_.retry_period;
    elector_ = std::make_unique<kube::LeaderElector>(
        *client_, &loop_, election,
        [this] {
          log::info("started leading", {{"identity", config_.identity}});
          leading_ = true;
          maybe_start_deciding();
        },
        [this] { lost_leadership(); });
    elector_->start();
  } else {
    leading_ = true;
  }
  return true;
}

void HubProcess::synced() {
  if (!fos_informer_->synced() || !member_informer_->synced() || !secret_informer_->synced()) return;
  if (!synced_all_.exchange(true)) log::info("informers synced");
  maybe_start_deciding();
}

// Decide only with the whole picture: a partial list would publish
// assignments without some FailoverServices, and agents would delete their
// TrafficSplits.
void HubProcess::maybe_start_deciding() {
  if (stopping_ || controller_ || !leading_ || !synced_all_) return;
  const auto now = wall_ms();
  controller_ = std::make_unique<Controller>(
      ControllerOptions{now, config_.cluster_timeout},
      ControllerOutputs{board_, tokens_, sessions_, *status_writer_, *event_sink_, hub_metrics_});
  for (const auto& object : member_informer_->list()) apply(*controller_, Feed::MemberClusters, *object, now);
  for (const auto& object : secret_informer_->list()) apply(*controller_, Feed::Secrets, *object, now);
  for (const auto& object : fos_informer_->list()) apply(*controller_, Feed::FailoverServices, *object, now);
  status_writer_->start();
  decisions_->attach(controller_.get());
  serving_ = true;
  hub_metrics_.leader.set(1);
  log::info("deciding and serving agents", {{"failoverservices", std::to_string(fos_informer_->list().size())},
                                            {"memberclusters", std::to_string(member_informer_->list().size())}});
}

void HubProcess::apply(Controller& controller, Feed feed, const kube::Object& object, TimeMs now) {
  const auto& json = object.json();
  switch (feed) {
    case Feed::FailoverServices:
      if (auto fos = read_failover_service(json)) controller.failover_service_changed(*fos, now);
      return;
    case Feed::MemberClusters:
      if (auto member = read_member_cluster(json)) controller.member_cluster_changed(*member, now);
      return;
    case Feed::Secrets:
      if (auto secret = read_secret(json)) controller.secret_changed(*secret);
      return;
  }
}

void HubProcess::changed(Feed feed, const kube::Object& object) {
  if (!controller_ || stopping_) return;  // replayed from the informers' stores when deciding starts
  apply(*controller_, feed, object, wall_ms());
  decisions_->schedule_flush();
}

void HubProcess::deleted(Feed feed, const kube::Object& object) {
  if (!controller_ || stopping_) return;
  const std::string ns(object.namespace_name());
  const std::string name(object.name());
  switch (feed) {
    case Feed::FailoverServices: controller_->failover_service_deleted({ns, name}); break;
    case Feed::MemberClusters: controller_->member_cluster_deleted(name, wall_ms()); break;
    case Feed::Secrets: controller_->secret_deleted(ns, name); break;
  }
  decisions_->schedule_flush();
}

void HubProcess::lost_leadership() {
  serving_ = false;
  hub_metrics_.leader.set(0);
  if (!leading_ || stopping_) return;
  leading_ = false;
  // Another hub decides now; this one's state is stale. Exit and let the
  // Deployment restart it as a follower (as client-go controllers do).
  log::error("lost leadership; exiting", {{"identity", config_.identity}});
  shutdown(2);
}

void HubProcess::on_signal(uv_signal_t* handle, int signum) {
  log::info("stopping", {{"signal", signum == SIGTERM ? "SIGTERM" : "SIGINT"}});
  static_cast<HubProcess*>(handle->data)->shutdown(0);
}

void HubProcess::on_tick(uv_timer_t* handle) {
  auto& self = *static_cast<HubProcess*>(handle->data);
  self.last_tick_ = wall_ms();
  self.hub_metrics_.parked_polls.set(static_cast<double>(self.board_.parked()));
  // The recorder writes Events on its own thread; carry its totals into the
  // writes-by-kind counter.
  if (self.recorder_) {
    const auto written = self.recorder_->written();
    const auto failed = self.recorder_->failed();
    self.hub_metrics_.api_writes("event", "written").inc(written - self.events_written_);
    self.hub_metrics_.api_writes("event", "failed").inc(failed - self.events_failed_);
    self.events_written_ = written;
    self.events_failed_ = failed;
  }
}

void HubProcess::shutdown(int exit_code) {
  if (stopping_) return;
  stopping_ = true;
  exit_code_ = exit_code;
  serving_ = false;
  // Agents first (they get 503 / connection refused and retry elsewhere),
  // then the last writes, then the lease, so no write follows the release.
  log::debug("shutdown: agent API");
  if (agent_api_) agent_api_->stop();
  if (decisions_) {
    decisions_->attach(nullptr);
    decisions_->close();
  }
  log::debug("shutdown: status writes");
  if (status_writer_) status_writer_->stop(std::chrono::seconds(2));
  log::debug("shutdown: events");
  if (recorder_) recorder_->stop();
  log::debug("shutdown: lease");
  if (elector_) elector_->stop();
  log::debug("shutdown: informers");
  for (auto* informer : {fos_informer_.get(), member_informer_.get(), secret_informer_.get()}) {
    if (informer != nullptr) informer->stop();
  }
  log::debug("shutdown: metrics server");
  if (health_) health_->stop();
  memory_releaser_.stop();
  for (auto* handle : {reinterpret_cast<uv_handle_t*>(&sigterm_), reinterpret_cast<uv_handle_t*>(&sigint_),
                       reinterpret_cast<uv_handle_t*>(&tick_)}) {
    if (uv_is_active(handle) != 0 || handle->loop == &loop_) {
      if (uv_is_closing(handle) == 0) uv_close(handle, nullptr);
    }
  }
}

}  // namespace

int run_hub(const HubConfig& config) {
  HubConfig resolved = config;
  if (resolved.identity.empty()) resolved.identity = default_identity();
  HubProcess process(resolved);
  return process.run();
}

}  // namespace switchyard::hub
