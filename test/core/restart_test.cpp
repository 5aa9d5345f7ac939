// Rule 8's other half: a restarted hub resumes from the decisions recorded
// in status and changes nothing until agents say otherwise.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "engine_fixture.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;
using S = std::vector<std::string>;

TEST_CASE("status survives its JSON form", "[core]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  fleet.revisions["west"] = {7, 7};
  const auto status = fleet.status();
  auto again = round_trip(status);
  // Times are kept to the second, as Kubernetes keeps them.
  CHECK(again.failover_count == 1);
  CHECK(again.state == FosState::FailedOver);
  CHECK(again.consumers[0].active_priority == 1);
  CHECK(again.consumers[0].desired_revision == 7);
  CHECK(again.active == status.active);
  CHECK(again.conditions.size() == status.conditions.size());
}

TEST_CASE("a hub restarted mid-failover resumes the recorded decision and flips nothing", "[core]") {
  Fleet before({"west", "east"});
  before.apply(kTwoClusterSpec);
  all_healthy(before);
  before.report("west", {{"web-svc", 0}});
  const auto recorded = round_trip(before.status());
  const auto west_split = before.split("west");
  const auto east_split = before.split("east");
  REQUIRE(west_split == S{"web-svc=0", "web-svc-east=1"});

  Fleet after({"west", "east"}, before.now + 5'000);
  after.apply(kTwoClusterSpec, recorded);
  CHECK(after.split("west") == west_split);
  CHECK(after.split("east") == east_split);
  // Agents come back one by one, each with a full snapshot of the same health.
  after.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
  CHECK(after.split("west") == west_split);
  after.report("west", {{"web-svc", 0}, {"web-svc-east", 1, R::Mirror}});
  CHECK(after.split("west") == west_split);
  CHECK(after.split("east") == east_split);
  CHECK(after.events.empty());
  const auto status = after.status();
  CHECK(status.failover_count == 1);
  CHECK(status.state == FosState::FailedOver);
}

TEST_CASE("a restarted hub that hears of a recovery waits out the failback delay", "[core]") {
  Fleet before({"west", "east"});
  before.apply(kTwoClusterSpec);
  all_healthy(before);
  before.report("west", {{"web-svc", 0}});
  const auto recorded = round_trip(before.status());

  Fleet after({"west", "east"}, before.now + 5'000);
  after.apply(kTwoClusterSpec, recorded);
  after.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
  after.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
  CHECK(after.split("west") == S{"web-svc=0", "web-svc-east=1"});
  after.advance(30);
  CHECK(after.split("west") == S{"web-svc=1", "web-svc-east=0"});
}

TEST_CASE("a resumed decision survives a recompile before the agents report", "[core]") {
  // The hub may learn of a MemberCluster, or of a spec edit, after it resumed
  // a FailoverService from status: the recompile must not forget what status
  // said, or the first agent to report a recovery fails back at once.
  Fleet before({"west", "east"});
  before.apply(kTwoClusterSpec);
  all_healthy(before);
  before.report("west", {{"web-svc", 0}});
  const auto recorded = round_trip(before.status());

  SECTION("a MemberCluster added") {
    Fleet after({"west", "east"}, before.now + 5'000);
    after.apply(kTwoClusterSpec, recorded);
    after.engine.set_member_clusters({"west", "east", "north"}, after.now);
    after.evaluate();
    after.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
    CHECK(after.split("west") == S{"web-svc=0", "web-svc-east=1"});
    after.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
    CHECK(after.split("east") == S{"web-svc-west=0", "web-svc=1"});
    CHECK(after.event_reasons().empty());
    after.advance(30);
    CHECK(after.split("west") == S{"web-svc=1", "web-svc-east=0"});
  }
  SECTION("the same spec applied again") {
    Fleet after({"west", "east"}, before.now + 5'000);
    after.apply(kTwoClusterSpec, recorded);
    after.apply(kTwoClusterSpec);
    after.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
    CHECK(after.split("west") == S{"web-svc=0", "web-svc-east=1"});
    CHECK(after.event_reasons().empty());
  }
}

TEST_CASE("a backend's data-plane evidence survives status's JSON form", "[core]") {
  FosStatus status;
  BackendStatus backend{"west", "emojivoto", "web-svc", Health::Unhealthy, 2, kStart, std::nullopt};
  backend.data_plane = DataPlaneEvidence{"Failing", "Fail", 2, 0.41, 0.95, 12.5, std::nullopt, std::nullopt,
                                         "success rate 41% < 95% over 30s at 12.5 rps", std::nullopt, std::nullopt,
                                         {}};
  status.backing_services.push_back(backend);
  const auto again = round_trip(status);
  REQUIRE(again.backing_services.size() == 1);
  CHECK(again.backing_services[0].data_plane == backend.data_plane);
}

TEST_CASE("a consumer's output and its conditions survive the status's JSON form", "[core]") {
  FosStatus status;
  ConsumerStatus consumer;
  consumer.cluster = "east";
  consumer.output = "TrafficSplit";
  consumer.conditions.push_back({"OutputUnavailable", "True", 2, 1'700'000'000'000, "OutputUnavailable",
                                 "cluster east does not serve gateway.networking.k8s.io/v1 httproutes"});
  status.consumers.push_back(consumer);
  status.consumers.push_back(ConsumerStatus{});
  status.consumers.back().cluster = "west";
  const auto json = status_to_json(status);
  CHECK_THAT(json, Catch::Contains(R"("output":"TrafficSplit","conditions":[{"type":"OutputUnavailable")"));
  const auto again = round_trip(status);
  REQUIRE(again.consumers.size() == 2);
  CHECK(again.consumers[0].output == "TrafficSplit");
  CHECK(again.consumers[0].conditions == consumer.conditions);
  // A consumer with neither writes neither (statuses from before outputs are unchanged).
  CHECK(again.consumers[1].output.empty());
  CHECK(again.consumers[1].conditions.empty());
  CHECK(json.find(R"("cluster":"west","desiredRevision":0,"appliedRevision":0,"inSync":false,"activeBackends":[],"message":""})") !=
        std::string::npos);
}

namespace {

const std::string kObserveSpec =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},"mode":"Observe"})";

}  // namespace

TEST_CASE("a hub restarted in Observe mode publishes the route last enforced, nothing deleted or rewritten",
          "[core][overrides]") {
  // Enforced: west failed over to east. Then Observe, and west recovers:
  // the decision returns to west while the routes stay on east.
  Fleet before({"west", "east"});
  before.apply(kTwoClusterSpec);
  all_healthy(before);
  before.report("west", {{"web-svc", 0}});
  before.apply(kObserveSpec);
  before.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
  before.advance(31);
  const auto west_split = before.split("west");
  const auto east_split = before.split("east");
  REQUIRE(west_split == S{"web-svc=0", "web-svc-east=1"});
  REQUIRE(east_split == S{"web-svc-west=0", "web-svc=1"});
  const auto shown = before.status();
  using W = ConsumerStatus::WouldApply;
  REQUIRE(shown.consumers[0].would_apply == std::vector<W>{{"west/emojivoto/web-svc", 1}, {"east/emojivoto/web-svc", 0}});
  using H = ConsumerStatus::Held;
  CHECK(shown.consumers[1].held_backends ==
        std::vector<H>{{"west/emojivoto/web-svc", "web-svc-west", 0}, {"east/emojivoto/web-svc", "web-svc", 1}});
  CHECK_THAT(status_to_json(shown),
             Catch::Contains(R"("heldBackends":[{"backend":"west/emojivoto/web-svc","service":"web-svc","weight":0},)"));
  const auto recorded = round_trip(shown);
  CHECK(recorded.consumers == shown.consumers);

  SECTION("before and after the agents report, and through a recompile") {
    Fleet after({"west", "east"}, before.now + 5'000);
    after.apply(kObserveSpec, recorded);
    CHECK(after.split("west") == west_split);
    CHECK(after.split("east") == east_split);
    CHECK(after.status().consumers == recorded.consumers);
    all_healthy(after);
    after.advance(31);
    after.engine.set_member_clusters({"west", "east", "north"}, after.now);
    after.evaluate();
    CHECK(after.split("west") == west_split);
    CHECK(after.split("east") == east_split);
    CHECK(after.status().consumers[0].would_apply == recorded.consumers[0].would_apply);
  }
  SECTION("switched to Enforce after the restart, the decision applies at once") {
    Fleet after({"west", "east"}, before.now + 5'000);
    after.apply(kObserveSpec, recorded);
    all_healthy(after);
    after.apply(kTwoClusterSpec);
    CHECK(after.split("west") == S{"web-svc=1", "web-svc-east=0"});
    CHECK(after.split("east") == S{"web-svc-west=1", "web-svc=0"});
    CHECK(after.status().consumers[0].held_backends.empty());
  }
  SECTION("a recorded hold whose backends left the spec is still the route written") {
    // The route names its own Services: a spec edit rewrites nothing while
    // observing, before or after a restart.
    const std::string renamed =
        R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
        R"({"cluster":"east","namespace":"emojivoto","name":"web-v2"}],"failback":{"delaySeconds":30},"mode":"Observe"})";
    Fleet after({"west", "east"}, before.now + 5'000);
    after.apply(renamed, recorded);
    CHECK(after.split("west") == west_split);
    CHECK(after.split("east") == east_split);
    before.apply(renamed);
    CHECK(before.split("west") == west_split);
    CHECK(before.split("east") == east_split);
  }
}

TEST_CASE("a hub restarted with a FailoverService created in Observe mode still writes no route", "[core][overrides]") {
  Fleet before({"west", "east"});
  before.apply(kObserveSpec);
  all_healthy(before);
  const auto recorded = round_trip(before.status());
  CHECK(recorded.consumers[0].held_backends.empty());
  CHECK_FALSE(recorded.consumers[0].would_apply.empty());

  Fleet after({"west", "east"}, before.now + 5'000);
  after.apply(kObserveSpec, recorded);
  all_healthy(after);
  CHECK(after.split("west") == S{"<no split>"});
  CHECK(after.engine.assignment_for("west").splits.empty());
  CHECK(after.engine.assignment_for("east").splits.empty());
}

TEST_CASE("a recorded hold missing a backend's Service is not resumed", "[core]") {
  rapidjson::Document document;
  document.Parse(R"({"consumers":[{"cluster":"east","heldBackends":[{"backend":"west/emojivoto/web-svc","weight":1}]}]})");
  const auto status = status_from_json(document);
  REQUIRE(status);
  REQUIRE(status->consumers.size() == 1);
  CHECK(status->consumers[0].held_backends.empty());
}
