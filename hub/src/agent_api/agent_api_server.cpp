#include "switchyard/hub/agent_api_server.h"

#include <httplib.h>

#include <charconv>

#include "switchyard/protocol/codec.h"
#include "switchyard/telemetry/background_server.h"
#include "switchyard/telemetry/log.h"
#include "status_body.h"

namespace switchyard::hub {
namespace {

constexpr const char* kClusterPath = R"(/v1/clusters/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?))";

std::string bearer_token(const httplib::Request& request) {
  const auto header = request.get_header_value("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  return header.substr(kScheme.size());
}

// An integer query parameter, or `fallback` when absent; nullopt when malformed.
std::optional<std::int64_t> query_int(const httplib::Request& request, const char* name,
                                      std::int64_t fallback) {
  if (!request.has_param(name)) return fallback;
  const auto text = request.get_param_value(name);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Every report and poll is a new connection (below), and a thousand of
// them are open at once: what each TLS connection keeps adds up (these
// settings took 30 MiB off the hub with 1,000 agents, docs/benchmarks.md).
// Agents do not resume sessions, so the server keeps no session cache and
// issues no tickets; an idle parked poll gives its read and write buffers
// (about 34 KiB) back until it is answered.
void limit_tls_memory(SSL_CTX& context) {
  SSL_CTX_set_mode(&context, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(&context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(&context, 0);
}

}  // namespace

AgentApiServer::AgentApiServer(AgentApiOptions options, const TokenRegistry& tokens,
                               AgentSessions& sessions, AssignmentBoard& board, ReportInbox& inbox,
                               metrics::Registry& metrics, std::function<bool()> serving)
    : options_(std::move(options)),
      tokens_(tokens),
      sessions_(sessions),
      board_(board),
      inbox_(inbox),
      metrics_(metrics),
      serving_(std::move(serving)) {}

AgentApiServer::~AgentApiServer() { stop(); }

bool AgentApiServer::start(const std::string& host, int port, std::string& error) {
  if (tls()) {
    auto tls_server = std::make_unique<httplib::SSLServer>(options_.tls_cert_file.c_str(),
                                                           options_.tls_key_file.c_str());
    if (!tls_server->is_valid()) {
      error = "cannot load TLS certificate " + options_.tls_cert_file + " or key " +
              options_.tls_key_file;
      return false;
    }
    limit_tls_memory(*tls_server->ssl_context());
    adopt(std::move(tls_server));
  } else {
    adopt(std::make_unique<httplib::Server>());
  }
  const auto workers = options_.worker_threads;
  server_->new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
  server_->set_read_timeout(10, 0);  // a slow sender cannot hold a worker for long
  server_->set_write_timeout(10, 0);
  // One request per connection. An idle keep-alive connection is not free:
  // httplib's worker polls it and sleeps 1 ms in turn until the keep-alive
  // timeout (with 1,000 agents between heartbeats, that took most of a core).
  // A new connection per report or poll costs a TLS handshake instead, a
  // fraction of a millisecond; a parked long poll is not idle and costs
  // nothing while it waits.
  server_->set_keep_alive_max_count(1);

  if (!telemetry::serve_in_background(*server_, host, port, thread_, port_, error)) {
    error = "agent API: " + error;
    return false;
  }
  return true;
}

void AgentApiServer::stop() {
  board_.shutdown();
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void AgentApiServer::adopt(std::unique_ptr<httplib::Server> server) {
  server_ = std::move(server);
  server_->set_payload_max_length(options_.max_body_bytes);
  install_routes();
}

void AgentApiServer::install_routes() {
  auto& requests = metrics_;
  auto count = [&requests](const char* route, int code) {
    requests
        .counter("switchyard_agent_api_requests_total", "Agent API requests by route and status code.",
                 {{"route", route}, {"code", std::to_string(code)}})
        .inc();
  };

  // Shared checks; returns false (with the response written) to stop.
  auto admit_request = [this, count](const httplib::Request& request, httplib::Response& response,
                                     const char* route, const std::string& cluster) {
    if (!serving_()) {
      // A hub starting up serves as soon as its informers have synced (2 s
      // with 10,000 FailoverServices): told to come back in a second, agents
      // return then, not after a backoff that has doubled meanwhile.
      response.set_header("Retry-After", "1");
      write_status(response, 503, "ServiceUnavailable",
                   "this hub is not serving: it is starting up, or it is not the leader; retry");
      count(route, 503);
      return false;
    }
    switch (tokens_.check(cluster, bearer_token(request))) {
      case TokenVerdict::Allowed:
        return true;
      case TokenVerdict::Unauthenticated:
        write_status(response, 401, "Unauthorized",
                     "missing or unknown bearer token for cluster " + cluster);
        count(route, 401);
        log::warn("agent request refused: bad token", {{"cluster", cluster}, {"route", route}});
        return false;
      case TokenVerdict::Shared:
        write_status(response, 403, "Forbidden",
                     "this token is set for cluster " + cluster +
                         " and another MemberCluster; it authenticates neither until each has its own "
                         "(see the MemberCluster's TokenConflict condition)");
        count(route, 403);
        log::warn("agent request refused: token shared by more than one cluster",
                  {{"cluster", cluster}, {"route", route}});
        return false;
      case TokenVerdict::Forbidden:
        write_status(response, 403, "Forbidden",
                     "this token belongs to another cluster; it may not speak for " + cluster);
        count(route, 403);
        log::warn("agent request refused: token of another cluster",
                  {{"cluster", cluster}, {"route", route}});
        return false;
    }
    return false;
  };

  server_->Put(std::string(kClusterPath) + "/report",
               [this, admit_request, count](const httplib::Request& request,
                                            httplib::Response& response) {
                 const auto received_at = std::chrono::system_clock::now();
                 const std::string cluster = request.matches[1];
                 if (!admit_request(request, response, "report", cluster)) return;
                 auto decoded = protocol::decode_report(request.body);
                 if (!decoded.ok()) {
                   write_status(response, 400, "BadRequest",
                                "report from cluster " + cluster + ": " + decoded.message());
                   count("report", 400);
                   log::warn("report refused", {{"cluster", cluster}, {"error", decoded.message()}});
                   return;
                 }
                 const auto result = sessions_.admit(
                     cluster, std::move(*decoded.value), [&](protocol::Report&& report) {
                       inbox_.deliver(cluster, std::move(report), received_at);
                     });
                 switch (result.verdict) {
                   case AdmitVerdict::Accepted:
                   case AdmitVerdict::Duplicate:
                     // The agent needs to know which: its deltas answered
                     // Duplicate are not applied (docs/protocol.md).
                     response.status = 200;
                     response.set_content(protocol::encode_report_answer(result.verdict == AdmitVerdict::Accepted
                                                                             ? protocol::ReportOutcome::Applied
                                                                             : protocol::ReportOutcome::Duplicate),
                                          "application/json");
                     count("report", 200);
                     return;
                   case AdmitVerdict::NeedFullSnapshot:
                     write_status(response, 409, "Conflict", result.reason);
                     count("report", 409);
                     return;
                 }
               });

  server_->Get(std::string(kClusterPath) + "/assignment",
               [this, admit_request, count](const httplib::Request& request,
                                            httplib::Response& response) {
                 const std::string cluster = request.matches[1];
                 if (!admit_request(request, response, "assignment", cluster)) return;
                 const auto after = query_int(request, "after", -1);
                 const auto timeout = query_int(request, "timeoutSeconds", options_.default_poll_seconds);
                 if (!after || !timeout || *timeout < 0) {
                   write_status(response, 400, "BadRequest",
                                "after and timeoutSeconds must be integers, timeoutSeconds >= 0");
                   count("assignment", 400);
                   return;
                 }
                 if (*timeout > 0 && board_.parked() >= options_.max_parked_polls) {
                   response.set_header("Retry-After", "1");
                   write_status(response, 429, "TooManyRequests",
                                "too many parked long polls; retry shortly");
                   count("assignment", 429);
                   return;
                 }
                 const auto seconds = std::min<std::int64_t>(*timeout, options_.max_poll_seconds);
                 const auto deadline = AssignmentBoard::Clock::now() + std::chrono::seconds(seconds);
                 // The epoch of the revision the agent holds: with this hub's, the
                 // answer is a delta since that revision when the board has it.
                 const auto epoch = request.has_param("epoch") ? request.get_param_value("epoch") : std::string();
                 const auto assignment = board_.wait_for_change(cluster, *after, deadline, epoch);
                 if (!assignment) {
                   write_status(response, 404, "NotFound",
                                "no assignment for cluster " + cluster + " yet");
                   count("assignment", 404);
                   return;
                 }
                 response.status = 200;
                 response.set_content(assignment->text(), "application/json");
                 count("assignment", 200);
               });

  server_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
    // Errors httplib raises before a handler runs (413, 404 on unknown paths).
    if (!response.body.empty()) return;
    if (response.status == 413) {
      write_status(response, 413, "RequestEntityTooLarge", "request body larger than allowed");
    } else if (response.status == 404) {
      write_status(response, 404, "NotFound", "no such path in the agent API");
    }
  });
  server_->set_exception_handler(
      [](const httplib::Request& request, httplib::Response& response, std::exception_ptr error) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::error("agent API handler failed", {{"path", request.path}, {"error", what}});
        write_status(response, 500, "InternalError", "internal error");
      });
}

}  // namespace switchyard::hub
