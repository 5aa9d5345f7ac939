#include "watcher.h"

namespace switchyard::devcluster {

const char* event_type_name(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "ERROR";
}

Watcher::Watcher(std::string storage_key, std::string namespace_name, std::size_t max_queued)
    : storage_key_(std::move(storage_key)), namespace_name_(std::move(namespace_name)), max_queued_(max_queued) {}

void Watcher::push(const Event& event) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    if (queue_.size() >= max_queued_) {
      overflowed_ = true;
      closed_ = true;
    } else {
      queue_.push_back(event);
    }
  }
  ready_.notify_one();
}

void Watcher::close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  ready_.notify_one();
}

bool Watcher::take(std::vector<Event>& out, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, wait, [this] { return !queue_.empty() || closed_; });
  while (!queue_.empty()) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return !(closed_ && out.empty());
}

bool Watcher::overflowed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return overflowed_;
}

}  // namespace switchyard::devcluster
