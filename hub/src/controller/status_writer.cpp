#include "switchyard/hub/status_writer.h"

#include <algorithm>

#include "switchyard/telemetry/log.h"

namespace switchyard::hub {
namespace {

const char* outcome_name(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::Written: return "written";
    case WriteOutcome::Gone: return "gone";
    case WriteOutcome::Retryable: return "retryable_error";
    case WriteOutcome::Refused: return "refused";
  }
  return "unknown";
}

}  // namespace

const char* to_string(WriteKind kind) {
  switch (kind) {
    case WriteKind::FailoverServiceStatus: return "failoverservice_status";
    case WriteKind::MemberClusterStatus: return "membercluster_status";
  }
  return "unknown";
}

StatusWriter::StatusWriter(StatusApi& api, HubMetrics& metrics, StatusWriterOptions options)
    : api_(api), metrics_(metrics), options_(options) {}

StatusWriter::~StatusWriter() { stop(std::chrono::milliseconds(0)); }

void StatusWriter::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void StatusWriter::submit(StatusWrite write) {
  Key key{write.kind, write.namespace_name, write.name};
  std::lock_guard lock(mutex_);
  auto [it, inserted] = pending_.try_emplace(key);
  if (inserted) {
    order_.push_back(key);
    it->second.not_before = Clock::now();
  }
  // The newest status replaces a waiting one, keeping its place in line (and
  // its backoff, so a failing object cannot jump the queue by changing).
  it->second.write = std::move(write);
  show_pending();
  changed_.notify_all();
}

void StatusWriter::stop(std::chrono::milliseconds drain_for) {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    drain_deadline_ = Clock::now() + drain_for;
    changed_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool StatusWriter::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return pending_.empty() && !in_flight_; });
}

void StatusWriter::show_pending() {
  metrics_.status_writes_pending.set(static_cast<double>(pending_.size() + (in_flight_ ? 1 : 0)));
}

void StatusWriter::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    const auto now = Clock::now();
    if (stopping_ && (pending_.empty() || now >= drain_deadline_)) break;
    auto ready = std::find_if(order_.begin(), order_.end(),
                              [&](const Key& key) { return pending_.at(key).not_before <= now; });
    if (ready == order_.end()) {
      auto wake = stopping_ ? drain_deadline_ : Clock::time_point::max();
      for (const auto& [key, pending] : pending_) wake = std::min(wake, pending.not_before);
      if (wake == Clock::time_point::max()) {
        changed_.wait(lock);
      } else {
        changed_.wait_until(lock, wake);
      }
      continue;
    }
    const Key key = *ready;
    order_.erase(ready);
    auto node = pending_.extract(key);
    Pending job = std::move(node.mapped());
    in_flight_ = true;
    lock.unlock();

    std::string error;
    const auto outcome = api_.write_status(job.write, error);
    metrics_.api_writes(to_string(job.write.kind), outcome_name(outcome)).inc();
    if (outcome == WriteOutcome::Refused) {
      log::error("status write refused", {{"object", job.write.namespace_name + "/" + job.write.name},
                                          {"kind", to_string(job.write.kind)}, {"error", error}});
    } else if (outcome == WriteOutcome::Retryable) {
      log::warn("status write failed; will retry", {{"object", job.write.namespace_name + "/" + job.write.name},
                                                    {"kind", to_string(job.write.kind)}, {"error", error}});
    }

    lock.lock();
    in_flight_ = false;
    if (outcome == WriteOutcome::Retryable && pending_.count(key) == 0 && !stopping_) {
      job.backoff = job.backoff.count() == 0 ? options_.retry_initial : std::min(job.backoff * 2, options_.retry_max);
      job.not_before = Clock::now() + job.backoff;
      order_.push_back(key);
      pending_.emplace(key, std::move(job));
    }
    show_pending();
    changed_.notify_all();
  }
}

}  // namespace switchyard::hub
