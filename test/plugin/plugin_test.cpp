#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "json_fixture.h"

#include "switchyard/plugin/plugin.h"

using namespace switchyard::plugin;
using switchyard::plugin::testing::json;

namespace {
const char* kFs = R"({"metadata":{"name":"web","namespace":"emojivoto"},
 "spec":{"backingServices":[
   {"cluster":"west","namespace":"emojivoto","name":"web-svc"},
   {"cluster":"east","namespace":"emojivoto","name":"web-svc"},
   {"cluster":"east","namespace":"emojivoto","name":"web-svc-canary"}]}})";
}  // namespace

TEST_CASE("drain writes spec.drain.reason as one JSON string and refuses a blank reason") {
  auto p = drain_patch("node \"pool\"\nupgrade");
  REQUIRE(p.ok());
  CHECK(*p.value == R"({"spec":{"drain":{"reason":"node \"pool\"\nupgrade"}}})");
  auto blank = drain_patch(" \t");
  CHECK_FALSE(blank.ok());
  CHECK(blank.error.find("--reason") != std::string::npos);
}

TEST_CASE("undrain nulls spec.drain and sets or clears the undrain-now annotation") {
  CHECK(undrain_patch(false) == R"({"metadata":{"annotations":{"switchyard.io/undrain":null}},"spec":{"drain":null}})");
  CHECK(undrain_patch(true) == R"({"metadata":{"annotations":{"switchyard.io/undrain":"now"}},"spec":{"drain":null}})");
}

TEST_CASE("a backend resolves from a full name or an unambiguous cluster") {
  auto fs = json(kFs);
  auto west = resolve_backend("west", fs);
  REQUIRE(west.ok());
  CHECK(west.value->name == "web-svc");
  auto full = resolve_backend("east/emojivoto/web-svc-canary", fs);
  REQUIRE(full.ok());
  CHECK(full.value->name == "web-svc-canary");
  auto ambiguous = resolve_backend("east", fs);
  CHECK_FALSE(ambiguous.ok());
  CHECK(ambiguous.error == "FailoverService web: cluster east has 2 backing services; name one as CLUSTER/NAMESPACE/NAME");
  CHECK(resolve_backend("north", fs).error == "FailoverService web: no backing service north in spec.backingServices");
  CHECK(resolve_backend("east/emojivoto", fs).error.find("expected CLUSTER or CLUSTER/NAMESPACE/NAME") != std::string::npos);
  CHECK(resolve_backend("east/emojivoto/web-svc/x", fs).error.find("expected") != std::string::npos);
  CHECK_FALSE(resolve_backend("west", json(R"({"metadata":{"name":"x"},"spec":{}})")).ok());
}

TEST_CASE("pin writes backend, until and force, and nulls an unset until") {
  Backend b{"east", "emojivoto", "web-svc"};
  CHECK(pin_patch(b, "2026-12-05T10:00:00Z", true) ==
        R"({"spec":{"pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},"until":"2026-12-05T10:00:00Z","force":true}}})");
  CHECK(pin_patch(b, "", false) ==
        R"({"spec":{"pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},"until":null,"force":false}}})");
  CHECK(unpin_patch() == R"({"spec":{"pin":null}})");
}

TEST_CASE("durations parse like --for 30m and refuse junk") {
  CHECK(parse_duration("30m").value->count() == 1800);
  CHECK(parse_duration("1h30m").value->count() == 5400);
  CHECK(parse_duration("90s").value->count() == 90);
  for (const char* bad : {"", "30", "m", "3x", "-5m", "0s", "99999999999999999999h", "1h 2m"})
    CHECK_FALSE(parse_duration(bad).ok());
}

TEST_CASE("times round-trip and ages print as kubectl does") {
  auto t = parse_time("2026-12-04T12:01:07Z");
  REQUIRE(t);
  CHECK(format_time(*t) == "2026-12-04T12:01:07Z");
  CHECK(parse_time("2026-12-04T12:01:07.123Z") == t);
  CHECK_FALSE(parse_time("2026-12-04 12:01:07"));
  CHECK_FALSE(parse_time("2026-12-04T12:01:07+01:00"));
  CHECK(format_age(std::chrono::seconds(45)) == "45s");
  CHECK(format_age(std::chrono::seconds(600)) == "10m");
  CHECK(format_age(std::chrono::seconds(3 * 3600)) == "3h");
  CHECK(format_age(std::chrono::seconds(5 * 86400)) == "5d");
}

TEST_CASE("the status tree shows state, active weights, health evidence, consumers and connections") {
  auto fs = json(R"({"metadata":{"name":"web","namespace":"emojivoto"},
   "spec":{"mode":"Observe","pin":{"backend":{"cluster":"east","namespace":"emojivoto","name":"web-svc"},"until":"2026-12-04T13:00:00Z"}},
   "status":{"state":"FailedOver","message":"west has 0 ready endpoints",
    "active":[{"cluster":"east","namespace":"emojivoto","name":"web-svc","weight":1}],
    "backingServices":[
     {"cluster":"west","namespace":"emojivoto","name":"web-svc","health":"Unhealthy","readyEndpoints":0,"lastTransitionTime":"2026-12-04T12:01:07Z"},
     {"cluster":"east","namespace":"emojivoto","name":"web-svc","health":"Healthy","readyEndpoints":2}],
    "consumers":[{"cluster":"west","desiredRevision":7,"appliedRevision":6,"inSync":false}],
    "failoverCount":1,"lastFailoverTime":"2026-12-04T12:01:07Z",
    "conditions":[{"type":"Ready","status":"False","reason":"Applying","message":"west applies 7"}]}})");
  auto mcs = json(R"([{"metadata":{"name":"west"},"spec":{"drain":{"reason":"upgrade"}},
     "status":{"connected":true,"lastHeartbeatTime":"2026-12-04T12:11:00Z"}},
    {"metadata":{"name":"east"},"status":{"connected":false}}])");
  auto now = *parse_time("2026-12-04T12:11:07Z");
  CHECK(status_tree(fs, mcs, now) ==
        "FailoverService emojivoto/web: FailedOver, mode Observe\n"
        "  west has 0 ready endpoints\n"
        "  pinned to east/emojivoto/web-svc until 2026-12-04T13:00:00Z\n"
        "  active:\n"
        "    east/emojivoto/web-svc  weight 1\n"
        "  backends:\n"
        "    west/emojivoto/web-svc  Unhealthy  readyEndpoints 0  since 2026-12-04T12:01:07Z (10m ago)\n"
        "      cluster west: connected, heartbeat 2026-12-04T12:11:00Z (7s ago), DRAINED: upgrade\n"
        "    east/emojivoto/web-svc  Healthy  readyEndpoints 2\n"
        "      cluster east: disconnected\n"
        "  consumers:\n"
        "    west  revision 6/7  NOT in sync  (connected, heartbeat 2026-12-04T12:11:00Z (7s ago), DRAINED: upgrade)\n"
        "  last failover 2026-12-04T12:01:07Z (10m ago), 1 failover(s)\n"
        "  conditions:\n"
        "    Ready=False Applying: west applies 7\n");
}

TEST_CASE("a FailoverService without status says so and a cluster without MemberCluster is named") {
  auto fs = json(R"({"metadata":{"name":"web","namespace":"ns"},"spec":{}})");
  auto none = json("[]");
  CHECK(status_tree(fs, none, {}) == "FailoverService ns/web: (no status yet: is the hub running?)\n");
  auto fs2 = json(R"({"metadata":{"name":"web","namespace":"ns"},"status":{"state":"Primary",
    "backingServices":[{"cluster":"x","namespace":"ns","name":"s","health":"Unknown","readyEndpoints":"junk"}]}})");
  auto tree = status_tree(fs2, none, {});
  CHECK(tree.find("cluster x: no MemberCluster x") != std::string::npos);
  CHECK(tree.find("(none)") != std::string::npos);
}

TEST_CASE("yaml output emits the JSON with number-like strings quoted") {
  auto doc = json(R"({"a":"8080","b":8080,"c":"true","d":null,"e":[1.5,"x"],"f":{},"g":"-1","h":"","i":"No","j":"~"})");
  CHECK(json_to_yaml(doc) ==
        "a: \"8080\"\nb: 8080\nc: \"true\"\nd: ~\ne:\n  - 1.5\n  - x\nf:\n  {}\ng: \"-1\"\nh: \"\"\ni: \"No\"\nj: \"~\"\n");
}

TEST_CASE("import converts linkerd-failover TrafficSplits of two clusters into one FailoverService") {
  auto west = json(R"([{"metadata":{"name":"web-svc-failover","namespace":"emojivoto",
     "labels":{"failover.linkerd.io/controlled-by":"linkerd-failover"},
     "annotations":{"failover.linkerd.io/primary-service":"web-svc"}},
     "spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":1},{"service":"web-svc-east","weight":0}]}},
    {"metadata":{"name":"other","namespace":"emojivoto"},"spec":{"service":"x","backends":[]}}])");
  auto east = json(R"([{"metadata":{"name":"web-svc-failover","namespace":"emojivoto",
     "labels":{"app.kubernetes.io/managed-by":"linkerd-failover"},
     "annotations":{"failover.linkerd.io/primary-service":"web-svc"}},
     "spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":1},{"service":"web-svc-west","weight":0}]}}])");
  auto out = import_linkerd_failover({{"west", &west}, {"east", &east}});
  REQUIRE(out.ok());
  CHECK(*out.value ==
        "---\napiVersion: switchyard.io/v1alpha1\nkind: MemberCluster\nmetadata:\n  name: west\nspec:\n"
        "  tokenSecretRef:\n    namespace: switchyard-system\n    key: token\n    name: agent-west\n"
        "---\napiVersion: switchyard.io/v1alpha1\nkind: MemberCluster\nmetadata:\n  name: east\nspec:\n"
        "  tokenSecretRef:\n    namespace: switchyard-system\n    key: token\n    name: agent-east\n"
        "---\napiVersion: switchyard.io/v1alpha1\nkind: FailoverService\nmetadata:\n  name: web-svc\n"
        "  namespace: emojivoto\nspec:\n  service: web-svc\n  targetNamespace: emojivoto\n"
        "  consumers:\n    - west\n    - east\n  backingServices:\n"
        "    - cluster: west\n      namespace: emojivoto\n      name: web-svc\n"
        "    - cluster: east\n      namespace: emojivoto\n      name: web-svc\n");
  auto bad = json(R"([{"metadata":{"name":"t","namespace":"n","labels":{"failover.linkerd.io/controlled-by":"linkerd-failover"}},"spec":{"service":"s"}}])");
  CHECK(import_linkerd_failover({{"west", &bad}}).error.find("TrafficSplit n/t in west: no failover.linkerd.io/primary-service") == 0);
}

TEST_CASE("status shows each backend's data-plane evidence in the hub's words, the latency share included") {
  auto fs = json(R"({"metadata":{"name":"web","namespace":"ns"},"status":{"state":"FailedOver",
    "backingServices":[{"cluster":"west","namespace":"ns","name":"s","health":"Unhealthy","readyEndpoints":1,
      "dataPlane":{"verdict":"Failing","lastEvaluation":"Fail","consecutive":2,"maxLatencyMs":500,
        "latencyWithinShare":0.972,"latencyQuantile":0.99,
        "message":"latency p99 over 500ms: 97.2% of requests within 500ms < 99% over 30s at 12.3 rps"}},
     {"cluster":"east","namespace":"ns","name":"s","health":"Healthy","readyEndpoints":1}]}})");
  const auto tree = status_tree(fs, json("[]"), {});
  CHECK(tree.find("      data plane Failing, last Fail: latency p99 over 500ms: 97.2% of requests within 500ms < 99% "
                  "over 30s at 12.3 rps\n") != std::string::npos);
  CHECK(tree.find("data plane", tree.find("east/ns/s")) == std::string::npos);  // no checks, no line
}
