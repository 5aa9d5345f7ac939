#include "switchyard/agent/agent.h"

#include <random>

#include "switchyard/telemetry/log.h"

namespace switchyard::agent {
namespace {

constexpr std::int64_t kTickMs = 1000;
// /healthz fails when the loop has not ticked for this long.
constexpr std::int64_t kStalledAfterMs = 30'000;
constexpr std::int64_t kWatchWarningEveryMs = 30'000;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string new_agent_id(const std::string& cluster) {
  std::random_device entropy;
  std::uint64_t value = (static_cast<std::uint64_t>(entropy()) << 32) | entropy();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string suffix(16, '0');
  for (auto& digit : suffix) {
    digit = kHex[value & 0xf];
    value >>= 4;
  }
  return cluster + "-" + suffix;
}

Agent::Agent(uv_loop_t* loop, AgentOptions options, HubApi& hub, WatchBackend& watches, TrafficSplitApi& splits,
             AgentMetrics& metrics, ApiDiscoveryApi* discovery)
    : loop_(loop),
      options_(std::move(options)),
      metrics_(metrics),
      queue_(loop),
      view_(watches, [this] { push_report_input(); }),
      reporter_(hub, ReportBuilder(options_.agent_id, options_.agent_version), options_.reporter, metrics,
                [this] { poller_.hub_reachable(); }),
      applier_(splits, options_.applier, metrics,
               [this](protocol::AppliedState applied) {
                 queue_.post([this, applied = std::move(applied)]() mutable { on_applied(std::move(applied)); });
               },
               // A 404 from the API: a CRD may have vanished (or appeared).
               [this] {
                 if (discoverer_) discoverer_->rediscover();
               }),
      poller_(hub, options_.poller, metrics, [this](protocol::Assignment&& assignment) {
        queue_.post([this, assignment = std::move(assignment)]() mutable { on_assignment(std::move(assignment)); });
      }) {
  if (discovery != nullptr) {
    discoverer_ = std::make_unique<RouteDiscoverer>(*discovery, options_.discovery, [this](const RouteDiscovery& found) {
      queue_.post([this, served = found.served] { on_discovered(served); });
    });
  }
}

Agent::~Agent() = default;

void Agent::start() {
  loop_tick_ms_ = steady_ms();
  tick_ = new uv_timer_t;
  uv_timer_init(loop_, tick_);
  tick_->data = this;
  uv_timer_start(tick_, &Agent::on_tick, kTickMs, kTickMs);
  reporter_.start();
  if (discoverer_) discoverer_->start();
  applier_.start();
  poller_.start();
  if (evaluator_) evaluator_->start();
  log::info("agent started; changing nothing until the hub's first assignment",
            {{"agent_id", options_.agent_id}});
}

void Agent::on_tick(uv_timer_t* timer) {
  auto* self = static_cast<Agent*>(timer->data);
  self->loop_tick_ms_ = steady_ms();
  self->check_watches();
}

void Agent::check_watches() {
  // Informers retry quietly; say so when they fail, at most every 30 s.
  const auto failed = view_.failed_requests();
  if (failed > watch_failures_seen_) {
    metrics_.watch_errors.inc(failed - watch_failures_seen_);
    const auto now = steady_ms();
    if (now - watch_warned_at_ms_ >= kWatchWarningEveryMs) {
      watch_warned_at_ms_ = now;
      log::warn("Service/EndpointSlice watches failing; retrying with backoff, measurements kept as last seen",
                {{"failed_requests", std::to_string(failed)}});
    }
  }
  // A namespace watch replaced or dropped takes its count with it.
  watch_failures_seen_ = failed;
}

void Agent::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Writers first so no new hand-off is posted, then the loop's own handles.
  if (evaluator_) evaluator_->stop();  // first: its rounds post to the loop
  if (discoverer_) discoverer_->stop();
  poller_.stop();
  applier_.stop();
  reporter_.stop();
  view_.clear();
  queue_.close();
  if (tick_ != nullptr) {
    uv_timer_stop(tick_);
    uv_close(reinterpret_cast<uv_handle_t*>(tick_), [](uv_handle_t* handle) {
      delete reinterpret_cast<uv_timer_t*>(handle);
    });
    tick_ = nullptr;
  }
  log::info("agent stopped");
}

void Agent::request_stop() {
  queue_.post([this] { stop(); });
}

void Agent::run_on_loop(std::function<void()> work) { queue_.post(std::move(work)); }

void Agent::on_assignment(protocol::Assignment&& assignment) {
  if (stopped_) return;
  revision_ = assignment.revision;
  has_assignment_ = true;
  reporter_.assignment_epoch(assignment.epoch);
  // A delta carries the watch list only when it changed.
  if (assignment.watch_changed) {
    metrics_.watched_services.set(static_cast<double>(assignment.watch.size()));
    view_.set_watch(assignment.watch, assignment.checks);
  }
  applier_.submit({assignment.revision, assignment.full, std::move(assignment.traffic_splits),
                   std::move(assignment.removed_traffic_splits)});
  push_report_input();
}

void Agent::on_applied(protocol::AppliedState applied) {
  if (stopped_) return;
  applied_ = std::move(applied);
  push_report_input();
}

void Agent::push_report_input() {
  if (stopped_ || !revision_) return;
  const bool synced = view_.synced();
  watches_synced_ = synced;
  // The first report waits until every watched namespace has listed, so it
  // is a complete snapshot; later ones carry what has synced.
  if (!reported_once_ && !synced) return;
  // ... and, with discovery, until the cluster's route APIs are known: a
  // full report without `outputs` would tell the hub this agent writes
  // TrafficSplits only.
  if (!reported_once_ && discoverer_ && !outputs_) return;
  reported_once_ = true;
  auto measured = view_.measure();
  for (const auto& [key, values] : data_plane_) {
    if (auto found = measured.find(key); found != measured.end()) found->second.data_plane = values;
  }
  reporter_.update({std::move(measured), applied_, data_plane_round_, outputs_});
  if (evaluator_) evaluator_->set_workloads(view_.workloads());
}

void Agent::enable_data_plane(std::unique_ptr<PrometheusApi> prometheus, DataPlaneOptions options) {
  evaluator_ = std::make_unique<DataPlaneEvaluator>(
      std::move(prometheus), std::move(options), metrics_, [this](DataPlaneRound round) {
        queue_.post([this, round = std::move(round)]() mutable { on_data_plane(std::move(round)); });
      });
}

void Agent::on_data_plane(DataPlaneRound&& round) {
  if (stopped_) return;
  data_plane_ = std::move(round.measured);
  const auto number = data_plane_round_ ? data_plane_round_->evaluation + 1 : 1;
  const auto at = std::chrono::duration_cast<std::chrono::milliseconds>(round.evaluated_at.time_since_epoch());
  data_plane_round_ = protocol::Report::DataPlaneRound{number, at.count()};
  push_report_input();
}

void Agent::on_discovered(protocol::ServedApis served) {
  if (stopped_) return;
  outputs_ = served;
  push_report_input();
}

telemetry::Probe Agent::liveness() const {
  const auto silent = steady_ms() - loop_tick_ms_.load();
  if (silent > kStalledAfterMs) return {false, "event loop stalled for " + std::to_string(silent) + " ms"};
  return {};
}

telemetry::Probe Agent::readiness() const {
  if (!has_assignment_) return {false, "no assignment received from the hub yet"};
  if (!watches_synced_) return {false, "watches of the assigned services have not synced yet"};
  return {};
}

}  // namespace switchyard::agent
