#include "switchyard/hub/agent_api_handler.h"

#include <charconv>
#include <regex>

#include "status_body.h"
#include "switchyard/protocol/codec.h"
#include "switchyard/telemetry/log.h"

namespace switchyard::hub {
namespace {

const char* route_name(ApiRoute route) {
  switch (route) {
    case ApiRoute::Report:
      return "report";
    case ApiRoute::Assignment:
      return "assignment";
    case ApiRoute::Unknown:
      break;
  }
  return "unknown";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding as cpp-httplib did before this server (agents and curl
// send names as they are; a client that encodes them still matches).
std::string percent_decoded(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else if (plus_is_space && text[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The first value of query parameter `name`, decoded; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    const auto key = percent_decoded(pair.substr(0, eq), true);
    if (key != name) continue;
    return eq == std::string_view::npos ? std::string() : percent_decoded(pair.substr(eq + 1), true);
  }
  return std::nullopt;
}

// An integer query parameter, or `fallback` when absent; nullopt when malformed.
std::optional<std::int64_t> query_int(std::string_view query, std::string_view name, std::int64_t fallback) {
  const auto text = query_param(query, name);
  if (!text) return fallback;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

std::string_view bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  return header.substr(kScheme.size());
}

}  // namespace

ApiTarget route_of(std::string_view method, std::string_view target) {
  static const std::regex kClusterPath(R"(/v1/clusters/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)/(report|assignment))");
  ApiTarget routed;
  const auto question = target.find('?');
  if (question != std::string_view::npos) routed.query = std::string(target.substr(question + 1));
  const auto path = percent_decoded(target.substr(0, question), false);
  std::smatch match;
  if (!std::regex_match(path, match, kClusterPath)) return routed;
  const bool report = match[3] == "report";
  if ((report && method != "PUT") || (!report && method != "GET")) return routed;
  routed.route = report ? ApiRoute::Report : ApiRoute::Assignment;
  routed.cluster = match[1];
  return routed;
}

AgentApiHandler::AgentApiHandler(ApiHandlerOptions options, const TokenRegistry& tokens, AgentSessions& sessions,
                                 AssignmentBoard& board, ReportInbox& inbox, metrics::Registry& metrics,
                                 std::function<bool()> serving)
    : options_(options),
      tokens_(tokens),
      sessions_(sessions),
      board_(board),
      inbox_(inbox),
      metrics_(metrics),
      serving_(std::move(serving)) {}

void AgentApiHandler::count(ApiRoute route, int code) const {
  metrics_
      .counter("switchyard_agent_api_requests_total", "Agent API requests by route and status code.",
               {{"route", route_name(route)}, {"code", std::to_string(code)}})
      .inc();
}

std::optional<ApiResponse> AgentApiHandler::admit(const ApiTarget& target, std::string_view authorization) const {
  const auto route = route_name(target.route);
  if (target.route == ApiRoute::Unknown) {
    count(target.route, 404);
    return status_response(404, "NotFound", "no such path in the agent API");
  }
  const auto& cluster = target.cluster;
  if (!serving_()) {
    // A hub starting up serves as soon as its informers have synced (2 s
    // with 10,000 FailoverServices): told to come back in a second, agents
    // return then, not after a backoff that has doubled meanwhile.
    auto refused = status_response(503, "ServiceUnavailable",
                                   "this hub is not serving: it is starting up, or it is not the leader; retry");
    refused.retry_after = "1";
    count(target.route, 503);
    return refused;
  }
  switch (tokens_.check(cluster, bearer_token(authorization))) {
    case TokenVerdict::Allowed:
      return std::nullopt;
    case TokenVerdict::Unauthenticated:
      count(target.route, 401);
      log::warn("agent request refused: bad token", {{"cluster", cluster}, {"route", route}});
      return status_response(401, "Unauthorized", "missing or unknown bearer token for cluster " + cluster);
    case TokenVerdict::Shared:
      count(target.route, 403);
      log::warn("agent request refused: token shared by more than one cluster",
                {{"cluster", cluster}, {"route", route}});
      return status_response(403, "Forbidden",
                             "this token is set for cluster " + cluster +
                                 " and another MemberCluster; it authenticates neither until each has its own "
                                 "(see the MemberCluster's TokenConflict condition)");
    case TokenVerdict::Forbidden:
      count(target.route, 403);
      log::warn("agent request refused: token of another cluster", {{"cluster", cluster}, {"route", route}});
      return status_response(403, "Forbidden", "this token belongs to another cluster; it may not speak for " + cluster);
  }
  return status_response(500, "InternalError", "internal error");
}

ApiOutcome AgentApiHandler::handle(const ApiTarget& target, const std::string& body, bool body_too_large,
                                   std::chrono::system_clock::time_point received_at) {
  if (body_too_large) {
    count(target.route, 413);
    return status_response(413, "RequestEntityTooLarge", "request body larger than allowed");
  }
  if (target.route == ApiRoute::Report) return report(target.cluster, body, received_at);
  return poll(target);
}

ApiResponse AgentApiHandler::report(const std::string& cluster, const std::string& body,
                                    std::chrono::system_clock::time_point received_at) {
  auto decoded = protocol::decode_report(body);
  if (!decoded.ok()) {
    count(ApiRoute::Report, 400);
    log::warn("report refused", {{"cluster", cluster}, {"error", decoded.message()}});
    return status_response(400, "BadRequest", "report from cluster " + cluster + ": " + decoded.message());
  }
  const auto result = sessions_.admit(cluster, std::move(*decoded.value), [&](protocol::Report&& report) {
    inbox_.deliver(cluster, std::move(report), received_at);
  });
  switch (result.verdict) {
    case AdmitVerdict::Accepted:
    case AdmitVerdict::Duplicate:
      // The agent needs to know which: its deltas answered Duplicate are
      // not applied (docs/protocol.md).
      count(ApiRoute::Report, 200);
      return ApiResponse{200,
                         protocol::encode_report_answer(result.verdict == AdmitVerdict::Accepted
                                                            ? protocol::ReportOutcome::Applied
                                                            : protocol::ReportOutcome::Duplicate),
                         {}};
    case AdmitVerdict::NeedFullSnapshot:
      count(ApiRoute::Report, 409);
      return status_response(409, "Conflict", result.reason);
  }
  return status_response(500, "InternalError", "internal error");
}

ApiOutcome AgentApiHandler::poll(const ApiTarget& target) const {
  const auto after = query_int(target.query, "after", -1);
  const auto timeout = query_int(target.query, "timeoutSeconds", options_.default_poll_seconds);
  if (!after || !timeout || *timeout < 0) {
    return malformed(ApiRoute::Assignment, "after and timeoutSeconds must be integers, timeoutSeconds >= 0");
  }
  PollPlan plan;
  plan.cluster = target.cluster;
  plan.after = *after;
  plan.epoch = query_param(target.query, "epoch").value_or("");
  plan.timeout = std::chrono::seconds(std::min<std::int64_t>(*timeout, options_.max_poll_seconds));
  return plan;
}

ApiResponse AgentApiHandler::poll_answer(const std::string& cluster,
                                         const std::shared_ptr<const PublishedAssignment>& assignment) const {
  if (!assignment) {
    count(ApiRoute::Assignment, 404);
    return status_response(404, "NotFound", "no assignment for cluster " + cluster + " yet");
  }
  count(ApiRoute::Assignment, 200);
  return ApiResponse{200, assignment->text(), {}};
}

ApiResponse AgentApiHandler::too_many_polls(const std::string& reason) const {
  auto refused = status_response(429, "TooManyRequests", reason + "; retry shortly");
  refused.retry_after = "1";
  count(ApiRoute::Assignment, 429);
  return refused;
}

ApiResponse AgentApiHandler::too_many_connections(const ApiTarget& target) const {
  auto refused = status_response(429, "TooManyRequests",
                                 "too many open connections for cluster " + target.cluster + "; retry shortly");
  refused.retry_after = "1";
  count(target.route, 429);
  return refused;
}

ApiResponse AgentApiHandler::malformed(ApiRoute route, const std::string& message) const {
  count(route, 400);
  return status_response(400, "BadRequest", message);
}

ApiResponse AgentApiHandler::headers_too_large(const std::string& message) const {
  count(ApiRoute::Unknown, 431);
  return status_response(431, "RequestHeaderFieldsTooLarge", message);
}

}  // namespace switchyard::hub
