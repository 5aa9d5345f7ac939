#include <catch2/catch.hpp>

#include <httplib.h>

#include <future>
#include <mutex>

#include "switchyard/hub/agent_api_server.h"
#include "switchyard/protocol/codec.h"

// A published assignment with only a revision and a body.
inline std::shared_ptr<const switchyard::hub::PublishedAssignment> published_body(std::int64_t revision, std::string body) {
  auto published = std::make_shared<switchyard::hub::PublishedAssignment>();
  published->revision = revision;
  published->body = std::move(body);
  return published;
}

using namespace switchyard;
using namespace switchyard::hub;
using namespace std::chrono_literals;

namespace {

// Records what the server hands to the loop.
class RecordingInbox : public ReportInbox {
 public:
  void deliver(const std::string& cluster, protocol::Report&& report,
               std::chrono::system_clock::time_point) override {
    std::lock_guard lock(mutex_);
    delivered_.emplace_back(cluster, std::move(report));
  }
  std::vector<std::pair<std::string, protocol::Report>> delivered() {
    std::lock_guard lock(mutex_);
    return delivered_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, protocol::Report>> delivered_;
};

std::string report_body(const std::string& agent, std::uint64_t seq, bool full, std::uint32_t ready) {
  protocol::Report report;
  report.agent_id = agent;
  report.seq = seq;
  report.full = full;
  report.services = {{{"emojivoto", "web-svc", protocol::ServiceRole::Local}, true, ready, 2, std::nullopt}};
  return protocol::encode_report(report);
}

struct Fixture {
  explicit Fixture(AgentApiOptions options = {}) {
    tokens.set_token("east", "east-token");
    tokens.set_token("west", "west-token");
    server = std::make_unique<AgentApiServer>(options, tokens, sessions, board, inbox, metrics,
                                              [this] { return serving.load(); });
    std::string error;
    REQUIRE(server->start("127.0.0.1", 0, error));
  }
  httplib::Client client(const std::string& token) {
    httplib::Client c("127.0.0.1", server->port());
    if (!token.empty()) c.set_bearer_token_auth(token.c_str());
    c.set_read_timeout(30, 0);
    return c;
  }
  httplib::Result put_report(const std::string& cluster, const std::string& token, const std::string& body) {
    return client(token).Put(("/v1/clusters/" + cluster + "/report").c_str(), body, "application/json");
  }

  TokenRegistry tokens;
  AgentSessions sessions;
  AssignmentBoard board;
  RecordingInbox inbox;
  metrics::Registry metrics;
  std::atomic<bool> serving{true};
  std::unique_ptr<AgentApiServer> server;
};

}  // namespace

TEST_CASE("agent API: a full report then deltas reach the loop in order", "[hub]") {
  Fixture f;
  REQUIRE(f.put_report("east", "east-token", report_body("a1", 1, true, 2))->status == 200);
  REQUIRE(f.put_report("east", "east-token", report_body("a1", 2, false, 0))->status == 200);
  const auto delivered = f.inbox.delivered();
  REQUIRE(delivered.size() == 2);
  CHECK(delivered[0].first == "east");
  CHECK(delivered[1].second.services[0].ready_endpoints == 0);
}

TEST_CASE("agent API: bad requests get their status and leave other clusters untouched", "[hub]") {
  Fixture f;
  REQUIRE(f.put_report("west", "west-token", report_body("w1", 1, true, 2))->status == 200);

  SECTION("no token: 401") {
    const auto res = f.put_report("east", "", report_body("a1", 1, true, 2));
    CHECK(res->status == 401);
    CHECK_THAT(res->body, Catch::Contains("\"reason\":\"Unauthorized\""));
  }
  SECTION("wrong token: 401") {
    CHECK(f.put_report("east", "guess", report_body("a1", 1, true, 2))->status == 401);
  }
  SECTION("another cluster's token: 403, and nothing is recorded for either") {
    const auto res = f.put_report("east", "west-token", report_body("w1", 2, false, 0));
    CHECK(res->status == 403);
    CHECK_THAT(res->body, Catch::Contains("may not speak for east"));
  }
  SECTION("oversized body: 413") {
    const std::string huge(protocol::kMaxBodyBytes + 1, ' ');
    const auto res = f.put_report("east", "east-token", huge);
    REQUIRE(res);
    CHECK(res->status == 413);
  }
  SECTION("malformed body: 400 naming the field") {
    const auto res = f.put_report("east", "east-token", R"({"agentId":"a1","seq":1,"full":true,"services":[{"namespace":"x"}]})");
    CHECK(res->status == 400);
    CHECK_THAT(res->body, Catch::Contains("services[0].name: required"));
  }
  SECTION("a delta without a snapshot: 409") {
    const auto res = f.put_report("east", "east-token", report_body("a1", 5, false, 0));
    CHECK(res->status == 409);
    CHECK_THAT(res->body, Catch::Contains("send a full snapshot"));
  }
  // Whatever was refused above, west's session goes on as before.
  CHECK(f.put_report("west", "west-token", report_body("w1", 2, false, 1))->status == 200);
  const auto delivered = f.inbox.delivered();
  REQUIRE(delivered.size() == 2);
  CHECK(delivered[0].first == "west");
  CHECK(delivered[1].first == "west");
  CHECK(delivered[1].second.seq == 2);
}

TEST_CASE("agent API: a long poll answers when the cluster's assignment changes", "[hub]") {
  Fixture f;
  f.board.publish("east", published_body(4, R"({"revision":4})"));
  SECTION("answers at once for an older revision") {
    const auto res = f.client("east-token").Get("/v1/clusters/east/assignment?after=3&timeoutSeconds=30");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == R"({"revision":4})");
  }
  SECTION("parks, then wakes on publish") {
    auto poll = std::async(std::launch::async, [&] {
      return f.client("east-token").Get("/v1/clusters/east/assignment?after=4&timeoutSeconds=30");
    });
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    while (f.board.parked() == 0 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
    REQUIRE(f.board.parked() == 1);
    f.board.publish("east", published_body(5, R"({"revision":5})"));
    REQUIRE(poll.wait_for(10s) == std::future_status::ready);
    const auto res = poll.get();
    REQUIRE(res);
    CHECK(res->body == R"({"revision":5})");
  }
  SECTION("a malformed query is a 400") {
    const auto res = f.client("east-token").Get("/v1/clusters/east/assignment?after=x");
    CHECK(res->status == 400);
  }
  SECTION("another cluster's assignment is forbidden") {
    const auto res = f.client("west-token").Get("/v1/clusters/east/assignment?after=3");
    CHECK(res->status == 403);
  }
}

TEST_CASE("agent API: reports are answered while the poll limit is reached", "[hub]") {
  AgentApiOptions options;
  options.caps.parked = 2;
  Fixture f(options);
  f.board.publish("east", published_body(1, "{}"));
  std::vector<std::future<httplib::Result>> polls;
  for (int i = 0; i < 2; ++i) {
    polls.push_back(std::async(std::launch::async, [&] {
      return f.client("east-token").Get("/v1/clusters/east/assignment?after=1&timeoutSeconds=30");
    }));
  }
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (f.board.parked() < 2 && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  REQUIRE(f.board.parked() == 2);
  const auto refused = f.client("east-token").Get("/v1/clusters/east/assignment?after=1&timeoutSeconds=30");
  CHECK(refused->status == 429);
  CHECK(refused->get_header_value("Retry-After") == "1");
  CHECK(f.put_report("east", "east-token", report_body("a1", 1, true, 2))->status == 200);
  f.board.publish("east", published_body(2, "{}"));
  for (auto& poll : polls) CHECK(poll.get()->status == 200);
}

TEST_CASE("agent API: a hub that is not serving (starting up or not the leader) answers 503", "[hub]") {
  Fixture f;
  f.serving = false;
  const auto res = f.put_report("east", "east-token", report_body("a1", 1, true, 2));
  CHECK(res->status == 503);
  CHECK(res->get_header_value("Retry-After") == "1");
  CHECK_THAT(res->body, Catch::Contains("starting up, or it is not the leader"));
  CHECK(f.inbox.delivered().empty());
}

TEST_CASE("agent API: a report's answer says whether it was applied, and a resend is a heartbeat", "[hub]") {
  Fixture f;
  const auto first = f.put_report("east", "east-token", report_body("a1", 1, true, 2));
  REQUIRE(first);
  CHECK(first->body == R"({"outcome":"Applied"})");
  const auto resend = f.put_report("east", "east-token", report_body("a1", 1, false, 0));
  REQUIRE(resend);
  CHECK(resend->status == 200);
  CHECK(resend->body == R"({"outcome":"Duplicate"})");
  CHECK(protocol::decode_report_answer(resend->body) == protocol::ReportOutcome::Duplicate);
  const auto delivered = f.inbox.delivered();
  REQUIRE(delivered.size() == 2);
  CHECK(delivered[1].second.services.empty());  // heard from, nothing applied
}

TEST_CASE("agent API: a seq past the bound or an agentVersion past its cap is a 400 naming the field", "[hub]") {
  Fixture f;
  SECTION("seq 2^64-1") {
    const auto res = f.put_report(
        "east", "east-token",
        R"({"agentId":"a1","seq":18446744073709551615,"full":true,"services":[]})");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK_THAT(res->body, Catch::Contains("seq: must be at most 9007199254740991"));
  }
  SECTION("seq 2^53") {
    const auto res =
        f.put_report("east", "east-token", R"({"agentId":"a1","seq":9007199254740992,"full":true,"services":[]})");
    REQUIRE(res);
    CHECK(res->status == 400);
  }
  SECTION("agentVersion of 129 characters") {
    const auto res = f.put_report("east", "east-token",
                                  R"({"agentId":"a1","seq":1,"full":true,"services":[],"agentVersion":")" +
                                      std::string(129, 'v') + "\"}");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK_THAT(res->body, Catch::Contains("agentVersion: at most 128 characters"));
  }
  CHECK(f.inbox.delivered().empty());
  // The bound itself is accepted.
  const auto at_bound =
      f.put_report("east", "east-token", R"({"agentId":"a1","seq":9007199254740991,"full":true,"services":[]})");
  REQUIRE(at_bound);
  CHECK(at_bound->status == 200);
}
