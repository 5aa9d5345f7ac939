#include "tcp_proxy.h"

#include <catch2/catch.hpp>

#include <algorithm>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace switchyard::kube::test {
namespace {

sockaddr_in local_address(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

}  // namespace

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener_ >= 0);
  int yes = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address = local_address(0);
  REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener_, 64) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  ::shutdown(listener_, SHUT_RDWR);
  acceptor_.join();
  ::close(listener_);
  cut();
  std::vector<std::thread> pumps;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pumps.swap(pumps_);
  }
  for (auto& pump : pumps) pump.join();
}

void TcpProxy::cut() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (int fd : open_) ::shutdown(fd, SHUT_RDWR);
}

void TcpProxy::block(bool blocked) {
  std::lock_guard<std::mutex> lock(mutex_);
  blocked_ = blocked;
}

void TcpProxy::accept_loop() {
  while (!stopping_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    ++accepted_;
    // Held from the blocked check until the connection is in open_, so a
    // block(true) and cut() racing with this accept either refuse or break it.
    std::lock_guard<std::mutex> lock(mutex_);
    if (blocked_) {
      ::close(client);
      continue;
    }
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in target = local_address(target_port_);
    if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      continue;
    }
    open_.push_back(client);
    open_.push_back(server);
    pumps_.emplace_back([this, client, server] { pump(client, server); });
  }
}

void TcpProxy::pump(int client, int server) {
  pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  char buffer[16384];
  bool open = true;
  while (open && !stopping_) {
    if (::poll(fds, 2, 100) <= 0) continue;
    for (int i = 0; i < 2 && open; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got <= 0) {
        open = false;
        break;
      }
      ssize_t sent = 0;
      while (sent < got) {
        const ssize_t wrote = ::send(fds[1 - i].fd, buffer + sent, static_cast<std::size_t>(got - sent), MSG_NOSIGNAL);
        if (wrote <= 0) {
          open = false;
          break;
        }
        sent += wrote;
      }
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  open_.erase(std::remove_if(open_.begin(), open_.end(), [&](int fd) { return fd == client || fd == server; }),
              open_.end());
  ::close(client);
  ::close(server);
}

}  // namespace switchyard::kube::test
