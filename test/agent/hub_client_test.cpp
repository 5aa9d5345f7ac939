// The agent's hub client against the hub's real agent API server, over TLS.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "switchyard/agent/hub_client.h"
#include "switchyard/agent/reporter.h"
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
using namespace std::chrono_literals;

namespace {

class CountingInbox : public hub::ReportInbox {
 public:
  void deliver(const std::string&, protocol::Report&&, std::chrono::system_clock::time_point) override {
    ++delivered;
  }
  std::atomic<int> delivered{0};
};

// A throwaway self-signed certificate for 127.0.0.1, made with the openssl CLI.
struct TestCertificate {
  TestCertificate() {
    dir = std::filesystem::temp_directory_path() /
          ("switchyard-hub-client-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                         "-addext subjectAltName=IP:127.0.0.1 -keyout " +
                         (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() +
                         " >/dev/null 2>&1";
    REQUIRE(std::system(command.c_str()) == 0);
  }
  ~TestCertificate() { std::filesystem::remove_all(dir); }
  std::string cert() const { return (dir / "cert.pem").string(); }
  std::string key() const { return (dir / "key.pem").string(); }
  std::filesystem::path dir;
};

struct Hub {
  explicit Hub(const TestCertificate& certificate, int port = 0) {
    tokens.set_token("east", "east-token");
    hub::AgentApiOptions options;
    options.tls_cert_file = certificate.cert();
    options.tls_key_file = certificate.key();
    options.caps.parked = 4;
    server = std::make_unique<hub::AgentApiServer>(options, tokens, sessions, board, inbox, metrics,
                                                   [this] { return serving.load(); });
    std::string error;
    REQUIRE(server->start("127.0.0.1", port, error));
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server->port()); }

  std::atomic<bool> serving{true};
  hub::TokenRegistry tokens;
  hub::AgentSessions sessions;
  hub::AssignmentBoard board;
  CountingInbox inbox;
  metrics::Registry metrics;
  std::unique_ptr<hub::AgentApiServer> server;
};

protocol::Report report(std::uint64_t seq, bool full) {
  protocol::Report r;
  r.agent_id = "a1";
  r.seq = seq;
  r.full = full;
  return r;
}

}  // namespace

TEST_CASE("the hub client reports and polls over TLS, verifying the hub", "[agent]") {
  TestCertificate certificate;
  Hub hub(certificate);
  agent::HubClient client({hub.url(), "east", "east-token", certificate.cert()});

  CHECK(client.send_report(report(1, false)).outcome == agent::HubOutcome::NeedFullSnapshot);
  CHECK(client.send_report(report(1, true)).outcome == agent::HubOutcome::Ok);
  CHECK(client.send_report(report(2, false)).outcome == agent::HubOutcome::Ok);
  CHECK(hub.inbox.delivered == 2);

  protocol::Assignment assignment;
  assignment.revision = 5;
  assignment.watch = {{"emojivoto", "web-svc", protocol::ServiceRole::Local}};
  hub.board.publish("east", published_body(5, protocol::encode_assignment(assignment)));
  const auto changed = client.poll_assignment(0, "", 5s);
  REQUIRE(changed.outcome == agent::HubOutcome::Ok);
  CHECK(*changed.assignment == assignment);
  CHECK(client.poll_assignment(5, "", 1s).outcome == agent::HubOutcome::Unchanged);
}

TEST_CASE("the hub client tells refusals from outages", "[agent]") {
  TestCertificate certificate;
  Hub hub(certificate);
  SECTION("a wrong token is rejected, not retried as an outage") {
    agent::HubClient client({hub.url(), "east", "wrong", certificate.cert()});
    const auto result = client.send_report(report(1, true));
    CHECK(result.outcome == agent::HubOutcome::Rejected);
    CHECK_THAT(result.detail, Catch::Contains("HTTP 401"));
  }
  SECTION("a hub whose certificate is not trusted is unreachable") {
    agent::HubClient client({hub.url(), "east", "east-token", ""});
    const auto result = client.send_report(report(1, true));
    CHECK(result.outcome == agent::HubOutcome::Unavailable);
    CHECK(hub.inbox.delivered == 0);
  }
  SECTION("a hub not serving yet is unavailable, and says when to come back") {
    hub.serving = false;
    agent::HubClient client({hub.url(), "east", "east-token", certificate.cert()});
    const auto report_result = client.send_report(report(1, true));
    CHECK(report_result.outcome == agent::HubOutcome::Unavailable);
    CHECK(report_result.retry_after == std::chrono::seconds(1));
    const auto poll_result = client.poll_assignment(0, "", 1s);
    CHECK(poll_result.outcome == agent::HubOutcome::Unavailable);
    CHECK(poll_result.retry_after == std::chrono::seconds(1));
    CHECK(hub.inbox.delivered == 0);
  }
  SECTION("a stopped hub is unreachable") {
    const auto url = hub.url();
    hub.server->stop();
    agent::HubClient client({url, "east", "east-token", certificate.cert()});
    CHECK(client.send_report(report(1, true)).outcome == agent::HubOutcome::Unavailable);
    CHECK(client.poll_assignment(0, "", 1s).outcome == agent::HubOutcome::Unavailable);
  }
}

TEST_CASE("after a hub restart the reporter's first report is a full snapshot: no 409", "[agent]") {
  // The hub process goes away and another starts on the same address: the
  // kept-alive report connection is closed by the first; httplib would
  // reopen it silently and send a delta, which the new hub (no session for
  // this agent) answers 409.
  TestCertificate certificate;
  auto first = std::make_unique<Hub>(certificate);
  const int port = first->server->port();
  const auto url = first->url();
  agent::HubClient client({url, "east", "east-token", certificate.cert()});
  metrics::Registry registry;
  agent::AgentMetrics metrics(registry);
  agent::Reporter reporter(client, agent::ReportBuilder("a1"),
                           agent::ReporterOptions{.interval = 100ms, .seed = 3}, metrics);
  reporter.update({});
  reporter.start();
  auto eventually = [](auto&& condition) {
    for (int i = 0; i < 200 && !condition(); ++i) std::this_thread::sleep_for(25ms);
    return condition();
  };
  REQUIRE(eventually([&] { return first->inbox.delivered >= 3; }));  // a full snapshot and deltas
  first->server->stop();
  first.reset();

  Hub second(certificate, port);
  REQUIRE(eventually([&] { return second.inbox.delivered >= 2; }));
  reporter.stop();
  CHECK(metrics.reports_resync.value() == 0);  // no 409
}
