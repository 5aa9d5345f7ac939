#include <catch2/catch.hpp>

#include <future>

#include "switchyard/hub/assignment_board.h"
#include "switchyard/protocol/codec.h"

using namespace switchyard::hub;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const PublishedAssignment> assignment(std::int64_t revision) {
  return std::make_shared<const PublishedAssignment>(PublishedAssignment{revision, "r" + std::to_string(revision)});
}

// Waits until `count` polls are parked, so a test publishes only after the
// poll it means to wake is waiting (no sleeps standing in for that).
void await_parked(const AssignmentBoard& board, std::size_t count) {
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (board.parked() < count && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  REQUIRE(board.parked() == count);
}

}  // namespace

TEST_CASE("a poll returns at once when the revision differs from the agent's", "[hub]") {
  AssignmentBoard board;
  board.publish("east", assignment(8));
  const auto far = AssignmentBoard::Clock::now() + 60s;
  CHECK(board.wait_for_change("east", 7, far)->revision == 8);
  // A revision from a previous hub's run, higher than ours, also answers at once.
  CHECK(board.wait_for_change("east", 99, far)->revision == 8);
}

TEST_CASE("a poll at the current revision waits for a publish, then wakes", "[hub]") {
  AssignmentBoard board;
  board.publish("east", assignment(8));
  auto poll = std::async(std::launch::async, [&] {
    return board.wait_for_change("east", 8, AssignmentBoard::Clock::now() + 60s);
  });
  await_parked(board, 1);
  board.publish("west", assignment(3));  // another cluster's publish does not wake it
  CHECK(poll.wait_for(50ms) == std::future_status::timeout);
  board.publish("east", assignment(9));
  REQUIRE(poll.wait_for(10s) == std::future_status::ready);
  CHECK(poll.get()->body == "r9");
  CHECK(board.parked() == 0);
}

TEST_CASE("a poll times out with the same revision", "[hub]") {
  AssignmentBoard board;
  board.publish("east", assignment(8));
  const auto result = board.wait_for_change("east", 8, AssignmentBoard::Clock::now() + 20ms);
  CHECK(result->revision == 8);
}

TEST_CASE("shutdown wakes every parked poll", "[hub]") {
  AssignmentBoard board;
  board.publish("east", assignment(1));
  auto first = std::async(std::launch::async, [&] {
    return board.wait_for_change("east", 1, AssignmentBoard::Clock::now() + 60s);
  });
  auto second = std::async(std::launch::async, [&] {
    return board.wait_for_change("west", 0, AssignmentBoard::Clock::now() + 60s);
  });
  await_parked(board, 2);
  board.shutdown();
  REQUIRE(first.wait_for(10s) == std::future_status::ready);
  REQUIRE(second.wait_for(10s) == std::future_status::ready);
  CHECK(first.get()->revision == 1);
  CHECK(second.get() == nullptr);
}

TEST_CASE("an assignment body assembled from encoded TrafficSplits decodes as the complete assignment", "[hub]") {
  using switchyard::core::ClusterAssignment;
  using switchyard::core::ServiceRole;
  const std::vector<ClusterAssignment::WatchItem> watch{{"emojivoto", "web-svc", ServiceRole::Local},
                                                        {"emojivoto", "web-svc-east", ServiceRole::Mirror}};
  const std::string split =
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"web-svc",)"
      R"("namespace":"emojivoto","labels":{"app.kubernetes.io/managed-by":"switchyard"}},)"
      R"("spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":1}]}})";
  const auto body = encode_assignment_body(12, watch, {split});
  const auto decoded = switchyard::protocol::decode_assignment(body);
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  CHECK(decoded.value->revision == 12);
  REQUIRE(decoded.value->watch.size() == 2);
  CHECK(decoded.value->watch[1].name == "web-svc-east");
  CHECK(decoded.value->watch[1].role == switchyard::protocol::ServiceRole::Mirror);
  REQUIRE(decoded.value->traffic_splits.size() == 1);
  CHECK(decoded.value->traffic_splits[0].object_json == split);
  CHECK(encode_assignment_body(13, {}, {}) == R"({"revision":13,"watch":[],"trafficSplits":[]})");
}
