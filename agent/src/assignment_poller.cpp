#include "switchyard/agent/assignment_poller.h"

#include "switchyard/telemetry/log.h"

namespace switchyard::agent {

AssignmentPoller::AssignmentPoller(HubApi& hub, PollerOptions options, AgentMetrics& metrics,
                                   std::function<void(protocol::Assignment&&)> on_assignment)
    : hub_(hub), options_(options), metrics_(metrics), on_assignment_(std::move(on_assignment)) {}

AssignmentPoller::~AssignmentPoller() { stop(); }

void AssignmentPoller::start() { thread_ = std::thread([this] { run(); }); }

void AssignmentPoller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  hub_.cancel();
  if (thread_.joinable()) thread_.join();
}

void AssignmentPoller::hub_reachable() {
  {
    std::lock_guard lock(mutex_);
    hub_reachable_ = true;
  }
  wake_.notify_all();
}

bool AssignmentPoller::wait_or_stop(std::chrono::milliseconds delay, Backoff& backoff) {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, delay, [this] { return stopping_.load() || hub_reachable_; });
  if (hub_reachable_) backoff.reset();
  return stopping_;
}

void AssignmentPoller::run() {
  Backoff backoff(options_.backoff, options_.seed);
  std::int64_t after = 0;  // 0: no assignment yet, the hub answers at once
  std::string epoch;       // of the hub process that numbered `after`
  while (!stopping_) {
    {
      // Only a report that gets through after this poll fails cuts its
      // backoff short; an older one says nothing about this failure.
      std::lock_guard lock(mutex_);
      hub_reachable_ = false;
    }
    auto result = hub_.poll_assignment(after, epoch, options_.poll_wait);
    if (stopping_) return;
    switch (result.outcome) {
      case HubOutcome::Ok:
        backoff.reset();
        metrics_.hub_connected.set(1);
        after = result.assignment->revision;
        epoch = result.assignment->epoch;
        metrics_.assignment_revision.set(static_cast<double>(after));
        log::info("assignment received", {{"revision", std::to_string(after)},
                                          {"full", result.assignment->full ? "true" : "false"},
                                          {"trafficsplits", std::to_string(result.assignment->traffic_splits.size())}});
        on_assignment_(std::move(*result.assignment));
        break;
      case HubOutcome::Unchanged:
        backoff.reset();
        metrics_.hub_connected.set(1);
        break;
      case HubOutcome::NeedFullSnapshot:
      case HubOutcome::Rejected:
      case HubOutcome::Unavailable: {
        metrics_.hub_connected.set(0);
        const auto delay = result.retry_after ? backoff.next_after(*result.retry_after) : backoff.next();
        log::warn("assignment poll failed; keeping what is applied",
                  {{"error", result.detail}, {"retry_in_ms", std::to_string(delay.count())}});
        if (wait_or_stop(delay, backoff)) return;
        break;
      }
    }
  }
}

}  // namespace switchyard::agent
