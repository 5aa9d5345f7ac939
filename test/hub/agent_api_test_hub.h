// A running AgentApiServer for the transport, TLS and attack tests: tokens
// for east and west, revision 1 published for both, reports dropped.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "switchyard/hub/agent_api_server.h"
#include "switchyard/protocol/codec.h"

namespace switchyard::test {

class NullInbox : public hub::ReportInbox {
 public:
  void deliver(const std::string&, protocol::Report&&, std::chrono::system_clock::time_point) override {}
};

inline std::shared_ptr<const hub::PublishedAssignment> revision(std::int64_t number) {
  auto published = std::make_shared<hub::PublishedAssignment>();
  published->revision = number;
  published->body = R"({"revision":)" + std::to_string(number) + "}";
  return published;
}

struct TestHub {
  explicit TestHub(hub::AgentApiOptions options = {}) {
    tokens.set_token("east", "east-token");
    tokens.set_token("west", "west-token");
    board.publish("east", revision(1));
    board.publish("west", revision(1));
    server = std::make_unique<hub::AgentApiServer>(options, tokens, sessions, board, inbox, metrics, [] { return true; });
    std::string error;
    REQUIRE(server->start("127.0.0.1", 0, error));
  }
  std::uint64_t counter(const std::string& name) { return metrics.counter(name, "").value(); }
  // Polls `condition` every 5 ms until it holds or `wait` ran out.
  template <class Condition>
  static bool eventually(Condition condition, std::chrono::milliseconds wait = std::chrono::milliseconds(5000)) {
    const auto give_up = std::chrono::steady_clock::now() + wait;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > give_up) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  hub::TokenRegistry tokens;
  hub::AgentSessions sessions;
  hub::AssignmentBoard board;
  NullInbox inbox;
  metrics::Registry metrics;
  std::unique_ptr<hub::AgentApiServer> server;
};

}  // namespace switchyard::test
