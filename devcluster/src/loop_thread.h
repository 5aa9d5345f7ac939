// A libuv loop on its own thread that owns the server's mutable state. Other
// threads (httplib's workers, watch streams) hand it work with post() or
// call(); the loop drains the whole queue on each wake-up, so bursts of posts
// coalesce into one uv_async_send round.
#pragma once

#include <uv.h>

#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace switchyard::devcluster {

class LoopThread {
 public:
  LoopThread();
  ~LoopThread();  // runs what is queued, then stops and joins the thread
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // Runs `task` on the loop thread later. Safe from any thread.
  void post(std::function<void()> task);

  // Runs `task` on the loop thread and waits for its result. Must not be
  // called from the loop thread itself (it would wait for itself).
  template <typename Task>
  auto call(Task&& task) -> std::invoke_result_t<Task&> {
    using Result = std::invoke_result_t<Task&>;
    std::promise<Result> done;
    auto result = done.get_future();
    post([&task, &done] {
      if constexpr (std::is_void_v<Result>) {
        task();
        done.set_value();
      } else {
        done.set_value(task());
      }
    });
    return result.get();
  }

  [[nodiscard]] bool on_loop_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  static void on_wake(uv_async_t* handle);
  void run_queued();

  uv_loop_t loop_{};
  uv_async_t wake_{};
  std::mutex mutex_;  // guards queue_ and stopping_
  std::vector<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchyard::devcluster
