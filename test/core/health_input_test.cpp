// How reports reach the engine: service ids by name per cluster, the count
// of services an agent reports, and full snapshots that forget the rest.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "engine_fixture.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;
using S = std::vector<std::string>;

TEST_CASE("a service's id depends on its cluster, namespace, name and role only", "[core][health]") {
  Engine engine(EngineOptions{kStart, 40'000});
  const auto west = engine.cluster_id("west");
  const auto east = engine.cluster_id("east");
  CHECK(engine.cluster_id("west") == west);
  CHECK(west != east);

  const auto web = engine.service_id(west, "emojivoto", "web-svc", R::Local);
  CHECK(engine.service_id(west, "emojivoto", "web-svc", R::Local) == web);
  const std::set<ServiceId> distinct{web,
                                     engine.service_id(west, "emojivoto", "web-svc", R::Mirror),
                                     engine.service_id(west, "other", "web-svc", R::Local),
                                     engine.service_id(west, "emojivoto", "web", R::Local),
                                     engine.service_id(west, "emojivoto/web", "svc", R::Local),
                                     engine.service_id(east, "emojivoto", "web-svc", R::Local)};
  CHECK(distinct.size() == 6);
}

TEST_CASE("service ids stay the same while a cluster's table grows", "[core][health]") {
  Engine engine(EngineOptions{kStart, 40'000});
  const auto west = engine.cluster_id("west");
  const auto east = engine.cluster_id("east");
  std::vector<ServiceId> first;
  for (int i = 0; i < 5000; ++i) {
    first.push_back(engine.service_id(west, "prod", "svc-" + std::to_string(i), i % 2 ? R::Mirror : R::Local));
  }
  CHECK(std::set<ServiceId>(first.begin(), first.end()).size() == first.size());
  // Another cluster's services are new ids, whatever their names.
  CHECK(std::find(first.begin(), first.end(), engine.service_id(east, "prod", "svc-0", R::Local)) == first.end());
  for (int i = 0; i < 5000; ++i) {
    INFO("svc-" << i);
    REQUIRE(engine.service_id(west, "prod", "svc-" + std::to_string(i), i % 2 ? R::Mirror : R::Local) ==
            first[static_cast<std::size_t>(i)]);
  }
}

TEST_CASE("reported_services counts what the agent reports now, a full snapshot forgets the rest",
          "[core][health]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  auto& engine = fleet.engine;
  const auto west = engine.cluster_id("west");
  const auto east = engine.cluster_id("east");
  CHECK(engine.reported_services(west) == 2);
  CHECK(engine.reported_services(east) == 2);

  // A delta with a known service and a new one; a service that no longer
  // exists still counts (it is reported, as not existing).
  fleet.report("west", {{"web-svc", 1}, {"extra", 0, R::Local, false}});
  CHECK(engine.reported_services(west) == 3);

  // A full snapshot of west that lists only its mirror: west's web-svc is no
  // longer measured, so east takes the traffic; east's services stay.
  engine.heard_from(west, fleet.now);
  engine.begin_snapshot(west);
  engine.observe(engine.service_id(west, "emojivoto", "web-svc-east", R::Mirror), Observation{true, 1, 1});
  engine.end_snapshot(west);
  fleet.evaluate();
  CHECK(engine.reported_services(west) == 1);
  CHECK(engine.reported_services(east) == 2);
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});

  // Reported again: counted again, and traffic may move back (after the delay).
  fleet.report("west", {{"web-svc", 2}});
  CHECK(engine.reported_services(west) == 2);
  fleet.advance(31);
  CHECK(fleet.split("west") == S{"web-svc=1", "web-svc-east=0"});
}

TEST_CASE("a snapshot of one cluster re-decides only the FailoverServices its services feed", "[core][health]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(kTwoClusterSpec);
  const auto north_only = fleet.apply(
      R"({"backingServices":[{"cluster":"north","namespace":"emojivoto","name":"voting"}]})", std::nullopt,
      "voting");
  all_healthy(fleet);
  fleet.report("north", {{"voting", 1}});
  auto& engine = fleet.engine;
  const auto north = engine.cluster_id("north");
  // The same snapshot again: nothing changes.
  engine.heard_from(north, fleet.now);
  engine.begin_snapshot(north);
  engine.observe(engine.service_id(north, "emojivoto", "voting", R::Local), Observation{true, 1, 1});
  engine.end_snapshot(north);
  fleet.evaluate();
  CHECK(fleet.last_changes.empty());
  // An empty snapshot forgets voting: only its FailoverService changes.
  engine.begin_snapshot(north);
  engine.end_snapshot(north);
  fleet.evaluate();
  REQUIRE(fleet.last_changes.size() == 1);
  CHECK(fleet.last_changes[0].record == north_only);
  CHECK(engine.reported_services(north) == 0);
  CHECK(engine.reported_services(engine.cluster_id("west")) == 2);
}

// observe finds the FailoverServices a service feeds through a summary of its
// list (none, the one, or many: engine_impl.h ServiceHealth::sole_record),
// which each add and removal must keep in step.
TEST_CASE("an observation re-decides every FailoverService naming the service as they come and go",
          "[core][health]") {
  Fleet fleet({"west", "east"});
  const auto first = fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  auto& engine = fleet.engine;
  const auto west = engine.cluster_id("west");
  const auto web = engine.service_id(west, "emojivoto", "web-svc", R::Local);
  const auto changed = [&](std::uint32_t ready) {
    engine.heard_from(west, fleet.now);
    engine.observe(web, Observation{true, ready, 2});
    fleet.evaluate();
    std::set<RecordId> records;
    for (const auto& change : fleet.last_changes) records.insert(change.record);
    return records;
  };
  CHECK(changed(0) == std::set<RecordId>{first});  // one FailoverService
  const auto second = fleet.apply(kTwoClusterSpec, std::nullopt, "web-copy");
  CHECK(changed(2) == std::set<RecordId>{first, second});  // two
  const auto first_key = engine.key_of(first);
  engine.remove(first_key);
  CHECK(changed(0) == std::set<RecordId>{second});  // one again
  const auto second_key = engine.key_of(second);
  engine.remove(second_key);
  CHECK(changed(2).empty());  // none
  const auto third = fleet.apply(kTwoClusterSpec, std::nullopt, "web-again");
  CHECK(changed(0) == std::set<RecordId>{third});
}
