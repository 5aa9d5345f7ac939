// what-if's view: the live objects as core::what_if takes them, and its
// predictions as text and JSON.
#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "json_fixture.h"

#include "switchyard/plugin/what_if_view.h"

using namespace switchyard;
using namespace switchyard::plugin;
using switchyard::plugin::testing::json;

namespace {

// web in emojivoto on west (primary) and east, as the hub left it: traffic on west.
const char* kServices = R"([{"metadata":{"name":"web","namespace":"emojivoto","generation":1},
 "spec":{"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},
                            {"cluster":"east","namespace":"emojivoto","name":"web-svc"}]},
 "status":{"state":"Primary","active":[{"cluster":"west","namespace":"emojivoto","name":"web-svc","weight":1}],
  "backingServices":[
   {"cluster":"west","namespace":"emojivoto","name":"web-svc","health":"Healthy","readyEndpoints":2,"lastTransitionTime":"2026-12-05T08:00:00Z"},
   {"cluster":"east","namespace":"emojivoto","name":"web-svc","health":"Healthy","readyEndpoints":2,"lastTransitionTime":"2026-12-05T08:00:00Z"}],
  "consumers":[
   {"cluster":"west","activePriority":0,"activeBackends":["west/emojivoto/web-svc"]},
   {"cluster":"east","activePriority":0,"activeBackends":["west/emojivoto/web-svc"]}]}},
 {"metadata":{"name":"broken","namespace":"emojivoto"},"spec":{"backingServices":[]}}])";

const char* kClusters = R"([
 {"metadata":{"name":"west"},"spec":{},"status":{"connected":true,"lastHeartbeatTime":"2026-12-05T08:59:00Z"}},
 {"metadata":{"name":"east"},"spec":{},"status":{"connected":true}},
 {"metadata":{"name":"north"},"spec":{"drain":"not an object"},
  "status":{"connected":false,"lastHeartbeatTime":"2026-12-05T08:00:00Z"}}])";

// The same three, all connected.
const char* kClustersUp = R"([
 {"metadata":{"name":"west"},"spec":{},"status":{"connected":true}},
 {"metadata":{"name":"east"},"spec":{},"status":{"connected":true}},
 {"metadata":{"name":"north"},"spec":{},"status":{"connected":true}}])";

constexpr core::TimeMs kNow = 1'796'461'200'000;  // 2026-12-05T09:00:00Z

}  // namespace

TEST_CASE("what-if reads the clusters' connection and drain and every readable FailoverService", "[plugin]") {
  const auto services = json(kServices);
  const auto clusters = json(kClusters);
  const auto live = live_state_from(services, clusters);
  REQUIRE(live.state.clusters.size() == 3);
  CHECK(live.state.clusters[0].connected);
  CHECK_FALSE(live.state.clusters[0].silent_since);  // connected: heard now
  CHECK_FALSE(live.state.clusters[2].connected);
  CHECK(live.state.clusters[2].silent_since == kNow - 3'600'000);
  CHECK(live.state.clusters[2].drain);  // malformed counts as drained, as the hub counts it
  CHECK_FALSE(live.state.clusters[1].drain);
  REQUIRE(live.state.services.size() == 1);
  REQUIRE(live.state.services[0].status);
  REQUIRE(live.unreadable.size() == 1);
  CHECK_THAT(live.unreadable[0], Catch::StartsWith("failoverservice emojivoto/broken: spec.backingServices"));
}

TEST_CASE("what-if refuses a failure that names nothing", "[plugin]") {
  const auto services = json(kServices);
  const auto clusters = json(kClusters);
  const auto live = live_state_from(services, clusters);
  CHECK(check_failure(live.state, {"eest", "", ""}) == "--fail: no MemberCluster \"eest\"");
  CHECK(check_failure(live.state, {"west", "emojivoto", "nope"}) ==
        "--fail: west/emojivoto/nope is no backing service of any FailoverService");
  CHECK(check_failure(live.state, {"west", "", ""}).empty());
  CHECK(check_failure(live.state, {"east", "emojivoto", "web-svc"}).empty());
}

TEST_CASE("what-if: west failing while north is silent leaves two of three silent: the hub freezes (rule 8)",
          "[plugin]") {
  const auto services = json(kServices);
  const auto clusters = json(kClusters);
  const auto live = live_state_from(services, clusters);
  const auto predictions = core::what_if(live.state, {"west", "", ""}, kNow);
  REQUIRE(predictions.size() == 1);
  CHECK(predictions[0].state_after == core::FosState::Frozen);
  CHECK_FALSE(predictions[0].consumers[1].moves());
}

TEST_CASE("what-if prints each consumer's weights now -> after, and the same as JSON", "[plugin]") {
  const auto services = json(kServices);
  const auto clusters = json(kClustersUp);
  const auto live = live_state_from(services, clusters);
  const core::Failure west{"west", "", ""};
  const auto predictions = core::what_if(live.state, west, kNow);
  const auto text = what_if_text(west, predictions);
  CHECK(text ==
        "What if cluster west fails (every backend in it unusable, its agent silent):\n"
        "FailoverService emojivoto/web: Primary -> FailedOver\n"
        "  consumer west: silent, keeps its route (rule 1b)\n"
        "    west/emojivoto/web-svc  weight 1\n"
        "    east/emojivoto/web-svc  weight 0\n"
        "  consumer east: moves\n"
        "    west/emojivoto/web-svc  weight 1 -> 0\n"
        "    east/emojivoto/web-svc  weight 0 -> 1\n");
  const auto machine = json(what_if_json(west, predictions).c_str());
  CHECK(std::string(machine["failure"].GetString()) == "west");
  const auto& east = machine["failoverServices"][0]["consumers"][1];
  CHECK(std::string(east["cluster"].GetString()) == "east");
  CHECK(east["moves"].GetBool());
  CHECK(east["after"][1]["weight"].GetUint() == 1);
  CHECK(std::string(east["after"][1]["backend"].GetString()) == "east/emojivoto/web-svc");
}
