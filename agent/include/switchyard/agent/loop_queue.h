// Hands work from any thread to a libuv loop thread: a mutex-guarded queue
// plus uv_async_send. The loop drains the whole queue at once, so bursts of
// posts coalesce into one wake-up (libuv async handles merge sends).
//
// Thread-safety: post() from any thread, also after close() (then the work is
// dropped). Construct and close() on the loop thread; the handle is freed in
// its uv_close callback, so the LoopQueue object may be destroyed right after
// close().
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include <uv.h>

namespace switchyard::agent {

class LoopQueue {
 public:
  explicit LoopQueue(uv_loop_t* loop);
  ~LoopQueue();
  LoopQueue(const LoopQueue&) = delete;
  LoopQueue& operator=(const LoopQueue&) = delete;

  void post(std::function<void()> work);
  // Loop thread: stops accepting work and closes the async handle. Work
  // already queued is dropped.
  void close();

 private:
  struct Shared {
    std::mutex mutex;  // guards queue and open
    std::vector<std::function<void()>> queue;
    bool open = true;
    uv_async_t* async = nullptr;  // valid while open
  };
  static void on_async(uv_async_t* handle);

  std::shared_ptr<Shared> shared_;
  uv_async_t* async_ = nullptr;  // owned by libuv until its close callback
};

}  // namespace switchyard::agent
