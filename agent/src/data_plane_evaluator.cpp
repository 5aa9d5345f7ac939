#include "switchyard/agent/data_plane_evaluator.h"

#include "switchyard/telemetry/log.h"

namespace switchyard::agent {

protocol::DataPlaneMeasurement to_report(const DataPlaneMeasurement& measured) {
  protocol::DataPlaneMeasurement out;
  out.request_rate = measured.request_rate;
  out.success_rate = measured.success_rate.value;
  out.latency_ms = measured.latency_ms.value;
  if (measured.latency_within_share.value) {
    out.latency_within_share = measured.latency_within_share.value;
    out.latency_within_ms = measured.latency_within_ms;
  }
  // Any check's error makes the measurement an error: a half-measured
  // service must not pass on the half that answered.
  out.error = measured.success_rate.error;
  const auto add_error = [&out](const std::string& error) {
    if (!error.empty()) out.error += (out.error.empty() ? "" : "; ") + error;
  };
  add_error(measured.latency_ms.error);
  add_error(measured.latency_within_share.error);
  for (const auto& [name, value] : measured.queries) {
    add_error(value.error);
    if (value.value) out.queries.emplace(name, *value.value);
  }
  if (!out.error.empty()) {
    protocol::DataPlaneMeasurement failed;
    failed.error = std::move(out.error);
    out = std::move(failed);
  }
  return protocol::round_data_plane(std::move(out));
}

DataPlaneEvaluator::DataPlaneEvaluator(std::unique_ptr<PrometheusApi> prometheus, DataPlaneOptions options,
                                       AgentMetrics& metrics, std::function<void(DataPlaneRound)> done)
    : prometheus_(std::move(prometheus)), options_(std::move(options)), metrics_(metrics), done_(std::move(done)) {}

DataPlaneEvaluator::~DataPlaneEvaluator() { stop(); }

void DataPlaneEvaluator::start() { thread_ = std::thread([this] { run(); }); }

void DataPlaneEvaluator::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DataPlaneEvaluator::set_workloads(std::vector<WatchedWorkload> workloads) {
  std::lock_guard lock(mutex_);
  workloads_ = std::move(workloads);
}

void DataPlaneEvaluator::run() {
  using Clock = std::chrono::steady_clock;
  auto next = Clock::now() + options_.interval;
  bool failing = false;  // logged on change only: a down Prometheus is one line, not one per round
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait_until(lock, next, [this] { return stopping_; });
    if (stopping_) return;
    // Rounds keep their cadence whatever one costs, without piling up
    // behind a slow Prometheus.
    next = std::max(next + options_.interval, Clock::now());
    const auto workloads = workloads_;
    lock.unlock();

    DataPlaneRound round;
    round.evaluated_at = std::chrono::system_clock::now();
    if (!workloads.empty()) {
      const auto started = Clock::now();
      const auto measured = evaluate_data_plane(*prometheus_, workloads, options_.queries, round.evaluated_at);
      metrics_.data_plane_seconds.observe(std::chrono::duration<double>(Clock::now() - started).count());
      bool failed = false;
      for (const auto& m : measured) {
        const auto reported = to_report(m);
        failed = failed || (!m.request_rate && !reported.error.empty());
        round.measured.emplace(protocol::ServiceKey{m.watched.namespace_, m.watched.service, protocol::ServiceRole::Local},
                               reported);
      }
      if (failed) {
        metrics_.data_plane_query_errors.inc();
        if (!failing) {
          log::warn("data-plane evaluation failed; checks are Unknown and move no traffic",
                    {{"error", round.measured.begin()->second.error}});
        }
      } else if (failing) {
        log::info("data-plane evaluation works again");
      }
      failing = failed;
    }
    metrics_.data_plane_evaluations.inc();
    done_(std::move(round));
    lock.lock();
  }
}

}  // namespace switchyard::agent
