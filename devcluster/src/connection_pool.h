// httplib's task queue for the devcluster: one thread per open connection,
// started when a connection arrives and kept a few seconds after it closes
// for the next one.
//
// httplib serves a connection on one thread from accept to close: a watch,
// an idle keep-alive connection and a client that never sends its request
// each hold a thread for as long as they last. A fixed pool (256 threads
// before) meant 256 watches or 300 idle connections left nothing for other
// requests, which then hung. Here threads grow with connections up to
// `max_connections`; past it, up to `overflow` further connections are still
// read, but only to be told 429 (ConnectionPool::over_limit), and the rest
// wait for a thread.
//
// Thread-safe; httplib calls enqueue() from its accept thread and shutdown()
// once at the end.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace switchyard::devcluster {

class ConnectionPool : public httplib::TaskQueue {
 public:
  ConnectionPool(std::size_t max_connections, std::size_t overflow,
                 std::chrono::milliseconds idle_linger = std::chrono::seconds(5));
  ~ConnectionPool() override;  // shuts down if httplib did not

  void enqueue(std::function<void()> connection) override;
  // Waits for every connection to finish and every thread to end.
  void shutdown() override;

  // True on a thread serving a connection accepted past max_connections:
  // its requests are answered 429 without being handled.
  [[nodiscard]] static bool over_limit();

  [[nodiscard]] std::size_t threads() const;  // live threads, busy or lingering

 private:
  struct Task {
    std::function<void()> run;
    bool over_limit = false;
  };
  void work(Task first);
  void join_finished();  // with mutex_ held

  const std::size_t max_connections_;
  const std::size_t overflow_;
  const std::chrono::milliseconds idle_linger_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  std::deque<Task> queued_;
  std::size_t connections_ = 0;   // accepted and not yet closed (queued or running)
  std::size_t over_running_ = 0;  // running over-limit connections
  std::size_t idle_ = 0;          // threads waiting for a connection
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> finished_;  // threads that returned, to join
  bool shutdown_ = false;
};

}  // namespace switchyard::devcluster
