#include <catch2/catch.hpp>

#include <future>

#include "switchyard/hub/assignment_board.h"
#include "switchyard/protocol/codec.h"

// A published assignment with only a revision and a body.
inline std::shared_ptr<const switchyard::hub::PublishedAssignment> published_body(std::int64_t revision, std::string body) {
  auto published = std::make_shared<switchyard::hub::PublishedAssignment>();
  published->revision = revision;
  published->body = std::move(body);
  return published;
}

using namespace switchyard::hub;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const PublishedAssignment> assignment(std::int64_t revision) {
  return published_body(revision, "r" + std::to_string(revision));
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
  const std::vector<ClusterAssignment::WatchItem> watch{{"emojivoto", "web-svc", ServiceRole::Local, {}},
                                                        {"emojivoto", "web-svc-east", ServiceRole::Mirror, {}}};
  const std::string split =
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"web-svc",)"
      R"("namespace":"emojivoto","labels":{"app.kubernetes.io/managed-by":"switchyard"}},)"
      R"("spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":1}]}})";
  const auto body = encode_assignment_body(12, "e1", encode_watch_json(watch), EncodedSplits({split}));
  const auto decoded = switchyard::protocol::decode_assignment(body);
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  CHECK(decoded.value->revision == 12);
  CHECK(decoded.value->epoch == "e1");
  CHECK(decoded.value->full);
  REQUIRE(decoded.value->watch.size() == 2);
  CHECK(decoded.value->watch[1].name == "web-svc-east");
  CHECK(decoded.value->watch[1].role == switchyard::protocol::ServiceRole::Mirror);
  REQUIRE(decoded.value->traffic_splits.size() == 1);
  CHECK(decoded.value->traffic_splits[0].object_json == split);
  CHECK(encode_assignment_body(13, "e1", encode_watch_json({}), EncodedSplits()) ==
        R"({"revision":13,"epoch":"e1","full":true,"watch":[],"trafficSplits":[]})");
}

namespace {

std::string split_object(const std::string& name, int weight) {
  return R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":")" + name +
         R"(","namespace":"shop"},"spec":{"service":")" + name + R"(","backends":[{"service":")" + name +
         R"(","weight":)" + std::to_string(weight) + "}]}}";
}

const std::vector<switchyard::core::ClusterAssignment::WatchItem> kWatch{
    {"shop", "a", switchyard::core::ServiceRole::Local, {}}};

// A complete assignment of `splits` at `revision`, as the controller publishes it.
std::shared_ptr<const PublishedAssignment> complete(const AssignmentBoard& board, std::int64_t revision,
                                                   const std::vector<std::string>& splits,
                                                   const std::string& watch_json) {
  auto published = std::make_shared<PublishedAssignment>();
  published->revision = revision;
  published->epoch = board.epoch();
  published->watch_json = watch_json;
  published->splits = EncodedSplits(splits);
  return published;
}

std::shared_ptr<const AssignmentStep> step(std::int64_t revision,
                                           std::vector<std::pair<std::string, std::optional<std::string>>> splits,
                                           bool watch_changed = false) {
  auto made = std::make_shared<AssignmentStep>();
  made->revision = revision;
  made->watch_changed = watch_changed;
  for (auto& [name, object] : splits) made->splits.push_back({{"shop", name, {}}, std::move(object)});
  return made;
}

switchyard::protocol::Assignment decoded(const std::shared_ptr<const PublishedAssignment>& answer) {
  REQUIRE(answer);
  auto result = switchyard::protocol::decode_assignment(answer->text());
  INFO(result.message());
  REQUIRE(result.ok());
  return *result.value;
}

std::vector<std::string> names(const std::vector<switchyard::protocol::DesiredTrafficSplit>& splits) {
  std::vector<std::string> out;
  for (const auto& split : splits) out.push_back(split.name);
  return out;
}

}  // namespace

TEST_CASE("a poll of this board's epoch gets only what changed since its revision", "[hub]") {
  AssignmentBoard board;
  const auto watch = encode_watch_json(kWatch);
  const auto far = AssignmentBoard::Clock::now() + 60s;
  board.publish("east", complete(board, 1, {split_object("a", 1), split_object("b", 1)}, watch));
  board.publish("east", complete(board, 2, {split_object("a", 0), split_object("b", 1)}, watch),
                step(2, {{"a", split_object("a", 0)}}));
  board.publish("east", complete(board, 3, {split_object("a", 0)}, "[]"), step(3, {{"b", std::nullopt}}, true));

  const auto since_one = decoded(board.wait_for_change("east", 1, far, board.epoch()));
  CHECK_FALSE(since_one.full);
  CHECK(since_one.revision == 3);
  CHECK(since_one.epoch == board.epoch());
  CHECK(names(since_one.traffic_splits) == std::vector<std::string>{"a"});
  CHECK(since_one.traffic_splits[0].object_json == split_object("a", 0));
  REQUIRE(since_one.removed_traffic_splits.size() == 1);
  CHECK(since_one.removed_traffic_splits[0].name == "b");
  CHECK(since_one.watch_changed);  // revision 3 emptied it
  CHECK(since_one.watch.empty());

  const auto since_two = decoded(board.wait_for_change("east", 2, far, board.epoch()));
  CHECK(since_two.traffic_splits.empty());
  CHECK(since_two.removed_traffic_splits.size() == 1);

  SECTION("the latest change of a split wins") {
    board.publish("east", complete(board, 4, {split_object("a", 7)}, "[]"), step(4, {{"a", split_object("a", 7)}}));
    const auto since_one_again = decoded(board.wait_for_change("east", 1, far, board.epoch()));
    REQUIRE(since_one_again.traffic_splits.size() == 1);
    CHECK(since_one_again.traffic_splits[0].object_json == split_object("a", 7));
  }
  SECTION("a poll that times out at the current revision gets an empty delta") {
    const auto unchanged =
        decoded(board.wait_for_change("east", 3, AssignmentBoard::Clock::now() + 20ms, board.epoch()));
    CHECK_FALSE(unchanged.full);
    CHECK(unchanged.revision == 3);
    CHECK(unchanged.traffic_splits.empty());
    CHECK(unchanged.removed_traffic_splits.empty());
    CHECK_FALSE(unchanged.watch_changed);
  }
}

TEST_CASE("a poll of another epoch, of none, or from too far back gets the complete assignment", "[hub]") {
  AssignmentBoard board;
  const auto watch = encode_watch_json(kWatch);
  const auto far = AssignmentBoard::Clock::now() + 60s;
  board.publish("east", complete(board, 1, {split_object("a", 1)}, watch));
  board.publish("east", complete(board, 2, {split_object("a", 0)}, watch), step(2, {{"a", split_object("a", 0)}}));

  SECTION("no epoch: an agent that holds nothing, or an older agent") {
    const auto answer = decoded(board.wait_for_change("east", 1, far));
    CHECK(answer.full);
    CHECK(answer.traffic_splits.size() == 1);
  }
  SECTION("another hub process's epoch answers at once, even at the same revision number") {
    const auto answer = decoded(board.wait_for_change("east", 2, far, "another-hub"));
    CHECK(answer.full);
    CHECK(answer.revision == 2);
    CHECK(answer.epoch == board.epoch());
  }
  SECTION("a revision older than the steps kept") {
    // Each step names one split; the budget for one split is 2 x 1 + 64.
    for (std::int64_t revision = 3; revision <= 80; ++revision) {
      board.publish("east", complete(board, revision, {split_object("a", static_cast<int>(revision))}, watch),
                    step(revision, {{"a", split_object("a", static_cast<int>(revision))}}));
    }
    CHECK(decoded(board.wait_for_change("east", 1, far, board.epoch())).full);
    const auto recent = decoded(board.wait_for_change("east", 70, far, board.epoch()));
    CHECK_FALSE(recent.full);
    CHECK(recent.traffic_splits.size() == 1);
  }
  SECTION("a publish without a step (its difference unknown) drops the history") {
    board.publish("east", complete(board, 3, {split_object("a", 3)}, watch));
    CHECK(decoded(board.wait_for_change("east", 2, far, board.epoch())).full);
  }
  SECTION("a step that does not follow the current revision is not kept") {
    board.publish("east", complete(board, 5, {split_object("a", 5)}, watch), step(5, {{"a", split_object("a", 5)}}));
    CHECK(decoded(board.wait_for_change("east", 2, far, board.epoch())).full);
  }
}

TEST_CASE("a parked poll holds no thread: the publish calls its wake-up once, on the publishing thread", "[hub]") {
  AssignmentBoard board;
  board.publish("east", assignment(4));
  int woken = 0;
  auto parking = board.park("east", 4, "", [&] { ++woken; });
  REQUIRE_FALSE(parking.answered);
  CHECK(board.parked() == 1);
  board.publish("west", assignment(1));  // another cluster's publish wakes nothing
  CHECK(woken == 0);
  board.publish("east", assignment(5));
  CHECK(woken == 1);
  CHECK(board.parked() == 0);
  board.publish("east", assignment(6));  // used up: not called again
  CHECK(woken == 1);
  // Parked again after the wake-up, the answer is due at once.
  auto again = board.park("east", 4, "", [&] { ++woken; });
  REQUIRE(again.answered);
  CHECK(again.answer->revision == 6);
}

TEST_CASE("an unparked poll is not woken, and answer_now answers at its deadline", "[hub]") {
  AssignmentBoard board;
  board.publish("east", assignment(4));
  int woken = 0;
  auto parking = board.park("east", 4, board.epoch(), [&] { ++woken; });
  REQUIRE_FALSE(parking.answered);
  board.unpark("east", parking.ticket);
  CHECK(board.parked() == 0);
  board.publish("east", assignment(5));
  CHECK(woken == 0);
  // Nothing published for a cluster: nullptr, the poll's 404.
  CHECK(board.answer_now("north", -1, "") == nullptr);
  CHECK(board.answer_now("east", 5, board.epoch())->revision == 5);
}

TEST_CASE("shutdown wakes parked polls, and later parks answer at once", "[hub]") {
  AssignmentBoard board;
  int woken = 0;
  auto parking = board.park("east", -1, "", [&] { ++woken; });
  REQUIRE_FALSE(parking.answered);
  board.shutdown();
  CHECK(woken == 1);
  CHECK(board.park("east", -1, "", [&] { ++woken; }).answered);
}
