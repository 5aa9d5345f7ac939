#include "switchyard/agent/reporter.h"

#include <chrono>

#include "switchyard/telemetry/log.h"

namespace switchyard::agent {

Reporter::Reporter(HubApi& hub, ReportBuilder builder, ReporterOptions options, AgentMetrics& metrics,
                   std::function<void()> on_reachable_again)
    : hub_(hub),
      builder_(std::move(builder)),
      options_(options),
      metrics_(metrics),
      on_reachable_again_(std::move(on_reachable_again)) {}

Reporter::~Reporter() { stop(); }

void Reporter::start() { thread_ = std::thread([this] { run(); }); }

void Reporter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  hub_.cancel();
  if (thread_.joinable()) thread_.join();
}

void Reporter::update(ReportInput input) {
  {
    std::lock_guard lock(mutex_);
    input_ = std::move(input);
    ++input_version_;
  }
  wake_.notify_all();
}

void Reporter::assignment_epoch(const std::string& epoch) {
  {
    std::lock_guard lock(mutex_);
    if (epoch == hub_epoch_) return;
    if (!hub_epoch_.empty()) full_requested_ = true;
    hub_epoch_ = epoch;
    hub_answered_ = true;
  }
  wake_.notify_all();
}

void Reporter::run() {
  using Clock = std::chrono::steady_clock;
  Backoff backoff(options_.backoff, options_.seed);
  std::uint64_t sent_version = 0;
  auto next_heartbeat = Clock::now();
  bool retrying = false;
  int duplicates = 0;  // answers in a row that the hub did not apply the report
  // The hub's word on when to come back after a refusal; negative: it said nothing.
  std::chrono::milliseconds retry_after{-1};
  std::unique_lock lock(mutex_);
  while (true) {
    if (retrying) {
      // A failed send: wait out the backoff (or what the hub asked for)
      // whatever changes meanwhile.
      // A hub process that just answered a poll (a new leader, a restarted
      // hub) ends the wait: it is reachable, and every second this report
      // waits is a second its cluster counts as silent there.
      const auto delay = retry_after.count() >= 0 ? backoff.next_after(retry_after) : backoff.next();
      wake_.wait_for(lock, delay, [this] { return stopping_ || hub_answered_; });
      if (stopping_) return;
      if (hub_answered_) backoff.reset();
    } else {
      wake_.wait_until(lock, next_heartbeat, [&] {
        return stopping_ || (input_ && input_version_ != sent_version);
      });
      if (stopping_) return;
      if (!input_) {
        next_heartbeat = Clock::now() + options_.interval;
        continue;
      }
      if (input_version_ == sent_version && Clock::now() < next_heartbeat) continue;
    }
    if (stopping_) return;
    if (!input_) continue;
    const auto version = input_version_;
    hub_answered_ = false;
    if (full_requested_) {
      builder_.require_full();
      full_requested_ = false;
    }
    if (hub_.may_have_missed_hub()) builder_.require_full();
    auto report = builder_.next(input_->measured, input_->applied, input_->outputs);
    report.data_plane = input_->data_plane;
    lock.unlock();

    const auto started = Clock::now();
    const auto result = hub_.send_report(report);
    metrics_.report_latency.observe(std::chrono::duration<double>(Clock::now() - started).count());

    lock.lock();
    if (stopping_) return;
    switch (result.outcome) {
      case HubOutcome::Ok:
        if (result.answer == protocol::ReportOutcome::Duplicate) {
          // Not applied: the baseline stays, so the next delta carries these
          // changes again; past the limit, the hub's sequence is not ours.
          metrics_.reports_duplicate.inc();
          if (++duplicates >= options_.full_after_duplicates) {
            builder_.require_full();
            duplicates = 0;
            log::warn("the hub took this agent's last reports for resends; sending a full snapshot now",
                      {{"seq", std::to_string(report.seq)}});
          }
        } else {
          builder_.accepted(report);
          metrics_.reports_ok.inc();
          duplicates = 0;
        }
        metrics_.hub_connected.set(1);
        if (retrying) {
          log::info("hub reachable again; full snapshot accepted");
          if (on_reachable_again_) on_reachable_again_();
        }
        retrying = false;
        retry_after = std::chrono::milliseconds(-1);
        backoff.reset();
        sent_version = version;
        // A full snapshot due (see above) goes at once.
        next_heartbeat = builder_.full_required() ? Clock::now() : Clock::now() + options_.interval;
        break;
      case HubOutcome::NeedFullSnapshot:
        builder_.require_full();
        metrics_.reports_resync.inc();
        metrics_.hub_connected.set(1);
        // Answer at once with a full snapshot, but a hub that keeps refusing
        // full snapshots too is backed off from.
        retrying = report.full;
        retry_after = std::chrono::milliseconds(-1);
        if (!retrying) next_heartbeat = Clock::now();
        sent_version = version - 1;  // send again now
        log::info("hub asked for a full snapshot", {{"detail", result.detail}});
        break;
      case HubOutcome::Unchanged:
      case HubOutcome::Rejected:
      case HubOutcome::Unavailable:
        builder_.require_full();
        metrics_.reports_failed.inc();
        metrics_.hub_connected.set(0);
        if (!retrying) log::warn("report not delivered; retrying with backoff", {{"error", result.detail}});
        retrying = true;
        retry_after = result.retry_after ? std::chrono::milliseconds(*result.retry_after) : std::chrono::milliseconds(-1);
        break;
    }
  }
}

}  // namespace switchyard::agent
