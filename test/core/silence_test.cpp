// A cluster's own silence (api.md rule 1b) and the fleet freeze's threshold
// (rule 8), through the engine with a fake clock.
#include <catch2/catch.hpp>

#include "engine_fixture.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;
using S = std::vector<std::string>;

namespace {

// west falls silent for `seconds` while east and north report every 10 s.
void west_silent_for(Fleet& fleet, int seconds) {
  for (int elapsed = 0; elapsed < seconds; elapsed += 10) {
    fleet.advance(10);
    fleet.heartbeat("east");
    fleet.heartbeat("north");
  }
}

bool mentions(const std::vector<DecisionEvent>& events, const std::string& words) {
  for (const auto& event : events) {
    if (event.message.find(words) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("rule 1b: a cluster presumed down keeps its own traffic, and gets no failback delay when it reports again",
          "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);  // failback delay 30 s, presumed down after 120 s
  all_healthy(fleet);
  fleet.heartbeat("north");
  const auto west = fleet.engine.cluster_id("west");
  west_silent_for(fleet, 130);
  // Rule 1: east fails away from the cluster presumed down...
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK(mentions(fleet.events, "traffic in east moved to east/emojivoto/web-svc"));
  // ...but west's own traffic stays local: it is west's silence (rule 1b).
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK_FALSE(mentions(fleet.events, "traffic in west"));
  CHECK(fleet.engine.silent(west));

  // west's agent is back: its first report decides, and it finds west at home.
  fleet.events.clear();
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
  CHECK_FALSE(fleet.engine.silent(west));
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  for (const auto& change : fleet.last_changes) CHECK((change.splits_changed & 1) == 0);  // consumer 0 is west
  CHECK_FALSE(mentions(fleet.events, "traffic in west"));
  // For east, west's backend did come back from presumed down: rule 4's delay applies.
  fleet.advance(29);
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  fleet.advance(1);
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});

  SECTION("a returning cluster whose backend really is down fails over on its fresh report, at once") {
    Fleet down({"west", "east", "north"});
    down.apply(kTwoClusterSpec);
    all_healthy(down);
    down.heartbeat("north");
    west_silent_for(down, 130);
    down.report("west", {{"web-svc", 0}, {"web-svc-east", 1, R::Mirror}});
    CHECK(down.split("west") == S{"web-svc=0", "web-svc-east=1"});
  }
}

TEST_CASE("rule 1b: what was decided for a silent consumer is dropped when its agent reports again",
          "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.heartbeat("north");
  // west's primary goes down and its mirror of east looks unready: nothing
  // is usable from west, so it keeps its weights (rule 3).
  fleet.report("west", {{"web-svc", 0}, {"web-svc-east", 0, R::Mirror}});
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  // While west is silent only east's side counts (rule 2): provisionally,
  // west's traffic would go to east.
  west_silent_for(fleet, 50);
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  // west reports its primary healthy again. Decided from what west's agent
  // had (the primary's weights), not from the provisional move: no failback
  // delay keeps its traffic on east.
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  // east saw west's backend really down: it waits out the delay (rule 4).
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
}

TEST_CASE("rule 8: the freeze follows the smallest unknownAfterSeconds in use, before a short "
          "silentFailoverSeconds can act",
          "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  CHECK(fleet.engine.fleet_silent_after() == 40'000);  // no FailoverService yet: the default
  fleet.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
              R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],)"
              R"("health":{"unknownAfterSeconds":1,"silentFailoverSeconds":2}})");
  fleet.apply(kTwoClusterSpec, std::nullopt, "other");  // 40 s: the smallest decides
  CHECK(fleet.engine.fleet_silent_after() == 1'000);
  all_healthy(fleet);
  fleet.heartbeat("north");
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  // The hub loses west and north at once; only east still reports.
  for (int i = 0; i < 10; ++i) {
    fleet.advance(0.5);
    fleet.heartbeat("east");
  }
  CHECK(fleet.engine.frozen());
  CHECK(fleet.status().state == FosState::Frozen);
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});  // no failover away from west
  CHECK(fleet.event_reasons().empty());
  // They report again: the freeze ends and decisions go on.
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
  fleet.heartbeat("north");
  CHECK_FALSE(fleet.engine.frozen());
  CHECK(fleet.status().state == FosState::Primary);

  SECTION("an invalid FailoverService no longer counts") {
    fleet.apply(R"({"backingServices":[{"cluster":"eest","namespace":"emojivoto","name":"web-svc"}],)"
                R"("health":{"unknownAfterSeconds":1,"silentFailoverSeconds":2}})");
    CHECK(fleet.status().state == FosState::Invalid);
    CHECK(fleet.engine.fleet_silent_after() == 40'000);
  }
  SECTION("a removed one neither") {
    fleet.engine.remove(ObjectKey{"emojivoto", "web-svc"});
    CHECK(fleet.engine.fleet_silent_after() == 40'000);
  }
}
