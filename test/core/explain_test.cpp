// core::explain (issue 17): why traffic is where it is, rule by rule, read
// off the spec and the status the engine wrote.
#include <catch2/catch.hpp>

#include <algorithm>

#include "engine_fixture.h"
#include "switchyard/core/explain.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;

namespace {

std::vector<LiveCluster> connected(const std::vector<std::string>& names) {
  std::vector<LiveCluster> out;
  for (const auto& name : names) out.push_back({name, std::nullopt, std::nullopt, true});
  return out;
}

std::vector<ExplainLine> explained(Fleet& fleet, const std::string& spec, const std::vector<LiveCluster>& clusters) {
  return explain({parse_ok(fos_json(spec)), round_trip(fleet.status())}, clusters, fleet.now);
}

bool has(const std::vector<ExplainLine>& lines, const std::string& rule, const std::string& text) {
  return std::find(lines.begin(), lines.end(), ExplainLine{rule, text}) != lines.end();
}

std::string dump(const std::vector<ExplainLine>& lines) {
  std::string out;
  for (const auto& line : lines) out += line.rule + " | " + line.text + "\n";
  return out;
}

}  // namespace

TEST_CASE("explain: a failover names the unhealthy primary, the group chosen and the weights", "[core][explain]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  const auto lines = explained(fleet, kTwoClusterSpec, connected({"west", "east"}));
  INFO(dump(lines));
  REQUIRE_FALSE(lines.empty());
  CHECK(lines[0].rule == "state");
  CHECK_THAT(lines[0].text, Catch::StartsWith("FailedOver"));
  CHECK(has(lines, "1", "west/emojivoto/web-svc: Unhealthy, 0 ready endpoints < minReadyEndpoints 1 since 2023-11-14T22:13:20Z"));
  CHECK(has(lines, "1", "east/emojivoto/web-svc: Healthy, 2 ready endpoints >= minReadyEndpoints 1 since 2023-11-14T22:13:20Z"));
  CHECK(has(lines, "4", "in east: priority group 0 has no usable member"));
  CHECK(has(lines, "5", "in east: east/emojivoto/web-svc weight 1"));
  CHECK(std::any_of(lines.begin(), lines.end(), [](const ExplainLine& l) {
    return l.rule == "3" && l.text.rfind("in west: priority group 1 is active since 2023-11-14T22:13:20Z", 0) == 0;
  }));
}

TEST_CASE("explain: a recovered primary shows the failback timer left", "[core][explain]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.report("west", {{"web-svc", 0}});
  fleet.advance(5);
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, R::Mirror}});
  fleet.advance(10);
  fleet.heartbeat("west");
  fleet.heartbeat("east");
  const auto lines = explained(fleet, kTwoClusterSpec, connected({"west", "east"}));
  INFO(dump(lines));
  CHECK(has(lines, "4",
            "in east: priority group 0 is healthy again; traffic returns after failback.delaySeconds 30: about 20s "
            "left (its mirror here must be ready too, rule 2)"));
}

TEST_CASE("explain: drain, pin and Observe mode are named as overrides", "[core][explain]") {
  const std::string spec =
      R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
      R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},)"
      R"("mode":"Observe","pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},)"
      R"("until":"2023-11-14T22:23:20Z"}})";
  Fleet fleet({"west", "east"});
  fleet.apply(spec);
  all_healthy(fleet);
  auto clusters = connected({"west", "east"});
  clusters[0].drain = Drain{"node pool upgrade", "kubectl-switchyard", kStart};
  const auto lines = explained(fleet, spec, clusters);
  INFO(dump(lines));
  CHECK(has(lines, "overrides",
            "cluster west drained by kubectl-switchyard at 2023-11-14T22:13:20Z: node pool upgrade: its backends are "
            "unusable in every consumer"));
  CHECK(has(lines, "overrides",
            "spec.pin: east/emojivoto/web-svc carries all traffic while usable, until 2023-11-14T22:23:20Z (600s left)"));
  CHECK(has(lines, "overrides",
            "spec.mode Observe: decisions are shown (status.consumers[].wouldApply), no route is written"));
  fleet.now += 601'000;
  const auto later = explained(fleet, spec, clusters);
  CHECK(has(later, "overrides", "spec.pin: east/emojivoto/web-svc expired at 2023-11-14T22:23:20Z; automatic decisions"));
}

TEST_CASE("explain: data-plane evidence and its thresholds where the spec has checks", "[core][explain]") {
  const auto& spec = kTwoClusterCheckedSpec;
  Fleet fleet({"west", "east"});
  fleet.apply(spec);
  all_healthy(fleet);
  fail_data_plane(fleet, "west", 2);
  const auto lines = explained(fleet, spec, connected({"west", "east"}));
  INFO(dump(lines));
  CHECK(has(lines, "1",
            "west/emojivoto/web-svc: Unhealthy although 2 ready endpoints suffice: its data-plane checks fail (rule "
            "1a) since 2023-11-14T22:13:20Z"));
  CHECK(has(lines, "1a",
            "west/emojivoto/web-svc: data plane Failing, last evaluation Fail (2 in a row; failureThreshold 2, "
            "successThreshold 3), success rate 40% (minimum 95%): success rate 40% < 95% over 30s at 12 rps"));
}

TEST_CASE("explain: a silent cluster's backends are Unknown, with how long and what follows", "[core][explain]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.advance(50);
  fleet.heartbeat("east");
  auto clusters = connected({"west", "east"});
  clusters[0].connected = false;
  clusters[0].silent_since = fleet.now - 50'000;
  const auto lines = explained(fleet, kTwoClusterSpec, clusters);
  INFO(dump(lines));
  CHECK(has(lines, "1",
            "west/emojivoto/web-svc: Unknown: cluster west's agent is silent for 50s (unknownAfterSeconds 40: its last "
            "known health decides; presumed down after silentFailoverSeconds 120)"));
}

TEST_CASE("explain: without status there is nothing decided to explain", "[core][explain]") {
  const auto lines = explain({parse_ok(fos_json(kTwoClusterSpec)), std::nullopt}, {}, kStart);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0] == ExplainLine{"state", "no status yet: the hub has not decided on this FailoverService"});
}
