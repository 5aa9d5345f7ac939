// The hub's side of the operator overrides (issue 17): a MemberCluster's
// spec.drain reaches every consumer's assignment, its Events and status say
// who asked and why; Observe mode publishes no new route.
#include <catch2/catch.hpp>

#include "hub_fixture.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace switchyard::hub::testing;
using S = std::vector<std::string>;

namespace {

// MemberCluster `name` drained by kubectl-switchyard for `reason` (no drain
// when empty), with `annotations` (a JSON object's members) when given.
MemberClusterObject drained_member(const std::string& name, const std::string& reason,
                                   const std::string& annotations = "") {
  std::string json = R"({"apiVersion":"switchyard.io/v1alpha1","kind":"MemberCluster","metadata":{"name":")" + name +
                     R"(","uid":"uid-)" + name + R"(","generation":2,"annotations":{)" + annotations +
                     R"(},"managedFields":[)"
                     R"({"manager":"kubectl-switchyard","operation":"Update","time":"2026-12-04T12:00:00Z",)"
                     R"("fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:drain":{"f:reason":{}}}}}]},)"
                     R"("spec":{"tokenSecretRef":{"namespace":"switchyard-system","name":"agent-)" + name +
                     R"(","key":"token"})";
  if (!reason.empty()) json += R"(,"drain":{"reason":")" + reason + R"("})";
  auto document = parse(json + "}}");
  auto object = read_member_cluster(*document);
  REQUIRE(object);
  return *object;
}

void ready(Hub& hub) {
  hub.add_members({"west", "east"});
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.all_healthy();
  hub.flush();
  REQUIRE(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
}

}  // namespace

TEST_CASE("a drained MemberCluster moves every consumer off it at once, undrained traffic returns after the delay",
          "[hub][overrides]") {
  Hub hub;
  ready(hub);
  hub.controller.member_cluster_changed(drained_member("west", "node pool upgrade"), hub.now);
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(hub.split("east") == S{"web-svc-west=0", "web-svc=1"});
  const auto drained = hub.events.with_reason("Drained");
  REQUIRE(drained.size() == 1);
  CHECK(drained[0].subject.kind == "MemberCluster");
  CHECK(drained[0].message ==
        "cluster west drained by kubectl-switchyard at 2026-12-04T12:00:00Z: node pool upgrade; its backends carry "
        "no traffic in any consumer");
  CHECK(hub.events.with_reason("FailedOver").size() == 2);
  const auto writes = hub.statuses.of(WriteKind::MemberClusterStatus, "west");
  REQUIRE_FALSE(writes.empty());
  CHECK_THAT(writes.back().status_json,
             Catch::Contains(R"("drained":"drained by kubectl-switchyard at 2026-12-04T12:00:00Z: node pool upgrade")"));

  // Its agent keeps reporting; nothing returns while drained.
  hub.advance(60);
  hub.all_healthy();
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});

  hub.controller.member_cluster_changed(drained_member("west", ""), hub.now);
  hub.flush();
  CHECK(hub.events.with_reason("Undrained").size() == 1);
  CHECK(hub.statuses.of(WriteKind::MemberClusterStatus, "west").back().status_json.find("drained") ==
        std::string::npos);
  hub.advance(29);
  hub.all_healthy();
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});
  hub.advance(1);
  CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(hub.split("east") == S{"web-svc-west=1", "web-svc=0"});
}

TEST_CASE("an undrain with switchyard.io/undrain: now returns traffic at once", "[hub][overrides]") {
  Hub hub;
  ready(hub);
  hub.controller.member_cluster_changed(drained_member("west", "node pool upgrade"), hub.now);
  hub.flush();
  hub.advance(5);
  hub.all_healthy();
  hub.flush();
  REQUIRE(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});

  hub.controller.member_cluster_changed(drained_member("west", "", R"("switchyard.io/undrain":"now")"), hub.now);
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(hub.split("east") == S{"web-svc-west=1", "web-svc=0"});
  const auto undrained = hub.events.with_reason("Undrained");
  REQUIRE(undrained.size() == 1);
  CHECK(undrained[0].message ==
        "cluster west undrained with switchyard.io/undrain: now; traffic returns at once, without the failback delay");
  CHECK(hub.events.with_reason("FailedBack").size() == 2);
}

TEST_CASE("Observe mode publishes no new route while its status shows the decision", "[hub][overrides]") {
  Hub hub;
  ready(hub);
  const auto observe = R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
                       R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"mode":"Observe"})";
  hub.controller.failover_service_changed(fos_object(observe, "", 2), hub.now);
  hub.flush();
  hub.controller.member_cluster_changed(drained_member("west", "test"), hub.now);
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(hub.split("east") == S{"web-svc-west=1", "web-svc=0"});
  const auto status = hub.last_status();
  CHECK((*status)["state"] == "FailedOver");
  REQUIRE((*status)["consumers"][0].HasMember("wouldApply"));
  const auto& would = (*status)["consumers"][0]["wouldApply"];
  REQUIRE(would.Size() == 2);
  CHECK(std::string(would[1]["backend"].GetString()) == "east/emojivoto/web-svc");
  CHECK(would[1]["weight"].GetUint() == 1);
  CHECK(would[0]["weight"].GetUint() == 0);
}
