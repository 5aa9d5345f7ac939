// Hands work from any thread to one libuv loop thread: a mutex-guarded queue
// of closures plus a uv_async_t. Sends coalesce; the loop runs everything
// queued at once, in the order it was posted. Used by the informer and the
// leader elector, whose API calls run on their own threads, and by the agent,
// whose hub client and split applier report back from theirs.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include <uv.h>

namespace switchyard::kube {

class LoopMailbox {
 public:
  // Loop thread only.
  explicit LoopMailbox(uv_loop_t* loop);
  // Closes the handle if close() was not called (loop thread).
  ~LoopMailbox();
  LoopMailbox(const LoopMailbox&) = delete;
  LoopMailbox& operator=(const LoopMailbox&) = delete;

  // Any thread. Dropped after close().
  void post(std::function<void()> work);

  // Loop thread: drops what is queued and closes the async handle (freed in
  // its close callback, so the loop must run once more before uv_loop_close).
  // Nothing posted runs after this returns.
  void close();

  // Loop thread: runs what is queued now (the async callback does the same).
  void run_queued();

 private:
  static void on_async(uv_async_t* handle);

  uv_async_t* async_;      // owned until uv_close's callback frees it
  std::mutex mutex_;       // guards queue_ and closed_
  std::vector<std::function<void()>> queue_;
  bool closed_ = false;
};

}  // namespace switchyard::kube
