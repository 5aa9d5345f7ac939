#include "switchyard/telemetry/background_server.h"

#include <httplib.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "switchyard/telemetry/open_sockets.h"

namespace switchyard::telemetry {
namespace {

// Debian's cpp-httplib is a compiled library whose listen() backlog is 5
// (CPPHTTPLIB_LISTEN_BACKLOG, fixed when the library was built). With more
// clients connecting at once than that (a hub restarting under 1,000 agents;
// 100 watches opened together), the kernel drops the handshakes that overflow
// the accept queue and those clients wait out TCP retransmission backoff, for
// seconds to minutes. listen() again on the bound socket raises the backlog
// to the system's limit (net.core.somaxconn), as Go's net package uses.
void widen_backlog(int port) {
  const int fd = listening_socket_on(port);
  if (fd >= 0) ::listen(fd, SOMAXCONN);
}

}  // namespace

bool serve_in_background(httplib::Server& server, const std::string& host, int port, std::thread& thread,
                         int& bound_port, std::string& error) {
  // Small JSON answers must leave at once: with Nagle's algorithm on, each
  // waits for the peer's delayed ACK (about 40 ms on Linux loopback).
  server.set_tcp_nodelay(true);
  bound_port = port == 0 ? server.bind_to_any_port(host) : (server.bind_to_port(host, port) ? port : -1);
  if (bound_port <= 0) {
    error = "cannot listen on " + host + ":" + std::to_string(port);
    return false;
  }
  widen_backlog(bound_port);
  auto ended = std::make_shared<std::atomic<bool>>(false);
  thread = std::thread([&server, ended] {
    server.listen_after_bind();
    *ended = true;
  });
  while (!server.is_running() && !*ended) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (*ended) {
    thread.join();
    error = "the server on " + host + ":" + std::to_string(bound_port) + " stopped at once";
    return false;
  }
  return true;
}

}  // namespace switchyard::telemetry
