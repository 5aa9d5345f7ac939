#include "connection_pool.h"

#include <algorithm>

namespace switchyard::devcluster {

namespace {
thread_local bool serving_over_limit = false;
}  // namespace

ConnectionPool::ConnectionPool(std::size_t max_connections, std::size_t overflow,
                               std::chrono::milliseconds idle_linger)
    : max_connections_(max_connections), overflow_(overflow), idle_linger_(idle_linger) {}

ConnectionPool::~ConnectionPool() { shutdown(); }

bool ConnectionPool::over_limit() { return serving_over_limit; }

std::size_t ConnectionPool::threads() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return threads_.size() - finished_.size();
}

void ConnectionPool::enqueue(std::function<void()> connection) {
  std::unique_lock<std::mutex> lock(mutex_);
  join_finished();
  Task task{std::move(connection), connections_ >= max_connections_};
  ++connections_;
  if (idle_ > 0) {
    // A lingering thread takes it; an over-limit connection beyond the
    // overflow allowance waits in the queue like any other.
    queued_.push_back(std::move(task));
    wake_.notify_one();
    return;
  }
  std::size_t running = threads_.size() - finished_.size();
  if (running >= max_connections_ + overflow_ || (task.over_limit && over_running_ >= overflow_)) {
    queued_.push_back(std::move(task));
    return;
  }
  threads_.emplace_back([this, first = std::move(task)]() mutable { work(std::move(first)); });
}

void ConnectionPool::work(Task task) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (task.over_limit) ++over_running_;
    lock.unlock();
    serving_over_limit = task.over_limit;
    task.run();
    serving_over_limit = false;
    task.run = nullptr;  // releases what the connection captured before waiting
    lock.lock();
    if (task.over_limit) --over_running_;
    --connections_;
    ++idle_;
    bool woken = wake_.wait_for(lock, idle_linger_, [this] { return !queued_.empty() || shutdown_; });
    --idle_;
    if (!woken || queued_.empty()) break;
    task = std::move(queued_.front());
    queued_.pop_front();
  }
  finished_.push_back(std::this_thread::get_id());
  wake_.notify_all();  // shutdown() waits for the last thread
}

void ConnectionPool::join_finished() {
  if (finished_.empty()) return;
  auto done = [this](const std::thread& t) {
    return std::find(finished_.begin(), finished_.end(), t.get_id()) != finished_.end();
  };
  std::vector<std::thread> ended;
  for (auto it = threads_.begin(); it != threads_.end();) {
    if (done(*it)) {
      ended.push_back(std::move(*it));
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
  finished_.clear();
  // A finished thread only has to return from work(): joining is immediate.
  for (auto& t : ended) t.join();
}

void ConnectionPool::shutdown() {
  std::unique_lock<std::mutex> lock(mutex_);
  shutdown_ = true;
  wake_.notify_all();
  // Queued connections still run (httplib's own pool does the same): a
  // thread that finishes one takes the next before it sees shutdown_.
  while (!queued_.empty() && idle_ == 0 && threads_.size() == finished_.size()) {
    Task task = std::move(queued_.front());
    queued_.pop_front();
    threads_.emplace_back([this, first = std::move(task)]() mutable { work(std::move(first)); });
  }
  wake_.wait(lock, [this] { return threads_.size() == finished_.size(); });
  join_finished();
}

}  // namespace switchyard::devcluster
