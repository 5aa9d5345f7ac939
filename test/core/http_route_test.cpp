// Rule 6 for the HTTPRoute outputs (core/src/http_route.cpp), and the
// properties of the Gateway API's CEL rules (x-kubernetes-validations) that
// devcluster does not evaluate (docs/outputs.md), checked on what we derive.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "engine_fixture.h"
#include "switchyard/core/http_route.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;

namespace {

TrafficSplit sample(RouteKind kind, std::vector<SplitBackend> backends = {{"web-svc", 0}, {"web-svc-east", 3}}) {
  TrafficSplit route{SplitApiVersion::V1Alpha2, "emojivoto", "web-svc", "emojivoto.web-svc", "web-apex",
                     std::move(backends)};
  route.kind = kind;
  route.port = 8080;
  return route;
}

rapidjson::Document parsed(const std::string& json) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  REQUIRE_FALSE(document.HasParseError());
  return document;
}

std::string string_or(const rapidjson::Value& object, const char* key, const char* fallback) {
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? fallback : it->value.GetString();
}

// The CEL rules of gateway.networking.k8s.io_httproutes.yaml (v1.6.1) that
// can concern a route with Service parents and backends, restated.
void check_cel_properties(const rapidjson::Value& spec) {
  const auto& parents = spec["parentRefs"].GetArray();
  // "sectionName must be specified / unique when parentRefs includes 2 or
  // more references to the same parent": one parent, no two alike.
  for (rapidjson::SizeType i = 0; i < parents.Size(); ++i) {
    for (rapidjson::SizeType j = i + 1; j < parents.Size(); ++j) {
      CHECK_FALSE((string_or(parents[i], "group", "gateway.networking.k8s.io") ==
                       string_or(parents[j], "group", "gateway.networking.k8s.io") &&
                   string_or(parents[i], "kind", "Gateway") == string_or(parents[j], "kind", "Gateway") &&
                   string_or(parents[i], "name", "") == string_or(parents[j], "name", "")));
    }
  }
  std::size_t matches = 0;
  for (const auto& rule : spec["rules"].GetArray()) {
    // "While 16 rules and 64 matches per rule are allowed, the total number of
    // matches across all rules in a route must be less than 128" (a rule
    // without matches gets the one default match).
    matches += rule.HasMember("matches") ? rule["matches"].Size() : 1;
    // The redirect/rewrite and timeout rules concern fields we never write.
    CHECK_FALSE(rule.HasMember("filters"));
    CHECK_FALSE(rule.HasMember("timeouts"));
    for (const auto& backend : rule["backendRefs"].GetArray()) {
      // "Must have port for Service reference".
      const bool core_service = string_or(backend, "group", "").empty() && string_or(backend, "kind", "Service") == "Service";
      if (core_service) CHECK(backend.HasMember("port"));
      CHECK_FALSE(backend.HasMember("filters"));
    }
  }
  CHECK(matches < 128);
}

}  // namespace

TEST_CASE("rule 6: an HTTPRoute attaches to the apex Service and carries the weights", "[core][rules]") {
  const std::string metadata =
      R"("metadata":{"name":"web-svc","namespace":"emojivoto","labels":{"app.kubernetes.io/managed-by":"switchyard",)"
      R"("switchyard.io/failover-service":"emojivoto.web-svc"}})";
  const std::string spec =
      R"("spec":{"parentRefs":[{"group":"","kind":"Service","name":"web-apex","port":8080}],)"
      R"("rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/"}}],)"
      R"("backendRefs":[{"group":"","kind":"Service","name":"web-svc","port":8080,"weight":0},)"
      R"({"group":"","kind":"Service","name":"web-svc-east","port":8080,"weight":3}]}]})";
  CHECK(route_to_json(sample(RouteKind::GatewayHTTPRoute)) ==
        R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute",)" + metadata + "," + spec + "}");
  CHECK(route_to_json(sample(RouteKind::LinkerdHTTPRoute)) ==
        R"({"apiVersion":"policy.linkerd.io/v1beta3","kind":"HTTPRoute",)" + metadata + "," + spec + "}");
  // The same decided route as a TrafficSplit is what it always was.
  auto split = sample(RouteKind::TrafficSplit);
  CHECK(route_to_json(split) == traffic_split_to_json(split));
  CHECK(std::string(api_version_string(split)) == "split.smi-spec.io/v1alpha2");
  CHECK(std::string(kind_string(RouteKind::LinkerdHTTPRoute)) == "HTTPRoute");
}

TEST_CASE("derived HTTPRoutes hold the Gateway API's CEL rules devcluster does not enforce", "[core][rules]") {
  SECTION("two backends, one of them weight 0") {
    auto document = parsed(route_to_json(sample(RouteKind::GatewayHTTPRoute)));
    check_cel_properties(document["spec"]);
  }
  SECTION("the most backends a rule holds, every weight 0 (fail static keeps listing them)") {
    std::vector<SplitBackend> backends;
    for (std::size_t i = 0; i < kMaxHttpRouteBackends; ++i) backends.push_back({"web-" + std::to_string(i), 0});
    auto document = parsed(route_to_json(sample(RouteKind::LinkerdHTTPRoute, backends)));
    check_cel_properties(document["spec"]);
    CHECK(document["spec"]["rules"][0]["backendRefs"].Size() == kMaxHttpRouteBackends);
  }
  SECTION("the check itself fails on a Service backendRef without a port") {
    auto document = parsed(R"({"parentRefs":[{"group":"","kind":"Service","name":"a"}],)"
                           R"("rules":[{"backendRefs":[{"kind":"Service","name":"b"}]}]})");
    const auto& backend = document["rules"][0]["backendRefs"][0];
    CHECK((string_or(backend, "group", "").empty() && !backend.HasMember("port")));
  }
}

TEST_CASE("rule 6: the engine's route carries the spec's port for the HTTPRoute outputs", "[core][rules]") {
  Fleet fleet({"west", "east"});
  const auto id = fleet.apply(
      R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
      R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"output":{"kind":"Auto","port":8080}})");
  fleet.report("west", {{"web-svc", 1}, {"web-svc-east", 1, R::Mirror}});
  fleet.report("east", {{"web-svc", 1}, {"web-svc-west", 1, R::Mirror}});
  auto route = fleet.engine.traffic_split(id, 0);
  REQUIRE(route);
  CHECK(route->port == 8080);
  CHECK(route->kind == RouteKind::TrafficSplit);  // the kind is chosen per consumer by the hub, not decided here
  route->kind = RouteKind::GatewayHTTPRoute;
  auto document = parsed(route_to_json(*route));
  CHECK(std::string(document["spec"]["rules"][0]["backendRefs"][0]["name"].GetString()) == "web-svc");
  CHECK(document["spec"]["rules"][0]["backendRefs"][0]["weight"].GetUint() == 1);
  CHECK(std::string(document["spec"]["rules"][0]["backendRefs"][1]["name"].GetString()) == "web-svc-east");
  CHECK(document["spec"]["rules"][0]["backendRefs"][1]["weight"].GetUint() == 0);
}
