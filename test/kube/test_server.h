// Servers for the client tests: an httplib server on a free port with its
// own thread, and a raw TCP server that answers every connection with fixed
// bytes (to replay recorded HTTP responses exactly, framing included).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "switchyard/kube/config.h"

namespace switchyard::kube::test {

// A client for the in-test servers: a token, and timeouts short enough that
// a failure shows within seconds.
inline ClusterConfig short_timeout_config(const std::string& url) {
  ClusterConfig config;
  config.server = url;
  config.token = "t0k3n";
  config.connect_timeout = std::chrono::milliseconds(2000);
  config.request_timeout = std::chrono::milliseconds(5000);
  return config;
}

class TestServer {
 public:
  explicit TestServer(std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
      : server_(std::move(server)) {}
  ~TestServer() { stop(); }

  httplib::Server& http() { return *server_; }

  void start() {
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string url(const std::string& scheme = "http") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

 private:
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Accepts connections one at a time; reads the request head, writes
// `response` verbatim and closes.
class RawServer {
 public:
  explicit RawServer(std::string response) : response_(std::move(response)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 8);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string last_request_head() const {
    std::lock_guard lock(mutex_);
    return last_head_;
  }

 private:
  void serve() {
    while (!stopping_) {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      std::string head;
      char buffer[4096];
      while (head.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(connection, buffer, sizeof buffer);
        if (n <= 0) break;
        head.append(buffer, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mutex_);
        last_head_ = head;
      }
      std::size_t sent = 0;
      while (sent < response_.size()) {
        ssize_t n = ::send(connection, response_.data() + sent, response_.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
      }
      ::shutdown(connection, SHUT_WR);
      ::close(connection);
    }
  }

  std::string response_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::string last_head_;
  std::thread thread_;
};

}  // namespace switchyard::kube::test
