// The three attacks of issue 18 against the agent API, each while another
// cluster goes on reporting and polling: its answers must keep coming
// within their usual time (well under a second on loopback).
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <atomic>
#include <future>
#include <memory>
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

// West's agent meanwhile: a report and a poll on new connections, again
// and again until `stop`; the slowest answer, or 60 s for one that failed.
struct Bystander {
  Bystander(int port, std::atomic<bool>& stop)
      : done(std::async(std::launch::async, [port, &stop] {
          std::chrono::steady_clock::duration slowest{};
          std::uint64_t seq = 0;
          int rounds = 0;
          while (!stop || rounds == 0) {
            protocol::Report report;
            report.agent_id = "w1";
            report.seq = ++seq;
            report.full = seq == 1;
            const auto started = std::chrono::steady_clock::now();
            RawConnection reporter(port);
            const bool reported = reporter.send(report_request("west", "west-token", protocol::encode_report(report))) &&
                                  reporter.read_response(5s).status == 200;
            RawConnection poller(port);
            const bool polled = poller.send(poll_request("west", "west-token", -1, 0)) &&
                                poller.read_response(5s).status == 200;
            const auto took = std::chrono::steady_clock::now() - started;
            slowest = std::max(slowest, reported && polled ? took : std::chrono::steady_clock::duration(60s));
            ++rounds;
            std::this_thread::sleep_for(100ms);
          }
          return std::make_pair(slowest, rounds);
        })) {}
  std::future<std::pair<std::chrono::steady_clock::duration, int>> done;
};

}  // namespace

TEST_CASE("agent API attack: huge chunked bodies without a token: 401 at once, memory bounded", "[hub]") {
  Hub hub;
  std::atomic<bool> stop{false};
  Bystander west(hub.server->port(), stop);
  const auto resident_before = resident_kib();
  const std::string chunk = "100000\r\n" + std::string(0x100000, 'x') + "\r\n";  // 1 MiB
  std::vector<int> statuses;
  std::size_t sent_mib = 0;
  for (int attacker = 0; attacker < 4; ++attacker) {
    RawConnection connection(hub.server->port());
    const std::string token = attacker % 2 == 0 ? "" : "Authorization: Bearer east-token\r\n";
    REQUIRE(connection.send("PUT /v1/clusters/east/report HTTP/1.1\r\n" + token +
                            "Transfer-Encoding: chunked\r\n\r\n"));
    // Up to 64 MiB each, until the answer comes (the old server buffered it all).
    for (int i = 0; i < 64 && !connection.readable(2ms) && connection.send(chunk); ++i) ++sent_mib;
    statuses.push_back(connection.read_response(10s).status);
  }
  stop = true;
  const auto grown_kib = resident_kib() - resident_before;
  CHECK(statuses == std::vector<int>{401, 413, 401, 413});
  CHECK(grown_kib < 32 * 1024);
  CHECK(sent_mib < 4 * 16);
  const auto [slowest, rounds] = west.done.get();
  CHECK(rounds >= 1);
  CHECK(slowest < 1s);
  INFO("sent " << sent_mib << " MiB, resident grew " << grown_kib << " KiB");
}

TEST_CASE("agent API attack: 1,000 slowloris connections do not stall another cluster", "[hub]") {
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = std::max<rlim_t>(files.rlim_cur, std::min<rlim_t>(files.rlim_max, 8192));
  setrlimit(RLIMIT_NOFILE, &files);
  REQUIRE(files.rlim_cur >= 4096);
  Hub hub;  // caps as in production: 512 unauthenticated connections
  std::vector<std::unique_ptr<RawConnection>> attackers;
  for (int i = 0; i < 1000; ++i) {
    attackers.push_back(std::make_unique<RawConnection>(hub.server->port()));
    attackers.back()->send("PUT /v1/clusters/east/report HTTP/1.1\r\n");
  }
  std::atomic<bool> stop{false};
  Bystander west(hub.server->port(), stop);
  // A header line every 2 s on every connection, for 6 s: each read comes
  // long before any per-read timeout would fire.
  for (int round = 0; round < 3; ++round) {
    for (auto& attacker : attackers) attacker->send("X-Slow: " + std::to_string(round) + "\r\n");
    std::this_thread::sleep_for(2s);
  }
  stop = true;
  const auto [slowest, rounds] = west.done.get();
  CHECK(rounds >= 10);
  CHECK(slowest < 1s);
  CHECK(hub.server->limits().unauthenticated() <= 512);
  CHECK(hub.counter("switchyard_agent_api_connections_evicted_total") >= 488);
}

TEST_CASE("agent API attack: one token parking polls from short-lived connections refuses no other cluster",
          "[hub]") {
  Hub hub;
  // East's token parks a poll on a new connection and drops it, 300 times.
  int refused = 0;
  for (int i = 0; i < 300; ++i) {
    RawConnection connection(hub.server->port());
    connection.send(poll_request("east", "east-token", 1, 300));
    if (connection.readable(20ms) && connection.read_response(1s).status == 429) ++refused;
  }
  // West's poll parks (not 429) and is answered by a publish.
  RawConnection west(hub.server->port());
  REQUIRE(west.send(poll_request("west", "west-token", 1, 300)));
  CHECK(Hub::eventually([&] { return hub.server->limits().parked("west") == 1; }));
  hub.board.publish("west", revision(2));
  CHECK(west.read_response(2s).status == 200);
  // Every dropped poll and its socket were released.
  CHECK(Hub::eventually([&] {
    return hub.server->limits().parked("east") == 0 && hub.server->limits().connections("east") == 0;
  }));
  CHECK(hub.server->limits().parked("east") == 0);
  CHECK(hub.server->limits().connections("east") == 0);
  CHECK(hub.board.parked() == 0);
  CHECK(hub.counter("switchyard_agent_api_parked_polls_dropped_total") + refused >= 290);
}
