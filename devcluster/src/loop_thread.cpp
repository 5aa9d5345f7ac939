#include "loop_thread.h"

namespace switchyard::devcluster {

LoopThread::LoopThread() {
  uv_loop_init(&loop_);
  wake_.data = this;
  uv_async_init(&loop_, &wake_, &LoopThread::on_wake);
  thread_ = std::thread([this] { uv_run(&loop_, UV_RUN_DEFAULT); });
}

LoopThread::~LoopThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  uv_async_send(&wake_);
  thread_.join();
  uv_loop_close(&loop_);
}

void LoopThread::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  uv_async_send(&wake_);
}

void LoopThread::on_wake(uv_async_t* handle) { static_cast<LoopThread*>(handle->data)->run_queued(); }

void LoopThread::run_queued() {
  for (;;) {
    std::vector<std::function<void()>> batch;
    bool stopping = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch.swap(queue_);
      stopping = stopping_;
    }
    if (batch.empty()) {
      // Closing the only handle lets uv_run return, which ends the thread.
      if (stopping) uv_close(reinterpret_cast<uv_handle_t*>(&wake_), nullptr);
      return;
    }
    for (auto& task : batch) task();
  }
}

}  // namespace switchyard::devcluster
