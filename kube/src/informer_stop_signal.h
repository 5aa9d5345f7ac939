// A stop flag a worker thread can sleep on: waits end early when it is raised.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace switchyard::kube {

class StopSignal {
 public:
  void raise() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      flag_ = true;
    }
    changed_.notify_all();
  }
  [[nodiscard]] bool raised() const { return flag_.load(); }
  // For APIs that poll an atomic (Client::watch).
  [[nodiscard]] const std::atomic<bool>& flag() const { return flag_; }
  // Sleeps for `duration` or until raised; returns whether it was raised.
  bool wait_for(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, duration, [this] { return flag_.load(); });
  }

 private:
  std::atomic<bool> flag_{false};
  std::mutex mutex_;  // pairs with changed_; flag_ is set under it so no wake-up is lost
  std::condition_variable changed_;
};

}  // namespace switchyard::kube
