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
                                         "success rate 41% < 95% over 30s at 12.5 rps"};
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
