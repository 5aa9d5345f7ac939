#include "switchyard/telemetry/free_memory_releaser.h"

#include <malloc.h>

namespace switchyard::telemetry {

void FreeMemoryReleaser::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void FreeMemoryReleaser::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::uint64_t FreeMemoryReleaser::releases() const {
  std::lock_guard lock(mutex_);
  return releases_;
}

void FreeMemoryReleaser::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    malloc_trim(0);
    lock.lock();
    ++releases_;
  }
}

}  // namespace switchyard::telemetry
