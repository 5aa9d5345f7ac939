// Hands the process's free heap pages back to the kernel after it has grown.
//
// glibc gives threads their own malloc arenas and returns memory to the
// kernel only from the top of each: what a burst of requests frees in the
// middle of an arena stays resident for good, pinned by the few allocations
// that live on around it. malloc_trim(0) releases every whole free page in
// every arena, but it is not cheap: it takes each arena's lock in turn and
// re-advises every free chunk, released before or not (3-15 ms in the hub
// with 1,000 agents; a failover that met one waited for it). So it runs on
// a thread of its own, looks every `interval`, and releases only when the
// resident size has grown by `min_growth_bytes` since the last release (or
// since it last shrank on its own).
//
// Threads: one background thread from start() until stop() (or destruction).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace switchyard::telemetry {

// This process's resident memory in bytes (/proc/self/statm); 0 if unknown.
[[nodiscard]] std::int64_t resident_bytes();

class FreeMemoryReleaser {
 public:
  FreeMemoryReleaser(std::chrono::milliseconds interval, std::int64_t min_growth_bytes)
      : interval_(interval), min_growth_bytes_(min_growth_bytes) {}
  ~FreeMemoryReleaser() { stop(); }
  FreeMemoryReleaser(const FreeMemoryReleaser&) = delete;
  FreeMemoryReleaser& operator=(const FreeMemoryReleaser&) = delete;

  // The resident size now is the first baseline.
  void start();
  void stop();
  // Completed releases, and intervals looked at, so far.
  [[nodiscard]] std::uint64_t releases() const;
  [[nodiscard]] std::uint64_t checks() const;

 private:
  void run();

  const std::chrono::milliseconds interval_;
  const std::int64_t min_growth_bytes_;
  mutable std::mutex mutex_;  // guards stopping_, releases_, checks_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t releases_ = 0;
  std::uint64_t checks_ = 0;
  std::thread thread_;
};

}  // namespace switchyard::telemetry
