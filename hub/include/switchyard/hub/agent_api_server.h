// The hub's agent API (docs/protocol.md) over HTTP/1.1, TLS in production:
//   PUT /v1/clusters/{cluster}/report
//   GET /v1/clusters/{cluster}/assignment?after=N&timeoutSeconds=S
//
// What each request gets is decided by AgentApiHandler (agent_api_handler.h);
// this is its transport: Boost.Beast on an Asio event loop run by a few
// threads (`io_threads`, at most 8, whatever the number of agents).
// Connections are kept alive (an agent reports and polls on connections it
// keeps, one TLS handshake each), and a parked long poll holds no thread:
// the AssignmentBoard's wake-up is posted onto the connection's strand.
//
// Slow and idle clients cannot hold resources (issue 18): a deadline for a
// request's whole head and body, an idle timeout between requests, limits
// on header size and count, a body limit that holds for chunked bodies
// (413), the caps of ConnectionLimits, and a parked poll whose client closed
// its connection is dropped at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "switchyard/hub/agent_api_handler.h"
#include "switchyard/hub/agent_sessions.h"
#include "switchyard/hub/assignment_board.h"
#include "switchyard/hub/connection_limits.h"
#include "switchyard/hub/token_registry.h"
#include "switchyard/protocol/messages.h"
#include "switchyard/telemetry/metrics.h"

namespace switchyard::hub {

inline constexpr int kMaxAgentApiThreads = 8;

struct AgentApiOptions {
  std::string tls_cert_file;  // both empty: plain HTTP (development only)
  std::string tls_key_file;
  std::size_t max_body_bytes = protocol::kMaxBodyBytes;
  int io_threads = 2;  // 1..kMaxAgentApiThreads
  ConnectionCaps caps;
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_header_fields = 64;
  // From a request's first byte (or a new connection's accept) to its whole
  // body read, and for writing an answer: not per read.
  std::chrono::milliseconds request_deadline{10'000};
  // A kept-alive connection with no request in flight is closed after this.
  std::chrono::milliseconds idle_timeout{120'000};
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

  // Binds (port 0 picks a free one), loads the certificate and starts the
  // event loop's threads; false with an error message naming what failed.
  [[nodiscard]] bool start(const std::string& host, int port, std::string& error);
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] bool tls() const { return !options_.tls_cert_file.empty(); }

  // Stops accepting, wakes parked polls, closes connections, joins the threads.
  void stop();

  [[nodiscard]] const ConnectionLimits& limits() const { return limits_; }

 private:
  struct Loop;  // the io_context, its threads and the acceptor (Beast stays out of this header)

  AgentApiOptions options_;
  AssignmentBoard& board_;
  metrics::Registry& metrics_;
  AgentApiHandler handler_;
  ConnectionLimits limits_;
  std::unique_ptr<Loop> loop_;
  int port_ = 0;
};

}  // namespace switchyard::hub
