#include "switchyard/telemetry/background_server.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>

namespace switchyard::telemetry {

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
