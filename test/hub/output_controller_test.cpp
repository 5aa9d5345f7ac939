// The hub's per-consumer output (docs/outputs.md): the choice from what each
// agent discovered, the move between kinds with no moment without routing,
// OutputUnavailable for one consumer leaving the others alone, and a
// restarted hub that resumes the recorded output.
#include <catch2/catch.hpp>

#include "hub_fixture.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace switchyard::hub::testing;
using protocol::ServiceRole;

namespace {

std::string spec_with_output(const std::string& output) {
  return R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
         R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},"output":)" +
         output + "}";
}

protocol::ServedApis serving(bool split, bool gateway, bool linkerd) {
  protocol::ServedApis served;
  served.traffic_split = split;
  served.gateway_http_route = gateway;
  served.linkerd_http_route = linkerd;
  return served;
}

// "apiVersion kind" of each route object in the cluster's assignment, in order.
std::vector<std::string> kinds_in(Hub& hub, const std::string& cluster) {
  std::vector<std::string> out;
  for (const auto& route : hub.assignment(cluster).traffic_splits) {
    auto object = parse(route.object_json);
    out.push_back(route.api_version + " " + (*object)["kind"].GetString());
  }
  return out;
}

const rapidjson::Value& consumer_status(const rapidjson::Document& status, const std::string& cluster) {
  for (const auto& consumer : status["consumers"].GetArray()) {
    if (cluster == consumer["cluster"].GetString()) return consumer;
  }
  FAIL("no consumer " << cluster);
  return status;
}

using S = std::vector<std::string>;
const std::string kSplit = "split.smi-spec.io/v1alpha2 TrafficSplit";
const std::string kGatewayRoute = "gateway.networking.k8s.io/v1 HTTPRoute";
const std::string kLinkerdRoute = "policy.linkerd.io/v1beta3 HTTPRoute";

}  // namespace

TEST_CASE("output Auto: an HTTPRoute where the Gateway API is served, a TrafficSplit where only SMI is",
          "[hub][outputs]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.outputs["west"] = serving(true, true, false);
  hub.outputs["east"] = serving(true, false, false);
  hub.controller.failover_service_changed(fos_object(spec_with_output(R"({"kind":"Auto","port":8080})")), hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  CHECK(kinds_in(hub, "west") == S{kGatewayRoute});
  CHECK(kinds_in(hub, "east") == S{kSplit});
  auto route = parse(hub.assignment("west").traffic_splits[0].object_json);
  CHECK(std::string((*route)["spec"]["parentRefs"][0]["name"].GetString()) == "web-svc");
  CHECK((*route)["spec"]["rules"][0]["backendRefs"][0]["weight"].GetInt() == 1);
  hub.all_healthy();
  hub.flush();
  auto status = hub.last_status();
  CHECK(std::string(consumer_status(*status, "west")["output"].GetString()) == "HTTPRoute");
  CHECK(std::string(consumer_status(*status, "east")["output"].GetString()) == "TrafficSplit");
  CHECK(hub.hub_metrics.output_unavailable_consumers.value() == 0);

  SECTION("Linkerd's HTTPRoute where only it and SMI are served") {
    hub.outputs["east"] = serving(true, false, true);
    hub.all_healthy();
    hub.flush();
    CHECK(kinds_in(hub, "east") == S{kSplit, kLinkerdRoute});  // moving: both until applied
    hub.all_healthy();  // east applies the revision carrying both
    hub.flush();
    CHECK(kinds_in(hub, "east") == S{kLinkerdRoute});
  }
}

TEST_CASE("a live change of output writes the new object beside the old until the agent applied it",
          "[hub][outputs]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.outputs["west"] = serving(true, true, true);
  hub.outputs["east"] = serving(true, true, true);
  hub.controller.failover_service_changed(fos_object(spec_with_output(R"({"kind":"TrafficSplit"})")), hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  REQUIRE(kinds_in(hub, "west") == S{kSplit});
  hub.all_healthy();
  hub.flush();
  const auto before = hub.controller.revision("west");

  hub.controller.failover_service_changed(
      fos_object(spec_with_output(R"({"kind":"HTTPRoute","port":8080})"), "", 2), hub.now);
  hub.flush();
  const auto carrying_both = hub.controller.revision("west");
  CHECK(carrying_both > before);
  CHECK(kinds_in(hub, "west") == S{kSplit, kGatewayRoute});
  // Still both while the agent has not applied that revision.
  hub.report("west", {}, before, false);
  hub.flush();
  CHECK(kinds_in(hub, "west") == S{kSplit, kGatewayRoute});

  // Applied: the TrafficSplit leaves, as a delta removal without apiVersion.
  hub.report("west", {}, carrying_both, false);
  hub.flush();
  CHECK(kinds_in(hub, "west") == S{kGatewayRoute});
  auto delta = hub.board.wait_for_change("west", carrying_both, AssignmentBoard::Clock::now(), hub.board.epoch());
  REQUIRE(delta);
  auto decoded = protocol::decode_assignment(delta->text());
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded.value->full);
  REQUIRE(decoded.value->removed_traffic_splits.size() == 1);
  CHECK(decoded.value->removed_traffic_splits[0] == protocol::SplitName{"emojivoto", "web-svc", ""});
  CHECK(decoded.value->traffic_splits.empty());

  SECTION("and back: the HTTPRoute is removed by its apiVersion") {
    hub.controller.failover_service_changed(fos_object(spec_with_output(R"({"kind":"TrafficSplit"})"), "", 3),
                                            hub.now);
    hub.flush();
    const auto carrying = hub.controller.revision("west");
    CHECK(kinds_in(hub, "west") == S{kSplit, kGatewayRoute});
    hub.report("west", {}, carrying, false);
    hub.flush();
    CHECK(kinds_in(hub, "west") == S{kSplit});
    auto back = hub.board.wait_for_change("west", carrying, AssignmentBoard::Clock::now(), hub.board.epoch());
    auto removed = protocol::decode_assignment(back->text());
    REQUIRE(removed.ok());
    REQUIRE(removed.value->removed_traffic_splits.size() == 1);
    CHECK(removed.value->removed_traffic_splits[0] ==
          protocol::SplitName{"emojivoto", "web-svc", "gateway.networking.k8s.io/v1"});
  }
}

TEST_CASE("OutputUnavailable for the consumer lacking the API: its routing kept, the other consumer unaffected",
          "[hub][outputs]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.outputs["west"] = serving(true, true, false);
  hub.outputs["east"] = serving(true, false, false);
  hub.controller.failover_service_changed(fos_object(spec_with_output(R"({"kind":"TrafficSplit"})")), hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  hub.all_healthy();
  hub.flush();
  hub.controller.failover_service_changed(
      fos_object(spec_with_output(R"({"kind":"HTTPRoute","port":8080})"), "", 2), hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  hub.all_healthy();
  hub.flush();
  CHECK(kinds_in(hub, "west") == S{kGatewayRoute});
  CHECK(kinds_in(hub, "east") == S{kSplit});  // kept
  auto status = hub.last_status();
  const auto& east = consumer_status(*status, "east");
  CHECK(std::string(east["output"].GetString()) == "TrafficSplit");
  REQUIRE(east.HasMember("conditions"));
  CHECK(std::string(east["conditions"][0]["type"].GetString()) == "OutputUnavailable");
  CHECK(std::string(east["conditions"][0]["message"].GetString()) ==
        "cluster east does not serve gateway.networking.k8s.io/v1 httproutes; keeps its TrafficSplit");
  CHECK_FALSE(consumer_status(*status, "west").HasMember("conditions"));
  bool summarised = false;
  for (const auto& condition : (*status)["conditions"].GetArray()) {
    if (std::string(condition["type"].GetString()) != "OutputUnavailable") continue;
    summarised = true;
    CHECK_THAT(condition["message"].GetString(), Catch::Contains(": east;"));
  }
  CHECK(summarised);
  CHECK(hub.hub_metrics.output_unavailable_consumers.value() == 1);

  SECTION("a failover still moves east's TrafficSplit and west's HTTPRoute") {
    hub.now += 1000;
    hub.report("west", {{"web-svc", 0}, {"web-svc-east", 1, ServiceRole::Mirror}}, hub.applied("west"));
    hub.flush();
    CHECK(hub.split("east") == S{"web-svc-west=0", "web-svc=1"});
    auto route = parse(hub.assignment("west").traffic_splits[0].object_json);
    CHECK((*route)["spec"]["rules"][0]["backendRefs"][0]["weight"].GetInt() == 0);
    CHECK((*route)["spec"]["rules"][0]["backendRefs"][1]["weight"].GetInt() == 1);
  }
  SECTION("east's Gateway API CRD installed: the condition clears") {
    hub.outputs["east"] = serving(true, true, false);
    hub.all_healthy();
    hub.flush();
    hub.all_healthy();
    hub.flush();
    CHECK(kinds_in(hub, "east") == S{kGatewayRoute});
    CHECK_FALSE(consumer_status(*hub.last_status(), "east").HasMember("conditions"));
    CHECK(hub.hub_metrics.output_unavailable_consumers.value() == 0);
  }
}

TEST_CASE("a restarted hub resumes the recorded output: no flip to TrafficSplit and back", "[hub][outputs]") {
  const auto spec = spec_with_output(R"({"kind":"Auto","port":8080})");
  Hub before;
  before.add_members({"west", "east"});
  before.outputs["west"] = serving(true, true, false);
  before.outputs["east"] = serving(true, false, false);
  before.controller.failover_service_changed(fos_object(spec), before.now);
  before.flush();
  before.all_healthy();
  before.flush();
  before.all_healthy();
  before.flush();
  REQUIRE(kinds_in(before, "west") == S{kGatewayRoute});
  const auto recorded = before.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").back().status_json;

  Hub after(before.now + 5000);
  after.add_members({"west", "east"});
  after.outputs = before.outputs;
  after.controller.failover_service_changed(fos_object(spec, recorded), after.now);
  after.flush();
  // Before any agent reported what it serves (Auto waits), each keeps its kind.
  CHECK(kinds_in(after, "west") == S{kGatewayRoute});
  CHECK(kinds_in(after, "east") == S{kSplit});
  after.now += 1000;
  after.all_healthy();
  after.flush();
  CHECK(kinds_in(after, "west") == S{kGatewayRoute});
  CHECK(kinds_in(after, "east") == S{kSplit});
}

TEST_CASE("the agent's RouteConflict shows on that consumer of that FailoverService, and clears", "[hub][outputs]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.outputs["west"] = serving(true, true, false);
  hub.outputs["east"] = serving(true, true, false);
  hub.controller.failover_service_changed(fos_object(spec_with_output(R"({"kind":"HTTPRoute","port":8080})")), hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  const std::string conflict =
      "HTTPRoute emojivoto/canary (gateway.networking.k8s.io) is not managed by switchyard and is attached to "
      "Service emojivoto/web-svc port 8080; HTTPRoute emojivoto/web-svc (gateway.networking.k8s.io) not written "
      "while it is";
  auto report_errors = [&](std::vector<std::string> errors) {
    protocol::Report report;
    report.agent_id = "west-agent";
    report.seq = ++hub.seq["west"];
    report.full = false;
    report.applied.revision = hub.applied("west");
    report.applied.errors = std::move(errors);
    hub.controller.report_received("west", std::move(report), hub.now);
    hub.flush();
  };
  report_errors({"RouteConflict: " + conflict, "RouteConflict: HTTPRoute emojivoto/other (x) ...; HTTPRoute emojivoto/other-svc (x) not written"});
  auto status = hub.last_status();
  const auto& west = consumer_status(*status, "west");
  REQUIRE(west.HasMember("conditions"));
  REQUIRE(west["conditions"].Size() == 1);
  CHECK(std::string(west["conditions"][0]["type"].GetString()) == "RouteConflict");
  CHECK(std::string(west["conditions"][0]["message"].GetString()) == conflict);
  CHECK_FALSE(consumer_status(*status, "east").HasMember("conditions"));
  report_errors({});
  CHECK_FALSE(consumer_status(*hub.last_status(), "west").HasMember("conditions"));
}

TEST_CASE("a MemberCluster's spec.output is the default of FailoverServices that name none", "[hub][outputs]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.outputs["west"] = serving(true, true, true);
  hub.outputs["east"] = serving(true, true, true);
  hub.controller.failover_service_changed(fos_object(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
                                                     R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"output":{"port":8080}})"),
                                          hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  CHECK(kinds_in(hub, "west") == S{kSplit});
  auto west = member_object("west");
  west.output = core::OutputKind::LinkerdHTTPRoute;
  hub.controller.member_cluster_changed(west, hub.now);
  hub.flush();
  CHECK(kinds_in(hub, "west") == S{kSplit, kLinkerdRoute});
  CHECK(kinds_in(hub, "east") == S{kSplit});
}

TEST_CASE("a TrafficSplit asked of a cluster serving no SMI is still written, with OutputUnavailable",
          "[hub][outputs]") {
  // As before outputs existed: its agent reports the missing CRD, retries,
  // and applies it once the CRD is installed.
  Hub hub;
  hub.add_members({"west", "east"});
  hub.outputs["west"] = serving(true, false, false);
  hub.outputs["east"] = serving(false, false, false);
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  hub.all_healthy();
  hub.flush();
  CHECK(kinds_in(hub, "east") == S{kSplit});
  const auto status = hub.last_status();
  const auto& east = consumer_status(*status, "east");
  CHECK(std::string(east["output"].GetString()) == "TrafficSplit");
  CHECK(std::string(east["conditions"][0]["type"].GetString()) == "OutputUnavailable");
}
