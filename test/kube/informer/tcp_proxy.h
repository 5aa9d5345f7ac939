// A TCP proxy on a free local port in front of another local port, so a test
// can break connections mid-stream (cut) and keep the server unreachable for
// a while (block), as a flaky network would. TLS passes through untouched.
#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace switchyard::kube::test {

class TcpProxy {
 public:
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // Breaks every open connection (both directions).
  void cut();
  // While blocked, new connections are accepted and closed at once. Once
  // block(true) returns, every connection is either refused or among those
  // cut() breaks: one accepted just before cannot slip through.
  void block(bool blocked);
  std::size_t connections_accepted() const { return accepted_; }

 private:
  void accept_loop();
  void pump(int client, int server);

  int target_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  bool blocked_ = false;         // guarded by mutex_
  std::atomic<std::size_t> accepted_{0};
  std::mutex mutex_;            // guards blocked_, open_ and pumps_
  std::vector<int> open_;       // sockets of live connections
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

}  // namespace switchyard::kube::test
