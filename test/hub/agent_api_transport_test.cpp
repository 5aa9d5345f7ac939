// The agent API's transport (issue 18): kept-alive connections, a parked
// poll without a thread, the request deadline and idle timeout, header
// limits, chunked bodies, the connection caps and a parked poll's client
// going away. Bytes go on the wire by hand (raw_http.h) so each test
// controls what the server sees and when.
#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "agent_api_test_hub.h"
#include "raw_http.h"
#include "switchyard/hub/agent_api_server.h"
#include "switchyard/protocol/codec.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace switchyard::test;
using namespace std::chrono_literals;

namespace {

using Hub = TestHub;

std::string full_report(const std::string& agent, std::uint64_t seq = 1) {
  protocol::Report report;
  report.agent_id = agent;
  report.seq = seq;
  report.full = true;
  return protocol::encode_report(report);
}

}  // namespace

TEST_CASE("agent API transport: many requests on one kept-alive connection", "[hub]") {
  Hub hub;
  RawConnection connection(hub.server->port());
  REQUIRE(connection.connected());
  REQUIRE(connection.send(report_request("east", "east-token", full_report("a1", 1))));
  CHECK(connection.read_response().status == 200);
  for (std::uint64_t seq = 2; seq <= 5; ++seq) {
    protocol::Report delta;
    delta.agent_id = "a1";
    delta.seq = seq;
    REQUIRE(connection.send(report_request("east", "east-token", protocol::encode_report(delta))));
    CHECK(connection.read_response().status == 200);
  }
  REQUIRE(connection.send(poll_request("east", "east-token", -1, 0)));
  const auto poll = connection.read_response();
  CHECK(poll.status == 200);
  CHECK(poll.body == R"({"revision":1})");
  CHECK(hub.counter("switchyard_agent_api_connections_accepted_total") == 1);
}

TEST_CASE("agent API transport: parked polls hold no thread, and the loop has io_threads threads", "[hub]") {
  // A thread started and joined first, so that threads a runtime starts with
  // the first one (ThreadSanitizer's background thread) are counted before.
  std::thread([] {}).join();
  const auto before = thread_count();
  AgentApiOptions options;
  options.io_threads = 3;
  Hub hub(options);
  CHECK(thread_count() - before == 3);
  std::vector<std::unique_ptr<RawConnection>> polls;
  for (int i = 0; i < 40; ++i) {
    polls.push_back(std::make_unique<RawConnection>(hub.server->port()));
    REQUIRE(polls.back()->send(poll_request("east", "east-token", 1, 30)));
  }
  // 40 polls over 8 per cluster: 32 are refused at once, 8 park.
  int refused = 0;
  for (auto& poll : polls) {
    if (poll->readable(200ms) && poll->read_response().status == 429) ++refused;
  }
  CHECK(refused == 32);
  REQUIRE(Hub::eventually([&] { return hub.board.parked() == 8; }));
  CHECK(thread_count() - before == 3);
  // A report is answered while they wait, and a publish answers them all.
  RawConnection report(hub.server->port());
  REQUIRE(report.send(report_request("west", "west-token", full_report("w1"))));
  CHECK(report.read_response(2s).status == 200);
  hub.board.publish("east", revision(2));
  int answered = 0;
  for (auto& poll : polls) {
    if (poll->readable(2s)) {
      const auto answer = poll->read_response(2s);
      if (answer.status == 200 && answer.body == R"({"revision":2})") ++answered;
    }
  }
  CHECK(answered == 8);
}

TEST_CASE("agent API transport: more than 8 threads is refused", "[hub]") {
  TokenRegistry tokens;
  AgentSessions sessions;
  AssignmentBoard board;
  NullInbox inbox;
  metrics::Registry metrics;
  AgentApiOptions options;
  options.io_threads = 9;
  AgentApiServer server(options, tokens, sessions, board, inbox, metrics, [] { return true; });
  std::string error;
  CHECK_FALSE(server.start("127.0.0.1", 0, error));
  CHECK_THAT(error, Catch::Contains("io_threads is 9, must be 1..8"));
}

TEST_CASE("agent API transport: a request's head and body have one deadline, not one per read", "[hub]") {
  AgentApiOptions options;
  options.request_deadline = 1000ms;
  Hub hub(options);
  RawConnection slow(hub.server->port());
  REQUIRE(slow.send("PUT /v1/clusters/east/report HTTP/1.1\r\n"));
  const auto started = std::chrono::steady_clock::now();
  // A header line every 300 ms: each read arrives well within a second.
  bool closed = false;
  for (int line = 0; line < 10 && !closed; ++line) {
    slow.send("X-Slow-" + std::to_string(line) + ": a\r\n");
    closed = slow.closed_within(300ms);
  }
  CHECK(closed);
  CHECK(std::chrono::steady_clock::now() - started < 2500ms);
  CHECK(hub.counter("switchyard_agent_api_connections_timed_out_total") == 1);
}

TEST_CASE("agent API transport: an idle kept-alive connection is closed after the idle timeout", "[hub]") {
  AgentApiOptions options;
  options.idle_timeout = 500ms;
  Hub hub(options);
  RawConnection connection(hub.server->port());
  REQUIRE(connection.send(poll_request("east", "east-token", -1, 0)));
  REQUIRE(connection.read_response().status == 200);
  // Requests within the idle timeout keep it open...
  std::this_thread::sleep_for(300ms);
  REQUIRE(connection.send(poll_request("east", "east-token", -1, 0)));
  REQUIRE(connection.read_response().status == 200);
  // ...and none for longer closes it.
  const auto started = std::chrono::steady_clock::now();
  CHECK(connection.closed_within(3s));
  CHECK(std::chrono::steady_clock::now() - started >= 400ms);
}

TEST_CASE("agent API transport: header size and count are limited: 431", "[hub]") {
  Hub hub;
  SECTION("a head past 8 KiB") {
    RawConnection connection(hub.server->port());
    REQUIRE(connection.send("GET /v1/clusters/east/assignment HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') +
                            "\r\n\r\n"));
    CHECK(connection.read_response().status == 431);
  }
  SECTION("more than 64 fields") {
    std::string head = "GET /v1/clusters/east/assignment?timeoutSeconds=0 HTTP/1.1\r\nAuthorization: Bearer east-token\r\n";
    for (int i = 0; i < 70; ++i) head += "X-" + std::to_string(i) + ": a\r\n";
    RawConnection connection(hub.server->port());
    REQUIRE(connection.send(head + "\r\n"));
    const auto answer = connection.read_response();
    CHECK(answer.status == 431);
    CHECK_THAT(answer.body, Catch::Contains("more than 64 header fields"));
  }
}

TEST_CASE("agent API transport: the body limit holds for chunked bodies: 413", "[hub]") {
  Hub hub;
  RawConnection connection(hub.server->port());
  REQUIRE(connection.send("PUT /v1/clusters/east/report HTTP/1.1\r\nAuthorization: Bearer east-token\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";  // 64 KiB each
  // Up to 8 MiB, 64 KiB every 5 ms, until the answer comes: the server
  // reads 1 MiB, then answers (a server that buffered the body whole would
  // answer only once it ended).
  int sent = 0;
  while (sent < 128 && !connection.readable(5ms) && connection.send(chunk)) ++sent;
  const auto answer = connection.read_response();
  CHECK(answer.status == 413);
  CHECK(sent < 128);
  // A chunked body within the limit is read as any other.
  RawConnection fine(hub.server->port());
  const auto body = full_report("a1");
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  REQUIRE(fine.send("PUT /v1/clusters/east/report HTTP/1.1\r\nAuthorization: Bearer east-token\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n" + std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n"));
  CHECK(fine.read_response().status == 200);
}

TEST_CASE("agent API transport: at the unauthenticated cap the oldest unauthenticated connection is closed", "[hub]") {
  AgentApiOptions options;
  options.caps.unauthenticated = 4;
  Hub hub(options);
  RawConnection authenticated(hub.server->port());
  REQUIRE(authenticated.send(poll_request("east", "east-token", -1, 0)));
  REQUIRE(authenticated.read_response().status == 200);
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<RawConnection>(hub.server->port()));
    REQUIRE(Hub::eventually([&] { return hub.server->limits().unauthenticated() == idle.size(); }));
  }
  RawConnection newcomer(hub.server->port());
  CHECK(idle.front()->closed_within(2s));
  REQUIRE(newcomer.send(poll_request("west", "west-token", -1, 0)));
  CHECK(newcomer.read_response().status == 200);
  CHECK_FALSE(idle.back()->closed_within(100ms));
  // The authenticated connection was never a candidate.
  REQUIRE(authenticated.send(poll_request("east", "east-token", -1, 0)));
  CHECK(authenticated.read_response().status == 200);
}

TEST_CASE("agent API transport: connections and parked polls are capped per cluster token: 429", "[hub]") {
  AgentApiOptions options;
  options.caps.per_cluster = 2;
  options.caps.parked_per_cluster = 1;
  Hub hub(options);
  RawConnection first(hub.server->port());
  RawConnection second(hub.server->port());
  RawConnection third(hub.server->port());
  REQUIRE(first.send(poll_request("east", "east-token", 1, 30)));  // parks
  REQUIRE(Hub::eventually([&] { return hub.board.parked() == 1; }));
  REQUIRE(second.send(poll_request("east", "east-token", 1, 30)));
  const auto refused_poll = second.read_response();
  CHECK(refused_poll.status == 429);
  CHECK_THAT(refused_poll.headers, Catch::Contains("Retry-After: 1"));
  CHECK_THAT(refused_poll.body, Catch::Contains("too many parked long polls for cluster east"));
  REQUIRE(third.send(poll_request("east", "east-token", -1, 0)));
  const auto refused_connection = third.read_response();
  CHECK(refused_connection.status == 429);
  CHECK_THAT(refused_connection.body, Catch::Contains("too many open connections for cluster east"));
  CHECK(third.closed_within(3s));
  // Another cluster is not refused either way.
  RawConnection west(hub.server->port());
  REQUIRE(west.send(poll_request("west", "west-token", 1, 30)));
  REQUIRE(Hub::eventually([&] { return hub.board.parked() == 2; }));
  hub.board.publish("west", revision(2));
  CHECK(west.read_response().status == 200);
}

TEST_CASE("agent API transport: a parked poll is released when its client goes away", "[hub]") {
  Hub hub;
  {
    RawConnection poll(hub.server->port());
    REQUIRE(poll.send(poll_request("east", "east-token", 1, 300)));
    REQUIRE(Hub::eventually([&] { return hub.board.parked() == 1; }));
    CHECK(hub.server->limits().parked("east") == 1);
  }  // closed while parked
  CHECK(Hub::eventually([&] { return hub.board.parked() == 0; }, 2s));
  CHECK(hub.server->limits().parked("east") == 0);
  CHECK(Hub::eventually([&] { return hub.server->limits().connections("east") == 0; }, 2s));
  CHECK(hub.counter("switchyard_agent_api_parked_polls_dropped_total") == 1);
}

TEST_CASE("agent API transport: a request pipelined behind a parked poll ends the poll at once", "[hub]") {
  // An agent that reports and polls on one connection writes its report
  // while its poll is parked: the poll is answered now, unchanged, and the
  // report right after it, not 300 s later.
  Hub hub;
  RawConnection connection(hub.server->port());
  REQUIRE(connection.send(poll_request("east", "east-token", 1, 300)));
  REQUIRE(Hub::eventually([&] { return hub.board.parked() == 1; }));
  REQUIRE(connection.send(report_request("east", "east-token", full_report("a1", 1))));
  // Without the early answer both wait out the poll's 300 s: status 0 here.
  const auto poll = connection.read_response(5s);
  CHECK(poll.status == 200);
  CHECK(poll.body == R"({"revision":1})");
  const auto report = connection.read_response(5s);
  CHECK(report.status == 200);
  CHECK(hub.board.parked() == 0);
  CHECK(hub.server->limits().parked("east") == 0);
  CHECK(hub.counter("switchyard_agent_api_parked_polls_ended_by_request_total") == 1);
  CHECK(hub.counter("switchyard_agent_api_parked_polls_dropped_total") == 0);
  // The connection stays usable: the next poll parks again.
  REQUIRE(connection.send(poll_request("east", "east-token", 1, 300)));
  CHECK(Hub::eventually([&] { return hub.board.parked() == 1; }));
}

TEST_CASE("agent API transport: a request written together with a poll ends the poll at once", "[hub]") {
  // Both arrive in one segment: the server holds the report's bytes before
  // the poll parks, and the socket never turns readable for them.
  Hub hub;
  RawConnection connection(hub.server->port());
  REQUIRE(connection.send(poll_request("east", "east-token", 1, 300) +
                          report_request("east", "east-token", full_report("a1", 1))));
  const auto poll = connection.read_response(5s);
  CHECK(poll.status == 200);
  CHECK(poll.body == R"({"revision":1})");
  CHECK(connection.read_response(5s).status == 200);
  CHECK(hub.counter("switchyard_agent_api_parked_polls_ended_by_request_total") == 1);
}
