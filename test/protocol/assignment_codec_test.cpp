#include <catch2/catch.hpp>

#include "switchyard/protocol/codec.h"

using namespace switchyard::protocol;

namespace {

// The same FailoverService's route as a Gateway API HTTPRoute (docs/outputs.md).
constexpr const char* kGatewayRoute =
    R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",)"
    R"("metadata":{"name":"web-svc","namespace":"emojivoto","labels":{)"
    R"("app.kubernetes.io/managed-by":"switchyard","switchyard.io/failover-service":"emojivoto.web-svc"}},)"
    R"("spec":{"parentRefs":[{"group":"","kind":"Service","name":"web-svc","port":8080}],)"
    R"("rules":[{"backendRefs":[{"group":"","kind":"Service","name":"web-svc","port":8080,"weight":1}]}]}})";

constexpr const char* kSplit =
    R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit",)"
    R"("metadata":{"name":"web-svc","namespace":"emojivoto","labels":{)"
    R"("app.kubernetes.io/managed-by":"switchyard","switchyard.io/failover-service":"emojivoto.web-svc"}},)"
    R"("spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":0},)"
    R"({"service":"web-svc-east","weight":1}]}})";

std::string assignment_with_splits(const std::string& splits) {
  return R"({"revision":8,"watch":[{"namespace":"emojivoto","name":"web-svc","role":"local"}],)"
         R"("trafficSplits":[)" + splits + "]}";
}

}  // namespace

TEST_CASE("an assignment decodes into typed identity and the object as sent", "[protocol]") {
  const auto decoded = decode_assignment(assignment_with_splits(kSplit));
  REQUIRE(decoded.ok());
  const auto& assignment = *decoded.value;
  CHECK(assignment.revision == 8);
  REQUIRE(assignment.watch.size() == 1);
  CHECK(assignment.watch[0] == ServiceKey{"emojivoto", "web-svc", ServiceRole::Local});
  REQUIRE(assignment.traffic_splits.size() == 1);
  const auto& split = assignment.traffic_splits[0];
  CHECK(split.api_version == "split.smi-spec.io/v1alpha2");
  CHECK(split.namespace_name == "emojivoto");
  CHECK(split.name == "web-svc");
  CHECK(split.labels.at("app.kubernetes.io/managed-by") == "switchyard");
  CHECK(split.object_json == kSplit);
}

TEST_CASE("an assignment survives encode then decode unchanged", "[protocol]") {
  const auto first = decode_assignment(assignment_with_splits(kSplit));
  REQUIRE(first.ok());
  const auto again = decode_assignment(encode_assignment(*first.value));
  REQUIRE(again.ok());
  CHECK(*again.value == *first.value);
}

TEST_CASE("an empty assignment is valid: nothing to watch, nothing to apply", "[protocol]") {
  Assignment empty;
  empty.revision = 0;
  const auto decoded = decode_assignment(encode_assignment(empty));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->watch.empty());
  CHECK(decoded.value->traffic_splits.empty());
}

TEST_CASE("bad assignments name the field", "[protocol]") {
  SECTION("a split of another API group") {
    const auto decoded = decode_assignment(assignment_with_splits(
        R"({"apiVersion":"v1","kind":"TrafficSplit","metadata":{"name":"a","namespace":"b"},"spec":{}})"));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "trafficSplits[0].apiVersion: must be in group split.smi-spec.io, gateway.networking.k8s.io or "
                                "policy.linkerd.io, got \"v1\"");
  }
  SECTION("a split without a namespace or spec, of the wrong kind") {
    const auto decoded = decode_assignment(assignment_with_splits(
        R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"Service","metadata":{"name":"a"}})"));
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("trafficSplits[0].kind: must be TrafficSplit in split.smi-spec.io/v1alpha2, got \"Service\""));
    CHECK_THAT(decoded.message(), Catch::Contains("trafficSplits[0].spec: required"));
    CHECK_THAT(decoded.message(), Catch::Contains("trafficSplits[0].metadata.namespace: required"));
  }
  SECTION("the same split twice") {
    const auto decoded = decode_assignment(assignment_with_splits(std::string(kSplit) + "," + kSplit));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "trafficSplits[1]: lists TrafficSplit emojivoto/web-svc twice");
  }
  SECTION("a label that is not a string") {
    const auto decoded = decode_assignment(assignment_with_splits(
        R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit",)"
        R"("metadata":{"name":"a","namespace":"b","labels":{"x":1}},"spec":{}})"));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "trafficSplits[0].metadata.labels.x: label values must be strings");
  }
  SECTION("missing revision and watch") {
    const auto decoded = decode_assignment(R"({"trafficSplits":[]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "revision: required; watch: required");
  }
}

TEST_CASE("an assignment without `full` is complete, as an older hub sends it", "[protocol]") {
  const auto decoded = decode_assignment(assignment_with_splits(kSplit));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->full);
  CHECK(decoded.value->watch_changed);
  CHECK(decoded.value->epoch.empty());
}

TEST_CASE("a delta assignment carries what changed and survives encode then decode", "[protocol]") {
  const auto decoded = decode_assignment(
      R"({"revision":9,"epoch":"e7","full":false,"trafficSplits":[)" + std::string(kSplit) +
      R"(],"removedTrafficSplits":[{"namespace":"emojivoto","name":"old-svc"}]})");
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  const auto& delta = *decoded.value;
  CHECK_FALSE(delta.full);
  CHECK(delta.epoch == "e7");
  CHECK_FALSE(delta.watch_changed);  // no watch list: it did not change
  REQUIRE(delta.traffic_splits.size() == 1);
  CHECK(delta.traffic_splits[0].name == "web-svc");
  REQUIRE(delta.removed_traffic_splits.size() == 1);
  CHECK(delta.removed_traffic_splits[0] == SplitName{"emojivoto", "old-svc", ""});

  const auto again = decode_assignment(encode_assignment(delta));
  REQUIRE(again.ok());
  CHECK(*again.value == delta);

  SECTION("with a new watch list") {
    auto watched = delta;
    watched.watch_changed = true;
    watched.watch = {{"emojivoto", "web-svc", ServiceRole::Local}};
    const auto round = decode_assignment(encode_assignment(watched));
    REQUIRE(round.ok());
    CHECK(round.value->watch_changed);
    CHECK(round.value->watch == watched.watch);
  }
}

TEST_CASE("bad deltas name the field", "[protocol]") {
  SECTION("a delta without the epoch it is relative to") {
    const auto decoded = decode_assignment(R"({"revision":9,"full":false,"trafficSplits":[]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "epoch: required in a delta (full: false)");
  }
  SECTION("a complete assignment that removes") {
    const auto decoded = decode_assignment(
        R"({"revision":9,"full":true,"watch":[],"trafficSplits":[],)"
        R"("removedTrafficSplits":[{"namespace":"a","name":"b"}]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("removedTrafficSplits: only a delta"));
  }
  SECTION("a split both changed and removed") {
    const auto decoded = decode_assignment(
        R"({"revision":9,"epoch":"e","full":false,"trafficSplits":[)" + std::string(kSplit) +
        R"(],"removedTrafficSplits":[{"namespace":"emojivoto","name":"web-svc"}]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "removedTrafficSplits[0]: lists TrafficSplit emojivoto/web-svc twice");
  }
  SECTION("a removal without its name") {
    const auto decoded =
        decode_assignment(R"({"revision":9,"epoch":"e","full":false,"removedTrafficSplits":[{"namespace":"a"}]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "removedTrafficSplits[0].name: required");
  }
}

TEST_CASE("an assignment carries HTTPRoutes of both groups beside a TrafficSplit of the same name", "[protocol]") {
  std::string linkerd = kGatewayRoute;
  linkerd.replace(linkerd.find("gateway.networking.k8s.io/v1"), std::string("gateway.networking.k8s.io/v1").size(),
                  "policy.linkerd.io/v1beta3");
  const auto decoded =
      decode_assignment(assignment_with_splits(std::string(kSplit) + "," + kGatewayRoute + "," + linkerd));
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  REQUIRE(decoded.value->traffic_splits.size() == 3);
  CHECK(decoded.value->traffic_splits[1].api_version == "gateway.networking.k8s.io/v1");
  CHECK(decoded.value->traffic_splits[2].api_version == "policy.linkerd.io/v1beta3");
  CHECK(decoded.value->traffic_splits[2].name == "web-svc");

  SECTION("the same HTTPRoute twice is refused, naming its group") {
    const auto twice = decode_assignment(assignment_with_splits(std::string(kGatewayRoute) + "," + kGatewayRoute));
    REQUIRE_FALSE(twice.ok());
    CHECK(twice.message() == "trafficSplits[1]: lists HTTPRoute emojivoto/web-svc (gateway.networking.k8s.io) twice");
  }
  SECTION("an HTTPRoute group with another kind is refused") {
    std::string wrong = kGatewayRoute;
    wrong.replace(wrong.find("\"HTTPRoute\""), 11, "\"GRPCRoute\"");
    const auto refused = decode_assignment(assignment_with_splits(wrong));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.message() ==
          "trafficSplits[0].kind: must be HTTPRoute in gateway.networking.k8s.io/v1, got \"GRPCRoute\"");
  }
}

TEST_CASE("a delta removes an HTTPRoute by group, and a removal without apiVersion is a TrafficSplit", "[protocol]") {
  const auto decoded = decode_assignment(
      R"({"revision":9,"epoch":"e7","full":false,"trafficSplits":[)" + std::string(kSplit) +
      R"(],"removedTrafficSplits":[{"namespace":"emojivoto","name":"web-svc","apiVersion":"gateway.networking.k8s.io/v1"},)"
      R"({"namespace":"emojivoto","name":"old-svc"}]})");
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  REQUIRE(decoded.value->removed_traffic_splits.size() == 2);
  CHECK(decoded.value->removed_traffic_splits[0] ==
        SplitName{"emojivoto", "web-svc", "gateway.networking.k8s.io/v1"});
  CHECK(decoded.value->removed_traffic_splits[1] == SplitName{"emojivoto", "old-svc", ""});
  const auto again = decode_assignment(encode_assignment(*decoded.value));
  REQUIRE(again.ok());
  CHECK(*again.value == *decoded.value);

  SECTION("a removal in an unknown group names the field") {
    const auto refused = decode_assignment(
        R"({"revision":9,"epoch":"e","full":false,"removedTrafficSplits":[{"namespace":"a","name":"b","apiVersion":"apps/v1"}]})");
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.message(), Catch::StartsWith("removedTrafficSplits[0].apiVersion: must be in group"));
  }
}
