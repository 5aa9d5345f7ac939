#include <catch2/catch.hpp>

#include <mutex>

#include "switchyard/hub/agent_api_handler.h"
#include "switchyard/protocol/codec.h"

using namespace switchyard;
using namespace switchyard::hub;

namespace {

class CountingInbox : public ReportInbox {
 public:
  void deliver(const std::string&, protocol::Report&&, std::chrono::system_clock::time_point) override { ++delivered; }
  int delivered = 0;
};

struct Handler {
  Handler() {
    tokens.set_token("east", "east-token");
    tokens.set_token("west", "west-token");
  }
  ApiOutcome handle(const ApiTarget& target, const std::string& body, bool too_large = false) {
    return handler.handle(target, body, too_large, std::chrono::system_clock::now());
  }
  TokenRegistry tokens;
  AgentSessions sessions;
  AssignmentBoard board;
  CountingInbox inbox;
  metrics::Registry metrics;
  bool serving = true;
  AgentApiHandler handler{ApiHandlerOptions{}, tokens, sessions, board, inbox, metrics, [this] { return serving; }};
};

}  // namespace

TEST_CASE("agent API handler: routes name the method, path and cluster", "[hub]") {
  const auto report = route_of("PUT", "/v1/clusters/east-1/report");
  CHECK(report.route == ApiRoute::Report);
  CHECK(report.cluster == "east-1");
  const auto poll = route_of("GET", "/v1/clusters/east/assignment?after=3&timeoutSeconds=5");
  CHECK(poll.route == ApiRoute::Assignment);
  CHECK(poll.query == "after=3&timeoutSeconds=5");
  CHECK(route_of("GET", "/v1/clusters/east/report").route == ApiRoute::Unknown);
  CHECK(route_of("PUT", "/v1/clusters/East/report").route == ApiRoute::Unknown);
  CHECK(route_of("PUT", "/v1/clusters/east/report/x").route == ApiRoute::Unknown);
  CHECK(route_of("PUT", "/v1/clusters/e%61st/report").cluster == "east");
}

TEST_CASE("agent API handler: checks in order, 503 then token then 413 then 400 then 409", "[hub]") {
  Handler h;
  const auto target = route_of("PUT", "/v1/clusters/east/report");
  h.serving = false;
  CHECK(h.handler.admit(target, "Bearer nonsense")->status == 503);  // before the token
  h.serving = true;
  CHECK(h.handler.admit(target, "Bearer nonsense")->status == 401);
  CHECK(h.handler.admit(target, "Bearer west-token")->status == 403);
  CHECK(h.handler.admit(route_of("PUT", "/v2/x"), "Bearer east-token")->status == 404);
  REQUIRE_FALSE(h.handler.admit(target, "bearer east-token"));
  // The size before the shape: a body past the limit is 413 whatever it holds.
  CHECK(std::get<ApiResponse>(h.handle(target, "", true)).status == 413);
  CHECK(std::get<ApiResponse>(h.handle(target, "{")).status == 400);
  const auto delta = R"({"agentId":"a1","seq":5,"full":false,"services":[]})";
  CHECK(std::get<ApiResponse>(h.handle(target, delta)).status == 409);
  CHECK(h.inbox.delivered == 0);
  CHECK(h.metrics.counter("switchyard_agent_api_requests_total", "", {{"route", "report"}, {"code", "409"}}).value() == 1);
}

TEST_CASE("agent API handler: a poll becomes a plan, its timeout capped, or a 400", "[hub]") {
  Handler h;
  auto plan = std::get<PollPlan>(h.handle(route_of("GET", "/v1/clusters/east/assignment?after=7&timeoutSeconds=9000&epoch=ab%63"), ""));
  CHECK(plan.cluster == "east");
  CHECK(plan.after == 7);
  CHECK(plan.epoch == "abc");
  CHECK(plan.timeout == std::chrono::seconds(300));
  const auto defaulted = std::get<PollPlan>(h.handle(route_of("GET", "/v1/clusters/east/assignment"), ""));
  CHECK(defaulted.after == -1);
  CHECK(defaulted.timeout == std::chrono::seconds(30));
  CHECK(std::get<ApiResponse>(h.handle(route_of("GET", "/v1/clusters/east/assignment?after=x"), "")).status == 400);
  CHECK(std::get<ApiResponse>(h.handle(route_of("GET", "/v1/clusters/east/assignment?timeoutSeconds=-1"), "")).status == 400);
  CHECK(h.handler.poll_answer("east", nullptr).status == 404);
}
