// The hub's agent API (docs/protocol.md) over HTTP/1.1, TLS in production:
//   PUT /v1/clusters/{cluster}/report
//   GET /v1/clusters/{cluster}/assignment?after=N&timeoutSeconds=S
//
// Each request is checked in this order: serving at all (a follower answers
// 503), bearer token (401, 403 for another cluster's), body size (413),
// body shape (400 naming the field), sequence (409). Accepted reports go to
// the ReportInbox with the hub's receive time; nothing a request carries can
// touch another cluster's state.
//
// Threads: requests run on the server's own worker pool. Long polls park a
// worker, so at most `max_parked_polls` may park at once; beyond that a poll is
// answered 429 with Retry-After, which keeps workers free for reports.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "switchyard/hub/agent_sessions.h"
#include "switchyard/hub/assignment_board.h"
#include "switchyard/hub/token_registry.h"
#include "switchyard/protocol/messages.h"
#include "switchyard/telemetry/metrics.h"

namespace httplib {
class Server;
}

namespace switchyard::hub {

// Receives accepted reports on an HTTP thread; implementations hand them to
// the loop thread and return at once.
class ReportInbox {
 public:
  virtual ~ReportInbox() = default;
  virtual void deliver(const std::string& cluster, protocol::Report&& report,
                       std::chrono::system_clock::time_point received_at) = 0;
};

struct AgentApiOptions {
  std::string tls_cert_file;  // both empty: plain HTTP (development only)
  std::string tls_key_file;
  std::size_t max_body_bytes = protocol::kMaxBodyBytes;
  std::size_t worker_threads = 512;
  std::size_t max_parked_polls = 448;
  int default_poll_seconds = 30;
  int max_poll_seconds = 300;
};

class AgentApiServer {
 public:
  AgentApiServer(AgentApiOptions options, const TokenRegistry& tokens, AgentSessions& sessions,
                 AssignmentBoard& board, ReportInbox& inbox, metrics::Registry& metrics,
                 std::function<bool()> serving);
  ~AgentApiServer();
  AgentApiServer(const AgentApiServer&) = delete;
  AgentApiServer& operator=(const AgentApiServer&) = delete;

  // Binds (port 0 picks a free one) and serves on a background thread.
  // Returns the bound port, or an error message.
  [[nodiscard]] bool start(const std::string& host, int port, std::string& error);
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool tls() const { return !options_.tls_cert_file.empty(); }

  // Stops accepting, wakes parked polls, joins the server thread.
  void stop();

  // Makes `server` the one that answers the agent API: the body size limit,
  // the routes and the error handlers, nothing about sockets or threads.
  // start() adopts the listening server it makes; the fuzz target
  // (test/fuzz/agent_api_fuzzer.cpp) adopts one it hands raw requests to
  // without a network.
  void adopt(std::unique_ptr<httplib::Server> server);

 private:
  void install_routes();

  AgentApiOptions options_;
  const TokenRegistry& tokens_;
  AgentSessions& sessions_;
  AssignmentBoard& board_;
  ReportInbox& inbox_;
  metrics::Registry& metrics_;
  std::function<bool()> serving_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace switchyard::hub
