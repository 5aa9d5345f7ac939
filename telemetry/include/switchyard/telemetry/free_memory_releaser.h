// Hands the process's free heap pages back to the kernel now and then.
//
// glibc gives threads their own malloc arenas and returns memory to the
// kernel only from the top of each: what a burst of requests frees in the
// middle of an arena stays resident for good, pinned by the few allocations
// that live on around it. malloc_trim(0) releases every whole free page in
// every arena. It takes each arena's lock in turn and ran 3-15 ms in the hub
// with 1,000 agents, so it runs on a thread of its own, never on a loop that
// decides.
//
// Threads: one background thread from start() until stop() (or destruction).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace switchyard::telemetry {

class FreeMemoryReleaser {
 public:
  explicit FreeMemoryReleaser(std::chrono::milliseconds interval) : interval_(interval) {}
  ~FreeMemoryReleaser() { stop(); }
  FreeMemoryReleaser(const FreeMemoryReleaser&) = delete;
  FreeMemoryReleaser& operator=(const FreeMemoryReleaser&) = delete;

  void start();
  void stop();
  // Completed releases so far.
  [[nodiscard]] std::uint64_t releases() const;

 private:
  void run();

  const std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;  // guards stopping_, releases_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t releases_ = 0;
  std::thread thread_;
};

}  // namespace switchyard::telemetry
