// The agent API's request handling (docs/protocol.md) without a transport:
// routing, the checks in their order, report decoding and sequencing, and
// what a poll asks the AssignmentBoard for. The server (agent_api_server.h)
// reads bytes, parses HTTP and parks polls; this decides every answer, so
// the unit tests and the fuzz target drive it without a network.
//
// Checks, in order: serving at all (a follower answers 503), bearer token
// (401, 403 for another cluster's), body size (413), body shape (400 naming
// the field), sequence (409). The first two need only the request's head,
// so the server refuses before it reads a body (admit()).
//
// Thread-safe: any number of server threads call it at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "switchyard/hub/agent_sessions.h"
#include "switchyard/hub/assignment_board.h"
#include "switchyard/hub/token_registry.h"
#include "switchyard/protocol/messages.h"
#include "switchyard/telemetry/metrics.h"

namespace switchyard::hub {

// Receives accepted reports on a server thread; implementations hand them to
// the loop thread and return at once.
class ReportInbox {
 public:
  virtual ~ReportInbox() = default;
  virtual void deliver(const std::string& cluster, protocol::Report&& report,
                       std::chrono::system_clock::time_point received_at) = 0;
};

// An answer: always a JSON body (a Kubernetes Status for errors).
struct ApiResponse {
  int status = 200;
  std::string body;
  std::string retry_after;  // seconds, or empty for no Retry-After header
};

enum class ApiRoute { Report, Assignment, Unknown };

// Which route a request line names, and for which cluster.
struct ApiTarget {
  ApiRoute route = ApiRoute::Unknown;
  std::string cluster;
  std::string query;  // after '?', undecoded
};

// "PUT /v1/clusters/east/report" and "GET /v1/clusters/east/assignment?…"
// are routes; any other method or path is Unknown (404, as before).
[[nodiscard]] ApiTarget route_of(std::string_view method, std::string_view target);

// A poll the server must answer from the board: at once when `timeout` is
// zero, else parked until the cluster's assignment changes or the deadline.
struct PollPlan {
  std::string cluster;
  std::int64_t after = -1;
  std::string epoch;  // the epoch of the revision the agent holds
  std::chrono::seconds timeout{0};
};

using ApiOutcome = std::variant<ApiResponse, PollPlan>;

struct ApiHandlerOptions {
  int default_poll_seconds = 30;
  int max_poll_seconds = 300;
};

class AgentApiHandler {
 public:
  AgentApiHandler(ApiHandlerOptions options, const TokenRegistry& tokens, AgentSessions& sessions,
                  AssignmentBoard& board, ReportInbox& inbox, metrics::Registry& metrics,
                  std::function<bool()> serving);

  // From the request's head alone: 404 for an unknown route, 503 when not
  // serving, 401/403 for the token (`authorization` is the header's value);
  // nullopt when the request may go on to its body.
  [[nodiscard]] std::optional<ApiResponse> admit(const ApiTarget& target, std::string_view authorization) const;

  // An admitted request with its body: 413 when the body was larger than
  // allowed (the server stopped reading it), else the report's answer or the
  // poll to park.
  [[nodiscard]] ApiOutcome handle(const ApiTarget& target, const std::string& body, bool body_too_large,
                                  std::chrono::system_clock::time_point received_at);

  // A poll's answer from the board (nullptr: nothing published yet, 404).
  [[nodiscard]] ApiResponse poll_answer(const std::string& cluster,
                                        const std::shared_ptr<const PublishedAssignment>& assignment) const;

  // Errors the server raises itself, counted like the others.
  [[nodiscard]] ApiResponse too_many_polls(const std::string& reason) const;                // 429
  [[nodiscard]] ApiResponse too_many_connections(const ApiTarget& target) const;            // 429
  [[nodiscard]] ApiResponse malformed(ApiRoute route, const std::string& message) const;    // 400
  [[nodiscard]] ApiResponse headers_too_large(const std::string& message) const;            // 431

 private:
  void count(ApiRoute route, int code) const;
  [[nodiscard]] ApiResponse report(const std::string& cluster, const std::string& body,
                                   std::chrono::system_clock::time_point received_at);
  [[nodiscard]] ApiOutcome poll(const ApiTarget& target) const;

  ApiHandlerOptions options_;
  const TokenRegistry& tokens_;
  AgentSessions& sessions_;
  AssignmentBoard& board_;
  ReportInbox& inbox_;
  metrics::Registry& metrics_;
  std::function<bool()> serving_;
};

}  // namespace switchyard::hub
