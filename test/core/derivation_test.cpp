// Rule 6 (the derived TrafficSplit) and the per-cluster assignment.
#include <catch2/catch.hpp>

#include "engine_fixture.h"
#include "switchyard/core/traffic_split.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;

namespace {

TrafficSplit sample(SplitApiVersion version) {
  return {version, "emojivoto", "web-svc", "emojivoto.web-svc", "web-svc", {{"web-svc", 0}, {"web-svc-east", 3}}};
}

}  // namespace

TEST_CASE("rule 6: TrafficSplits in each SMI version", "[core][rules]") {
  const std::string labels =
      R"("labels":{"app.kubernetes.io/managed-by":"switchyard","switchyard.io/failover-service":"emojivoto.web-svc"})";
  CHECK(traffic_split_to_json(sample(SplitApiVersion::V1Alpha1)) ==
        R"({"apiVersion":"split.smi-spec.io/v1alpha1","kind":"TrafficSplit","metadata":{"name":"web-svc","namespace":"emojivoto",)" +
            labels + R"(},"spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":"0"},{"service":"web-svc-east","weight":"3"}]}})");
  CHECK(traffic_split_to_json(sample(SplitApiVersion::V1Alpha2)) ==
        R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"web-svc","namespace":"emojivoto",)" +
            labels + R"(},"spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":0},{"service":"web-svc-east","weight":3}]}})");
  CHECK(traffic_split_to_json(sample(SplitApiVersion::V1Alpha4)) ==
        R"({"apiVersion":"split.smi-spec.io/v1alpha4","kind":"TrafficSplit","metadata":{"name":"web-svc","namespace":"emojivoto",)" +
            labels + R"(},"spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":0},{"service":"web-svc-east","weight":3}]}})");
}

TEST_CASE("rule 6: the split is named after the FailoverService with the apex and every backend", "[core][rules]") {
  Fleet fleet({"west", "east"});
  const auto id = fleet.apply(
      R"({"service":"web","backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
      R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"mirror":{"nameTemplate":"{cluster}-{namespace}-{name}"},)"
      R"("output":{"apiVersion":"split.smi-spec.io/v1alpha4"}})",
      std::nullopt, "web-failover");
  fleet.report("west", {{"web-svc", 1}, {"east-emojivoto-web-svc", 1, R::Mirror}});
  fleet.report("east", {{"web-svc", 1}, {"west-emojivoto-web-svc", 1, R::Mirror}});
  const auto split = fleet.engine.traffic_split(id, 0);
  REQUIRE(split);
  CHECK(split->name == "web-failover");
  CHECK(split->namespace_name == "emojivoto");
  CHECK(split->apex_service == "web");
  CHECK(split->owner == "emojivoto.web-failover");
  CHECK(split->api_version == SplitApiVersion::V1Alpha4);
  CHECK(split->backends == std::vector<SplitBackend>{{"web-svc", 1}, {"east-emojivoto-web-svc", 0}});
}

TEST_CASE("a cluster's assignment lists what to watch and its splits", "[core]") {
  Fleet fleet({"west", "east", "north"});
  fleet.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
              R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"consumers":["west","north"]})");
  fleet.report("west", {{"web-svc", 1}, {"web-svc-east", 1, R::Mirror}});
  fleet.report("east", {{"web-svc", 1}});
  using W = ClusterAssignment::WatchItem;
  const auto west = fleet.engine.assignment_for("west");
  CHECK(west.watch == std::vector<W>{{"emojivoto", "web-svc", R::Local, std::nullopt},
                                     {"emojivoto", "web-svc-east", R::Mirror, std::nullopt}});
  CHECK(west.splits.size() == 1);
  const auto east = fleet.engine.assignment_for("east");
  CHECK(east.watch == std::vector<W>{{"emojivoto", "web-svc", R::Local, std::nullopt}});
  CHECK(east.splits.empty());  // not a consumer
  const auto north = fleet.engine.assignment_for("north");
  CHECK(north.watch ==
        std::vector<W>{{"emojivoto", "web-svc-east", R::Mirror, std::nullopt},
                       {"emojivoto", "web-svc-west", R::Mirror, std::nullopt}});
  CHECK(fleet.engine.assignment_for("nowhere") == ClusterAssignment{});
}

TEST_CASE("removing a FailoverService names the clusters whose assignment changes", "[core]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  CHECK(fleet.engine.remove({"emojivoto", "web-svc"}) == std::vector<std::string>{"east", "west"});
  CHECK(fleet.engine.assignment_for("west") == ClusterAssignment{});
  CHECK_FALSE(fleet.engine.find({"emojivoto", "web-svc"}));
  fleet.report("west", {{"web-svc", 0}});
  CHECK(fleet.last_changes.empty());
}
