#include "switchyard/kube/loop_mailbox.h"

namespace switchyard::kube {

LoopMailbox::LoopMailbox(uv_loop_t* loop) : async_(new uv_async_t) {
  uv_async_init(loop, async_, &LoopMailbox::on_async);
  async_->data = this;
}

LoopMailbox::~LoopMailbox() { close(); }

void LoopMailbox::post(std::function<void()> work) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  queue_.push_back(std::move(work));
  // Under the lock so close() cannot free the handle between the push and the send.
  uv_async_send(async_);
}

void LoopMailbox::run_queued() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    batch.swap(queue_);
  }
  for (auto& work : batch) {
    // A closure may close the mailbox (a handler stopping its informer);
    // closed_ is written only on this thread, so reading it here is safe.
    if (closed_) return;
    work();
  }
}

void LoopMailbox::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    queue_.clear();
  }
  async_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
}

void LoopMailbox::on_async(uv_async_t* handle) {
  if (auto* mailbox = static_cast<LoopMailbox*>(handle->data)) mailbox->run_queued();
}

}  // namespace switchyard::kube
