// Drives a DecisionWork (the Controller) on the hub's libuv loop: reports
// arrive from HTTP threads through a kube::LoopMailbox (a mutex-guarded queue
// and uv_async_send); informer events arrive on the loop thread and call
// schedule_flush(). Either way the work is batched: everything that arrived
// in one loop iteration is followed by one flush (one engine.evaluate()), and
// one timer is armed at the work's next deadline.
//
// Threads: deliver() from any thread; everything else on the loop thread.
// Lifetime: call close() on the loop thread and let the loop run its close
// callbacks before destroying the object.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <uv.h>

#include "switchyard/hub/agent_api_server.h"
#include "switchyard/hub/controller.h"

namespace switchyard::kube {
class LoopMailbox;
}

namespace switchyard::hub {

class DecisionLoop final : public ReportInbox {
 public:
  // `now` is the hub's clock in ms since the epoch (a fake in tests).
  DecisionLoop(uv_loop_t* loop, std::function<TimeMs()> now);
  ~DecisionLoop() override;
  DecisionLoop(const DecisionLoop&) = delete;
  DecisionLoop& operator=(const DecisionLoop&) = delete;

  // From now on reports and flushes go to `work` (nullptr: dropped, as on a
  // follower). Schedules a first flush.
  void attach(DecisionWork* work);
  // Something arrived on the loop thread: flush once this iteration is done.
  void schedule_flush();
  void deliver(const std::string& cluster, protocol::Report&& report,
               std::chrono::system_clock::time_point received_at) override;
  void close();

  [[nodiscard]] std::size_t flushes() const { return flushes_; }

 private:
  static void on_timer(uv_timer_t* handle);
  void flush_now();

  std::function<TimeMs()> now_;
  DecisionWork* work_ = nullptr;
  std::unique_ptr<kube::LoopMailbox> arrivals_;  // reports from HTTP threads
  uv_timer_t batch_timer_{};     // 0 ms: runs after everything of this iteration
  uv_timer_t deadline_timer_{};  // the work's next deadline
  bool closed_ = false;          // loop thread only
  bool flush_pending_ = false;
  std::size_t flushes_ = 0;
};

}  // namespace switchyard::hub
