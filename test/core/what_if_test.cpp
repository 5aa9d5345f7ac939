// core::what_if (issue 17): the hub's engine run on the live state rebuilt
// from status, with a failure imagined. Each prediction is checked against
// what the engine decides when that failure then really happens.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "engine_fixture.h"
#include "switchyard/core/what_if.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;
using S = std::vector<std::string>;
using W = std::vector<PredictedWeight>;

namespace {

LiveState live_of(Fleet& fleet, const std::string& spec, const std::vector<std::string>& clusters) {
  LiveState live;
  for (const auto& name : clusters) live.clusters.push_back({name, fleet.engine.drain(fleet.engine.cluster_id(name)), {}, true});
  live.services.push_back({parse_ok(fos_json(spec)), round_trip(fleet.status())});
  return live;
}

Failure failure(const std::string& text) {
  auto parsed = parse_failure(text);
  REQUIRE(parsed.ok());
  return *parsed.value;
}

const ConsumerPrediction& consumer(const std::vector<ServicePrediction>& predictions, const std::string& cluster) {
  REQUIRE(predictions.size() == 1);
  for (const auto& c : predictions[0].consumers) {
    if (c.cluster == cluster) return c;
  }
  FAIL("no consumer " << cluster);
  throw;
}

// The weights in the fixture's split form ("web-svc-east=1"), for comparing
// a prediction with the engine's real decision.
S as_split(const W& weights, const std::string& consumer_cluster) {
  S out;
  for (const auto& w : weights) {
    const auto cluster = w.backend.substr(0, w.backend.find('/'));
    const auto name = w.backend.substr(w.backend.rfind('/') + 1);
    out.push_back((cluster == consumer_cluster ? name : name + "-" + cluster) + "=" + std::to_string(w.weight));
  }
  return out;
}

const std::string kThreeClusterSpec =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"north","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},)"
    R"("health":{"unknownAfterSeconds":2,"silentFailoverSeconds":3}})";

void three_healthy(Fleet& fleet) {
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}, {"web-svc-north", 1, R::Mirror}});
  fleet.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}, {"web-svc-north", 1, R::Mirror}});
  fleet.report("north", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}, {"web-svc-east", 1, R::Mirror}});
}

}  // namespace

TEST_CASE("what-if: a cluster's failure predicts what the engine decides when it really fails", "[core][whatif]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kThreeClusterSpec);
  three_healthy(fleet);
  const auto live = live_of(fleet, kThreeClusterSpec, {"west", "east", "north"});
  const auto predicted = what_if(live, failure("west"), fleet.now);

  REQUIRE(predicted[0].invalid.empty());
  CHECK(predicted[0].state_now == FosState::Primary);
  CHECK(predicted[0].state_after == FosState::FailedOver);
  const auto& east = consumer(predicted, "east");
  CHECK(east.now == W{{"west/emojivoto/web-svc", 1}, {"east/emojivoto/web-svc", 0}, {"north/emojivoto/web-svc", 0}});
  CHECK(east.after == W{{"west/emojivoto/web-svc", 0}, {"east/emojivoto/web-svc", 1}, {"north/emojivoto/web-svc", 0}});
  CHECK(east.moves());
  // west itself is silent: it hears nothing and keeps its route (rule 1b).
  const auto& west = consumer(predicted, "west");
  CHECK(west.silent);
  CHECK_FALSE(west.moves());

  // Now it happens: west's agent falls silent past silentFailoverSeconds.
  fleet.now += 3'000;
  fleet.heartbeat("east");
  fleet.heartbeat("north");
  CHECK(fleet.split("east") == as_split(east.after, "east"));
  CHECK(fleet.split("north") == as_split(consumer(predicted, "north").after, "north"));
  CHECK(fleet.split("west") == as_split(west.after, "west"));
}

TEST_CASE("what-if: one backend's failure moves the consumers that use it, and only them", "[core][whatif]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kThreeClusterSpec);
  three_healthy(fleet);
  const auto live = live_of(fleet, kThreeClusterSpec, {"west", "east", "north"});

  SECTION("a backend carrying no traffic moves nothing") {
    const auto predicted = what_if(live, failure("north/emojivoto/web-svc"), fleet.now);
    for (const auto& c : predicted[0].consumers) CHECK_FALSE(c.moves());
    CHECK(predicted[0].state_after == FosState::Primary);
  }
  SECTION("the primary's backend: every consumer moves, west too (its agent still reports)") {
    const auto predicted = what_if(live, failure("west/emojivoto/web-svc"), fleet.now);
    for (const auto& c : predicted[0].consumers) {
      CHECK_FALSE(c.silent);
      CHECK(c.moves());
    }
    fleet.report("west", {{"web-svc", 0}});
    for (const auto& name : {"west", "east", "north"}) {
      CHECK(fleet.split(name) == as_split(consumer(predicted, name).after, name));
    }
  }
  SECTION("a backend in no FailoverService changes nothing") {
    const auto predicted = what_if(live, failure("west/emojivoto/other"), fleet.now);
    for (const auto& c : predicted[0].consumers) CHECK_FALSE(c.moves());
  }
}

TEST_CASE("what-if: the overrides in force are part of the state", "[core][whatif]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kThreeClusterSpec);
  three_healthy(fleet);
  fleet.engine.set_drain(fleet.engine.cluster_id("east"), Drain{"upgrade", "kubectl-switchyard", kStart});
  fleet.evaluate();
  const auto live = live_of(fleet, kThreeClusterSpec, {"west", "east", "north"});
  // With east drained, west's failure sends traffic to north, not east.
  const auto predicted = what_if(live, failure("west"), fleet.now);
  CHECK(consumer(predicted, "east").after ==
        W{{"west/emojivoto/web-svc", 0}, {"east/emojivoto/web-svc", 0}, {"north/emojivoto/web-svc", 1}});
}

TEST_CASE("what-if: with nothing usable left the weights are kept (NoHealthyBackend)", "[core][whatif]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("east", {{"web-svc", 0}});
  const auto live = live_of(fleet, kTwoClusterSpec, {"west", "east"});
  const auto predicted = what_if(live, failure("west/emojivoto/web-svc"), fleet.now);
  CHECK(predicted[0].state_after == FosState::NoHealthyBackend);
  for (const auto& c : predicted[0].consumers) CHECK_FALSE(c.moves());
}

TEST_CASE("what-if: a Failing data-plane verdict in status still counts", "[core][whatif]") {
  const auto& spec = kTwoClusterCheckedSpec;
  Fleet fleet({"west", "east"});
  fleet.apply(spec);
  all_healthy(fleet);
  fail_data_plane(fleet, "west", 2);
  REQUIRE(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  const auto live = live_of(fleet, spec, {"west", "east"});
  REQUIRE(live.services[0].status->backing_services[0].ready_endpoints == 2);
  // east fails: west has its endpoints but its checks fail, so nothing is usable.
  const auto predicted = what_if(live, failure("east/emojivoto/web-svc"), fleet.now);
  CHECK(predicted[0].state_after == FosState::NoHealthyBackend);
  CHECK_FALSE(consumer(predicted, "west").moves());
}

TEST_CASE("what-if: an invalid FailoverService is named, not decided", "[core][whatif]") {
  Fleet fleet({"west", "east"});
  LiveState live;
  live.clusters = {{"west", {}, {}, true}};  // east is no MemberCluster
  live.services.push_back({parse_ok(fos_json(kTwoClusterSpec)), std::nullopt});
  const auto predicted = what_if(live, failure("west"), fleet.now);
  REQUIRE(predicted.size() == 1);
  CHECK_THAT(predicted[0].invalid, Catch::Contains("unknown cluster \"east\""));
  CHECK(predicted[0].state_after == FosState::Invalid);
}

TEST_CASE("what-if: --fail is a cluster or cluster/namespace/name", "[core][whatif]") {
  CHECK(failure("west").whole_cluster());
  const auto backend = failure("west/emojivoto/web-svc");
  CHECK_FALSE(backend.whole_cluster());
  CHECK(backend.to_string() == "west/emojivoto/web-svc");
  for (const auto* bad : {"", "west/emojivoto", "west//web", "a/b/c/d", "west/"}) {
    const auto parsed = parse_failure(bad);
    CHECK_FALSE(parsed.ok());
    CHECK_THAT(parsed.message(), Catch::StartsWith("--fail: must be CLUSTER or CLUSTER/NAMESPACE/NAME, got"));
  }
}
