#include "switchyard/agent/loop_queue.h"

namespace switchyard::agent {

LoopQueue::LoopQueue(uv_loop_t* loop) : shared_(std::make_shared<Shared>()) {
  async_ = new uv_async_t;
  shared_->async = async_;
  // The handle holds its own reference to the queue, so a callback that
  // runs after the LoopQueue object is gone still finds it.
  async_->data = new std::shared_ptr<Shared>(shared_);
  uv_async_init(loop, async_, &LoopQueue::on_async);
}

LoopQueue::~LoopQueue() { close(); }

void LoopQueue::post(std::function<void()> work) {
  // Under the lock: close() flips `open` under it before closing the handle,
  // so the handle is alive whenever `open` is seen true.
  std::lock_guard lock(shared_->mutex);
  if (!shared_->open) return;
  shared_->queue.push_back(std::move(work));
  uv_async_send(shared_->async);
}

void LoopQueue::close() {
  if (async_ == nullptr) return;
  {
    std::lock_guard lock(shared_->mutex);
    shared_->open = false;
    shared_->queue.clear();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(async_), [](uv_handle_t* handle) {
    delete static_cast<std::shared_ptr<Shared>*>(handle->data);
    delete reinterpret_cast<uv_async_t*>(handle);
  });
  async_ = nullptr;
}

void LoopQueue::on_async(uv_async_t* handle) {
  auto& shared = *static_cast<std::shared_ptr<Shared>*>(handle->data);
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(shared->mutex);
    batch.swap(shared->queue);
  }
  for (auto& work : batch) {
    // Work may close the queue (stop); what remains of the batch is dropped.
    {
      std::lock_guard lock(shared->mutex);
      if (!shared->open) return;
    }
    work();
  }
}

}  // namespace switchyard::agent
