#include "switchyard/hub/decision_loop.h"

#include <algorithm>

#include "switchyard/kube/loop_mailbox.h"

namespace switchyard::hub {

DecisionLoop::DecisionLoop(uv_loop_t* loop, std::function<TimeMs()> now)
    : now_(std::move(now)), arrivals_(std::make_unique<kube::LoopMailbox>(loop)) {
  uv_timer_init(loop, &batch_timer_);
  batch_timer_.data = this;
  uv_timer_init(loop, &deadline_timer_);
  deadline_timer_.data = this;
}

DecisionLoop::~DecisionLoop() = default;

void DecisionLoop::attach(DecisionWork* work) {
  work_ = work;
  schedule_flush();
}

void DecisionLoop::schedule_flush() {
  if (flush_pending_ || closed_) return;
  flush_pending_ = true;
  uv_timer_start(&batch_timer_, &DecisionLoop::on_timer, 0, 0);
}

void DecisionLoop::deliver(const std::string& cluster, protocol::Report&& report,
                           std::chrono::system_clock::time_point received_at) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(received_at.time_since_epoch()).count();
  // Sends coalesce: one wake-up runs every report queued so far, and the
  // flush they schedule runs once after all of them.
  arrivals_->post([this, cluster, report = std::move(report), ms]() mutable {
    if (work_ == nullptr) return;
    work_->report_received(cluster, std::move(report), ms);
    schedule_flush();
  });
}

void DecisionLoop::on_timer(uv_timer_t* handle) {
  static_cast<DecisionLoop*>(handle->data)->flush_now();
}

void DecisionLoop::flush_now() {
  flush_pending_ = false;
  uv_timer_stop(&batch_timer_);
  if (work_ == nullptr || closed_) return;
  const auto now = now_();
  work_->flush(now);
  ++flushes_;
  if (auto deadline = work_->next_deadline(now)) {
    const auto delay = static_cast<std::uint64_t>(std::max<TimeMs>(0, *deadline - now));
    // A deadline that falls due between ms ticks still runs: at least 1 ms.
    uv_timer_start(&deadline_timer_, &DecisionLoop::on_timer, std::max<std::uint64_t>(delay, 1), 0);
  } else {
    uv_timer_stop(&deadline_timer_);
  }
}

void DecisionLoop::close() {
  if (closed_) return;
  closed_ = true;
  arrivals_->close();
  uv_close(reinterpret_cast<uv_handle_t*>(&batch_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&deadline_timer_), nullptr);
}

}  // namespace switchyard::hub
