// api.md decision rules 1-8, one case per rule, through the engine.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_fixture.h"
#include "switchyard/core/status.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;
using S = std::vector<std::string>;

TEST_CASE("rule 3/5: a healthy primary carries all the traffic", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  const auto status = fleet.status();
  CHECK(status.state == FosState::Primary);
  REQUIRE(status.active.size() == 1);
  CHECK(status.active[0].cluster == "west");
  CHECK(fleet.events.empty());
}

TEST_CASE("rule 4: a primary that loses its endpoints fails over at once", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  const auto status = fleet.status();
  CHECK(status.state == FosState::FailedOver);
  CHECK(status.failover_count == 1);
  CHECK(status.last_failover_time == fleet.now);
  CHECK_THAT(status.message, Catch::Contains("west/emojivoto/web-svc has 0 ready endpoints (needs 1)"));
  CHECK(fleet.event_reasons() == S{"FailedOver", "FailedOver"});
}

TEST_CASE("rule 1: a service that does not exist is unhealthy", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0, R::Local, false}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK_THAT(fleet.status().message, Catch::Contains("west/emojivoto/web-svc does not exist"));
}

TEST_CASE("rule 1: minReadyEndpoints decides healthy", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
              R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"health":{"minReadyEndpoints":2}})");
  all_healthy(fleet);
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  fleet.report("west", {{"web-svc", 1}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
}

TEST_CASE("rule 4: with several fallbacks, traffic goes to the highest usable one", "[core][rules]") {
  Fleet fleet({"a", "b", "c"});
  fleet.apply(R"({"backingServices":[{"cluster":"a","namespace":"emojivoto","name":"svc"},)"
              R"({"cluster":"b","namespace":"emojivoto","name":"svc"},)"
              R"({"cluster":"c","namespace":"emojivoto","name":"svc"}],"consumers":["a"],"failback":{"delaySeconds":0}})");
  fleet.report("a", {{"svc", 1}, {"svc-b", 1, R::Mirror}, {"svc-c", 1, R::Mirror}});
  fleet.report("b", {{"svc", 1}});
  fleet.report("c", {{"svc", 1}});
  CHECK(fleet.split("a") == S{"svc=1", "svc-b=0", "svc-c=0"});
  fleet.report("a", {{"svc", 0}});
  CHECK(fleet.split("a") == S{"svc=0", "svc-b=1", "svc-c=0"});
  fleet.report("b", {{"svc", 0}});
  CHECK(fleet.split("a") == S{"svc=0", "svc-b=0", "svc-c=1"});
  SECTION("a primary and a first fallback down at once go straight to the second") {
    Fleet direct({"a", "b", "c"});
    direct.apply(R"({"backingServices":[{"cluster":"a","namespace":"emojivoto","name":"svc"},)"
                 R"({"cluster":"b","namespace":"emojivoto","name":"svc"},)"
                 R"({"cluster":"c","namespace":"emojivoto","name":"svc"}],"consumers":["a"]})");
    direct.report("b", {{"svc", 0}});
    direct.report("c", {{"svc", 1}});
    direct.report("a", {{"svc", 0}, {"svc-b", 1, R::Mirror}, {"svc-c", 1, R::Mirror}});
    CHECK(direct.split("a") == S{"svc=0", "svc-b=0", "svc-c=1"});
  }
}

TEST_CASE("rule 5: an equal-priority group shares traffic by weight", "[core][rules]") {
  Fleet fleet({"a", "b", "dr"});
  fleet.apply(R"({"backingServices":[{"cluster":"a","namespace":"emojivoto","name":"api","priority":0,"weight":3},)"
              R"({"cluster":"b","namespace":"emojivoto","name":"api","priority":0,"weight":1},)"
              R"({"cluster":"dr","namespace":"emojivoto","name":"api","priority":1}],"consumers":["a"]})");
  fleet.report("a", {{"api", 2}, {"api-b", 1, R::Mirror}, {"api-dr", 1, R::Mirror}});
  fleet.report("b", {{"api", 2}});
  fleet.report("dr", {{"api", 2}});
  CHECK(fleet.split("a") == S{"api=3", "api-b=1", "api-dr=0"});
  CHECK(fleet.status().state == FosState::Primary);
  SECTION("a member that fails gets 0 and the other takes it all") {
    fleet.report("b", {{"api", 0}});
    CHECK(fleet.split("a") == S{"api=3", "api-b=0", "api-dr=0"});
    CHECK(fleet.status().state == FosState::Primary);
    SECTION("and gets its share back at once: it is inside the active group") {
      fleet.report("b", {{"api", 1}});
      CHECK(fleet.split("a") == S{"api=3", "api-b=1", "api-dr=0"});
    }
  }
  SECTION("the whole group down moves to the next") {
    fleet.report("b", {{"api", 0}});
    fleet.report("a", {{"api", 0}});
    CHECK(fleet.split("a") == S{"api=0", "api-b=0", "api-dr=1"});
  }
}

TEST_CASE("rule 3: with nothing usable the weights stay as they were", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  fleet.events.clear();
  fleet.report("east", {{"web-svc", 0}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  const auto status = fleet.status();
  CHECK(status.state == FosState::NoHealthyBackend);
  CHECK_THAT(status.message, Catch::Contains("no usable backing service; keeping the last weights"));
  CHECK(fleet.event_reasons() == S{"NoHealthyBackend", "NoHealthyBackend"});
  SECTION("a new FailoverService with nothing usable gets no TrafficSplit yet") {
    Fleet fresh({"west", "east"});
    fresh.apply(kTwoClusterSpec);
    fresh.report("west", {{"web-svc", 0}});
    CHECK(fresh.split("west") == S{"<no split>"});
    CHECK(fresh.status().state == FosState::NoHealthyBackend);
  }
}

TEST_CASE("rule 1: a silent cluster is unknown, keeps its last health, then is presumed down",
          "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.heartbeat("north");
  // west goes silent; east and north keep reporting every 10 s.
  for (int i = 0; i < 4; ++i) {
    fleet.advance(10);
    fleet.heartbeat("east");
    fleet.heartbeat("north");
  }
  auto status = fleet.status();
  CHECK(status.backing_services[0].health == Health::Unknown);
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});  // a control-plane blip moves nothing
  CHECK(fleet.status().state == FosState::Primary);
  for (int i = 0; i < 8; ++i) {
    fleet.advance(10);
    fleet.heartbeat("east");
    fleet.heartbeat("north");
  }
  CHECK(fleet.now - kStart == 120'000);
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK_THAT(fleet.status().message, Catch::Contains("cluster west presumed down (agent silent for more than 120s)"));
  SECTION("judged on the hub's receive times: a report brings it back") {
    fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
    CHECK(fleet.status().backing_services[0].health == Health::Healthy);
  }
}

TEST_CASE("rule 1: an unknown cluster whose last health was bad stays failed away from", "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  for (int i = 0; i < 5; ++i) {
    fleet.advance(10);
    fleet.heartbeat("east");
    fleet.heartbeat("north");
  }
  CHECK(fleet.status().backing_services[0].health == Health::Unknown);
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
}

TEST_CASE("rule 2: a remote backend whose mirror has no ready endpoint is not usable", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}, {"web-svc-east", 0, R::Mirror}});
  // From west, east is unreachable (gateway down): nothing usable there, so
  // west keeps its weights (rule 3); east's own view is fine.
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK(fleet.status().state == FosState::NoHealthyBackend);
  CHECK_THAT(fleet.status().message,
             Catch::Contains("mirror web-svc-east in west has no ready endpoint (gateway to east unreachable)"));
  SECTION("unless requireMirrorReady is off") {
    Fleet relaxed({"west", "east"});
    relaxed.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
                  R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"health":{"requireMirrorReady":false}})");
    all_healthy(relaxed);
    relaxed.report("west", {{"web-svc", 0}, {"web-svc-east", 0, R::Mirror}});
    CHECK(relaxed.split("west") == S{"web-svc=0", "web-svc-east=1"});
  }
}

TEST_CASE("rule 2: when the consumer's own agent is silent, only the backend's side counts", "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
              R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"consumers":["north"]})");
  fleet.report("west", {{"web-svc", 0}});
  fleet.report("east", {{"web-svc", 2}});
  // Inside the start-up grace north is not silent, only not heard yet: its
  // mirrors are unknown and a first decision waits for them.
  CHECK(fleet.split("north") == S{"<no split>"});
  // north stays silent past unknownAfterSeconds; the others keep reporting.
  fleet.advance(41);
  fleet.heartbeat("west");
  fleet.heartbeat("east");
  CHECK(fleet.split("north") == S{"web-svc-west=0", "web-svc-east=1"});
}

TEST_CASE("rule 7: a remote backend whose mirror does not exist is left out of that consumer's split",
          "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 0, R::Mirror, false}});
  fleet.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
  CHECK(fleet.split("west") == S{"web-svc=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  const auto status = fleet.status();
  REQUIRE(status.consumers.size() == 2);
  CHECK(status.consumers[0].omitted_backends == S{"east/emojivoto/web-svc"});
  CHECK(status.consumers[1].omitted_backends.empty());
  // ...and the status says so.
  CHECK_THAT(status_to_json(status), Catch::Contains(R"("omittedBackends":["east/emojivoto/web-svc"])"));
  SECTION("and comes back when the mirror appears") {
    fleet.report("west", {{"web-svc-east", 1, R::Mirror}});
    CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  }
}

TEST_CASE("rule 4: failback waits for the delay, and the delay restarts when the group flaps", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);  // delaySeconds: 30
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});

  fleet.advance(5);
  fleet.report("west", {{"web-svc", 2}});
  CHECK(fleet.engine.next_deadline(fleet.now) == fleet.now + 30'000);
  fleet.advance(20);
  fleet.heartbeat("east");
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});

  // Flap: down and up again 20 s into the delay.
  fleet.report("west", {{"web-svc", 0}});
  fleet.report("west", {{"web-svc", 2}});
  fleet.advance(29);
  fleet.heartbeat("east");
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  fleet.advance(1);
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  CHECK(fleet.status().state == FosState::Primary);
  const auto reasons = fleet.event_reasons();
  CHECK(std::count(reasons.begin(), reasons.end(), "FailedBack") == 2);
  CHECK(fleet.status().failover_count == 1);
}

TEST_CASE("rule 4: losing the current group moves at once, even up to a recovering one", "[core][rules]") {
  Fleet fleet({"a", "b", "c"});
  fleet.apply(R"({"backingServices":[{"cluster":"a","namespace":"emojivoto","name":"svc"},)"
              R"({"cluster":"b","namespace":"emojivoto","name":"svc"},)"
              R"({"cluster":"c","namespace":"emojivoto","name":"svc"}],"consumers":["c"]})");
  fleet.report("c", {{"svc", 1}, {"svc-a", 1, R::Mirror}, {"svc-b", 1, R::Mirror}});
  fleet.report("a", {{"svc", 0}});
  fleet.report("b", {{"svc", 1}});
  CHECK(fleet.split("c") == S{"svc-a=0", "svc-b=1", "svc=0"});
  fleet.report("a", {{"svc", 1}});   // a recovers: failback pending
  fleet.report("b", {{"svc", 0}});   // b is lost before the delay ends
  CHECK(fleet.split("c") == S{"svc-a=1", "svc-b=0", "svc=0"});
}

TEST_CASE("rule 8: with more than half of the clusters silent, every decision freezes", "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.heartbeat("north");
  // east and north fall silent; west reports its primary down.
  fleet.advance(41);
  fleet.report("west", {{"web-svc", 0}});
  CHECK(fleet.engine.frozen());
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(fleet.status().state == FosState::Frozen);
  // They come back: the decision that was held is made.
  fleet.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
  CHECK_FALSE(fleet.engine.frozen());
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.status().state == FosState::FailedOver);
}

TEST_CASE("rule 8: no cluster becomes unknown during the start-up grace", "[core][rules]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  fleet.advance(39);
  fleet.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
  // west has not reported yet but it is inside the grace: not unknown by silence.
  fleet.advance(0.5);
  CHECK(fleet.status().backing_services[0].health == Health::Unknown);  // no report yet: no information
  CHECK_THAT(fleet.status().backing_services[0].cluster, Catch::Equals("west"));
  CHECK(fleet.engine.next_deadline(fleet.now).has_value());
  fleet.advance(1);
  // Past the grace, west is silent: presumed down only at 120 s.
  CHECK_THAT(fleet.status().message, Catch::Contains("unknown (agent silent for more than 40s)"));
}

TEST_CASE("the impact index re-decides only what a health change touches", "[core]") {
  Fleet fleet({"west", "east"});
  const auto web = fleet.apply(kTwoClusterSpec, std::nullopt, "web-svc");
  const auto other = fleet.apply(
      R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"voting"},)"
      R"({"cluster":"east","namespace":"emojivoto","name":"voting"}]})",
      std::nullopt, "voting");
  all_healthy(fleet);
  fleet.report("west", {{"voting", 1}, {"voting-east", 1, R::Mirror}});
  fleet.report("east", {{"voting", 1}, {"voting-west", 1, R::Mirror}});
  fleet.report("west", {{"web-svc", 0}});
  REQUIRE(fleet.last_changes.size() == 1);
  CHECK(fleet.last_changes[0].record == web);
  fleet.report("east", {{"voting", 0}});
  REQUIRE(fleet.last_changes.size() == 1);
  CHECK(fleet.last_changes[0].record == other);
  // A heartbeat from a live cluster re-decides nothing.
  fleet.heartbeat("west");
  CHECK(fleet.last_changes.empty());
}

TEST_CASE("status changes only when something changed", "[core]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 2}});  // same as before
  CHECK(fleet.last_changes.empty());
  fleet.advance(5);
  fleet.heartbeat("west");
  fleet.heartbeat("east");
  CHECK(fleet.last_changes.empty());
  fleet.report("west", {{"web-svc", 3}});  // more endpoints: shown in status, no split change
  REQUIRE(fleet.last_changes.size() == 1);
  CHECK(fleet.last_changes[0].status_changed);
  CHECK(fleet.last_changes[0].splits_changed == 0);
}

TEST_CASE("condition transition times move only on a real transition", "[core]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.revisions["west"] = {3, 3};
  fleet.revisions["east"] = {3, 3};
  const auto first = fleet.status();
  const auto ready_at = [](const FosStatus& s) {
    for (const auto& c : s.conditions) if (c.type == "Ready") return c.last_transition_time;
    return TimeMs{0};
  };
  fleet.advance(10);
  fleet.report("west", {{"web-svc", 3}});
  const auto second = fleet.status();
  CHECK(ready_at(second) == ready_at(first));
  fleet.revisions["west"] = {4, 3};
  fleet.advance(1);
  const auto third = fleet.status();
  CHECK(ready_at(third) == fleet.now);
  CHECK(third.conditions[1].status == "False");
  CHECK(third.conditions[1].message == "waiting for west to apply the current decision");
}

TEST_CASE("an invalid spec changes no TrafficSplit and says which field", "[core]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  const auto before = fleet.split("west");
  fleet.engine.upsert(parse_ok(fos_json(
                          R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
                          R"({"cluster":"eest","namespace":"emojivoto","name":"web-svc"}]})",
                          "web-svc", 2)),
                      std::nullopt, fleet.now);
  fleet.evaluate();
  CHECK(fleet.event_reasons().back() == "InvalidSpec");
  const auto status = fleet.status();
  CHECK(status.state == FosState::Invalid);
  CHECK(status.observed_generation == 2);
  CHECK_THAT(status.message, Catch::Contains(
      "failoverservice emojivoto/web-svc: spec.backingServices[1].cluster: unknown cluster \"eest\""));
  CHECK(status.conditions[0].type == "Accepted");
  CHECK(status.conditions[0].status == "False");
  // Health keeps changing, the split does not.
  fleet.report("west", {{"web-svc", 2}});
  fleet.advance(60);
  CHECK(fleet.split("west") == before);
  CHECK(fleet.engine.assignment_for("west").splits.size() == 1);
  SECTION("fixed by the user, it decides again") {
    fleet.engine.upsert(parse_ok(fos_json(kTwoClusterSpec, "web-svc", 3)), std::nullopt, fleet.now);
    fleet.evaluate();
    CHECK(fleet.status().state != FosState::Invalid);
  }
  SECTION("a cluster that appears makes it valid") {
    fleet.engine.set_member_clusters({"west", "east", "eest"}, fleet.now);
    fleet.evaluate();
    CHECK(fleet.status().state != FosState::Invalid);
  }
}

TEST_CASE("rule 8: exactly half of the clusters silent is not more than half: decisions go on", "[core][rules]") {
  Fleet fleet({"west", "east", "north", "south"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.heartbeat("north");
  fleet.heartbeat("south");
  // north and south fall silent (2 of 4); west and east keep reporting.
  fleet.advance(41);
  fleet.heartbeat("east");
  fleet.report("west", {{"web-svc", 0}});
  CHECK_FALSE(fleet.engine.frozen());
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.status().state == FosState::FailedOver);
  // A third one silent is more than half: frozen.
  fleet.advance(41);
  fleet.report("west", {{"web-svc", 2}});
  CHECK(fleet.engine.frozen());
}

TEST_CASE("rule 8: during the start-up grace clusters not heard yet are not silent, so nothing freezes",
          "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  fleet.advance(1);
  fleet.report("east", {{"web-svc", 2}, {"web-svc-west", 1, R::Mirror}});
  fleet.advance(38.5);  // 39.5 s after the start: west and north never reported
  CHECK_FALSE(fleet.engine.frozen());
  CHECK_THAT(fleet.status().message, !Catch::Contains("silent"));
  fleet.advance(1.5);  // 41 s: the grace is over and they are silent, 2 of 3
  fleet.heartbeat("east");
  CHECK(fleet.engine.frozen());
}

TEST_CASE("rule 1: data-plane evidence still moves a backend whose cluster is unknown", "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.heartbeat("north");
  // west falls silent: unknown, last known healthy, so east keeps sending there...
  fleet.advance(45);
  fleet.heartbeat("east");
  fleet.heartbeat("north");
  REQUIRE(fleet.status().backing_services[0].health == Health::Unknown);
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  // ...until east's own agent sees west's gateway go: its mirror has no ready endpoint.
  fleet.report("east", {{"web-svc-west", 0, R::Mirror}});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
}

TEST_CASE("rule 2: a silent consumer's last mirror report is not held against a backend", "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.heartbeat("north");
  // west's primary goes down and, in the same report, its mirror of east looks unready.
  fleet.report("west", {{"web-svc", 0}, {"web-svc-east", 0, R::Mirror}});
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});  // nothing usable from west: kept
  // west falls silent: only east's side counts for it now, and east is healthy.
  fleet.advance(41);
  fleet.heartbeat("east");
  fleet.heartbeat("north");
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
}

TEST_CASE("rule 1: unknownAfterSeconds and silentFailoverSeconds are the spec's, not the defaults",
          "[core][rules]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
              R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],)"
              R"("health":{"unknownAfterSeconds":20,"silentFailoverSeconds":30}})");
  all_healthy(fleet);
  fleet.heartbeat("north");
  // The start-up grace lasts one unknownAfterSeconds: past it, west is silent.
  fleet.advance(21);
  fleet.heartbeat("east");
  fleet.heartbeat("north");
  CHECK(fleet.status().backing_services[0].health == Health::Unknown);  // the default would wait 40 s
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  fleet.advance(10);  // 31 s silent: presumed down (the default is 120 s)
  fleet.heartbeat("east");
  fleet.heartbeat("north");
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
}
