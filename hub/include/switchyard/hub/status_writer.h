// The writer thread: status writes leave the loop thread through this queue
// so a slow or failing API server never stalls decisions.
//
// Coalescing: the queue holds at most one write per object; a newer status
// for the same object replaces one still waiting, so the newest wins and a
// burst of decisions costs one write. Retryable failures are retried with
// capped exponential backoff unless a newer status arrived meanwhile.
//
// Thread-safe: submit() from any thread (the loop thread in practice);
// start()/stop() from the owning thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "switchyard/hub/hub_metrics.h"
#include "switchyard/hub/writes.h"

namespace switchyard::hub {

struct StatusWriterOptions {
  std::chrono::milliseconds retry_initial{500};
  std::chrono::milliseconds retry_max{30'000};
};

class StatusWriter final : public StatusSink {
 public:
  StatusWriter(StatusApi& api, HubMetrics& metrics, StatusWriterOptions options = {});
  ~StatusWriter() override;
  StatusWriter(const StatusWriter&) = delete;
  StatusWriter& operator=(const StatusWriter&) = delete;

  void start();
  void submit(StatusWrite write) override;
  // Keeps writing what is queued for up to `drain_for`, then joins the thread.
  void stop(std::chrono::milliseconds drain_for = std::chrono::seconds(2));

  // True once nothing is queued or being written, waiting up to `timeout`.
  [[nodiscard]] bool wait_idle(std::chrono::milliseconds timeout);

 private:
  using Key = std::tuple<WriteKind, std::string, std::string>;
  using Clock = std::chrono::steady_clock;
  struct Pending {
    StatusWrite write;
    Clock::time_point not_before;
    std::chrono::milliseconds backoff{0};
  };

  void run();
  void show_pending();  // mutex_ held

  StatusApi& api_;
  HubMetrics& metrics_;
  StatusWriterOptions options_;
  std::thread thread_;
  mutable std::mutex mutex_;  // guards pending_, order_, in_flight_, stopping_, drain_deadline_
  std::condition_variable changed_;
  std::map<Key, Pending> pending_;
  std::deque<Key> order_;  // oldest first; one entry per key in pending_
  bool in_flight_ = false;
  bool stopping_ = false;
  Clock::time_point drain_deadline_;
};

}  // namespace switchyard::hub
