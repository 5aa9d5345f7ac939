// The applier with HTTPRoute outputs (docs/outputs.md): objects keyed by API
// group, an output change that never leaves a moment without routing, and a
// user's HTTPRoute on the same parent Service left alone and reported.
#include <catch2/catch.hpp>

#include "agent_fakes.h"
#include "switchyard/agent/split_applier.h"

using namespace switchyard;
using namespace switchyard::agent;
using namespace switchyard::agent::testing;

namespace {

constexpr const char* kSmiVersion = "split.smi-spec.io/v1alpha2";
constexpr const char* kGatewayVersion = "gateway.networking.k8s.io/v1";
constexpr const char* kLinkerdVersion = "policy.linkerd.io/v1beta3";

std::string labels_json(const std::string& name) {
  return R"({"app.kubernetes.io/managed-by":"switchyard","switchyard.io/failover-service":"emojivoto.)" + name +
         R"("})";
}

protocol::DesiredTrafficSplit labelled_route(const std::string& api_version, const std::string& name,
                                             std::string object_json) {
  protocol::DesiredTrafficSplit route;
  route.api_version = api_version;
  route.namespace_name = "emojivoto";
  route.name = name;
  route.labels = {{"app.kubernetes.io/managed-by", "switchyard"},
                  {"switchyard.io/failover-service", "emojivoto." + name}};
  route.object_json = std::move(object_json);
  return route;
}

protocol::DesiredTrafficSplit split(const std::string& name, int local, int remote) {
  return labelled_route(kSmiVersion, name,
                        R"({"apiVersion":")" + std::string(kSmiVersion) +
                            R"(","kind":"TrafficSplit","metadata":{"name":")" + name +
                            R"(","namespace":"emojivoto","labels":)" + labels_json(name) +
                            R"(},"spec":{"service":")" + name + R"(","backends":[{"service":")" + name +
                            R"(","weight":)" + std::to_string(local) + R"(},{"service":")" + name +
                            R"(-east","weight":)" + std::to_string(remote) + "}]}}");
}

// As core::http_route_to_json derives it: the apex Service as parent, port 8080.
protocol::DesiredTrafficSplit http_route(const std::string& api_version, const std::string& name, int local,
                                         int remote) {
  const auto backend = [&](const std::string& service, int weight) {
    return R"({"group":"","kind":"Service","name":")" + service + R"(","port":8080,"weight":)" +
           std::to_string(weight) + "}";
  };
  return labelled_route(api_version, name,
                        R"({"apiVersion":")" + api_version + R"(","kind":"HTTPRoute","metadata":{"name":")" + name +
                            R"(","namespace":"emojivoto","labels":)" + labels_json(name) +
                            R"(},"spec":{"parentRefs":[{"group":"","kind":"Service","name":")" + name +
                            R"(","port":8080}],"rules":[{"backendRefs":[)" + backend(name, local) + "," +
                            backend(name + "-east", remote) + "]}]}}");
}

// A user's HTTPRoute attached to Service emojivoto/web-svc (no switchyard label).
std::string users_route(const std::string& port_field) {
  return R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"canary",)"
         R"("namespace":"emojivoto","labels":{"team":"web"}},"spec":{"parentRefs":[{"group":"core","kind":"Service",)"
         R"("name":"web-svc")" +
         port_field + R"(}],"rules":[{"backendRefs":[{"name":"web-svc-v2","port":8080}]}]}})";
}

using Key = FakeSplitApi::Key;
const Key kSplitKey{FakeSplitApi::kSmi, "emojivoto", "web-svc"};
const Key kGatewayKey{FakeSplitApi::kGateway, "emojivoto", "web-svc"};
const Key kLinkerdKey{FakeSplitApi::kLinkerd, "emojivoto", "web-svc"};

// Whether, after every write the fake saw, one of `keys` existed.
bool always_one_of(FakeSplitApi& api, const std::set<Key>& keys) {
  for (const auto& present : api.history()) {
    if (std::none_of(keys.begin(), keys.end(), [&](const Key& key) { return present.count(key) != 0; })) {
      return false;
    }
  }
  return true;
}

}  // namespace

TEST_CASE("HTTPRoutes of both groups and a TrafficSplit of one name are three objects", "[agent][applier][routes]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  AppliedSplits applied;
  auto pass = apply_once(api,
                         {1, {split("web-svc", 1, 0), http_route(kGatewayVersion, "web-svc", 1, 0),
                              http_route(kLinkerdVersion, "web-svc", 1, 0)}},
                         versions, applied);
  INFO(pass.errors.size());
  REQUIRE(pass.clean);
  CHECK(api.creates() == 3);
  CHECK(applied.size() == 3);
  REQUIRE(api.get_in(FakeSplitApi::kGateway, "emojivoto", "web-svc"));
  CHECK_THAT(*api.get_in(FakeSplitApi::kGateway, "emojivoto", "web-svc"),
             Catch::Contains(R"("kind":"HTTPRoute")") && Catch::Contains(R"("app.kubernetes.io/managed-by":"switchyard")"));
  CHECK(api.get_in(FakeSplitApi::kLinkerd, "emojivoto", "web-svc"));

  SECTION("an unchanged pass writes nothing; a failover patches the HTTPRoute only") {
    CHECK(apply_once(api, {2, {split("web-svc", 1, 0), http_route(kGatewayVersion, "web-svc", 1, 0),
                               http_route(kLinkerdVersion, "web-svc", 1, 0)}},
                     versions, applied)
              .writes == 0);
    const auto failed_over = http_route(kGatewayVersion, "web-svc", 0, 1);
    pass = apply_changes(api, 3, {{key_of(failed_over), &failed_over, failed_over.api_version}}, applied);
    CHECK(pass.clean);
    CHECK(pass.writes == 1);
    CHECK(api.patches() == 1);
    CHECK_THAT(*api.get_in(FakeSplitApi::kGateway, "emojivoto", "web-svc"),
               Catch::Contains(R"("name":"web-svc-east","port":8080,"weight":1)"));
  }
  SECTION("unassigned, the managed HTTPRoutes are deleted like TrafficSplits") {
    pass = apply_once(api, {2, {split("web-svc", 1, 0)}}, versions, applied);
    CHECK(pass.clean);
    CHECK(api.deletes() == 2);
    CHECK_FALSE(api.get_in(FakeSplitApi::kGateway, "emojivoto", "web-svc"));
    CHECK(api.get("emojivoto", "web-svc"));
  }
}

TEST_CASE("an output change writes the new object before deleting the old one", "[agent][applier][routes]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  AppliedSplits applied;
  REQUIRE(apply_once(api, {1, {split("web-svc", 1, 0)}}, versions, applied).clean);

  SECTION("a complete assignment that swaps the kind at once") {
    auto pass = apply_once(api, {2, {http_route(kGatewayVersion, "web-svc", 1, 0)}}, versions, applied);
    CHECK(pass.clean);
    CHECK(api.creates() == 2);
    CHECK(api.deletes() == 1);
    CHECK_FALSE(api.get("emojivoto", "web-svc"));
  }
  SECTION("a delta that lists the removal first") {
    const auto route = http_route(kLinkerdVersion, "web-svc", 1, 0);
    auto pass = apply_changes(api, 2,
                              {{kSplitKey, nullptr, kSmiVersion}, {key_of(route), &route, route.api_version}},
                              applied);
    CHECK(pass.clean);
    CHECK(api.deletes() == 1);
    CHECK(api.get_in(FakeSplitApi::kLinkerd, "emojivoto", "web-svc"));
  }
  SECTION("the hub's transition: both, then the new one alone") {
    REQUIRE(apply_once(api, {2, {split("web-svc", 1, 0), http_route(kGatewayVersion, "web-svc", 1, 0)}}, versions,
                       applied)
                .clean);
    const protocol::SplitName removed{"emojivoto", "web-svc", ""};
    auto pass = apply_changes(api, 3, {{key_of(removed), nullptr, kSmiVersion}}, applied);
    CHECK(pass.clean);
    CHECK(api.deletes() == 1);
  }
  // At no moment did the cluster hold neither.
  CHECK(api.history().size() >= 3);
  CHECK(always_one_of(api, {kSplitKey, kGatewayKey, kLinkerdKey}));
}

TEST_CASE("when the new object cannot be written the old one keeps routing", "[agent][applier][routes]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  AppliedSplits applied;
  REQUIRE(apply_once(api, {1, {split("web-svc", 1, 0)}}, versions, applied).clean);
  api.served_versions.erase(kGatewayVersion);  // the Gateway API CRD is not installed

  SECTION("in a complete pass") {
    auto pass = apply_once(api, {2, {http_route(kGatewayVersion, "web-svc", 1, 0)}}, versions, applied);
    CHECK_FALSE(pass.clean);
    CHECK(pass.missing_api);
    REQUIRE(pass.errors.size() == 1);
    CHECK_THAT(pass.errors[0], Catch::Contains("HTTPRoute CRD missing") &&
                                   Catch::Contains("httproutes.v1.gateway.networking.k8s.io") &&
                                   Catch::Contains("Gateway API"));
  }
  SECTION("in a delta pass") {
    const auto route = http_route(kGatewayVersion, "web-svc", 1, 0);
    auto pass = apply_changes(api, 2,
                              {{kSplitKey, nullptr, kSmiVersion}, {key_of(route), &route, route.api_version}},
                              applied);
    CHECK_FALSE(pass.clean);
    CHECK(pass.missing_api);
    CHECK(pass.failed.count(kSplitKey) == 1);  // tried again with the route
  }
  CHECK(api.deletes() == 0);
  CHECK(api.get("emojivoto", "web-svc"));
}

TEST_CASE("a user's HTTPRoute on the same parent Service: nothing written, a conflict naming it",
          "[agent][applier][routes]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  AppliedSplits applied;
  const auto theirs = users_route(R"(,"port":8080)");
  api.put_in(FakeSplitApi::kGateway, "emojivoto", "canary", theirs);
  const auto route = http_route(kGatewayVersion, "web-svc", 1, 0);

  auto check_conflict = [&](const ApplyPass& pass) {
    CHECK_FALSE(pass.clean);
    REQUIRE(pass.errors.size() == 1);
    CHECK(pass.errors[0] ==
          "RouteConflict: HTTPRoute emojivoto/canary (gateway.networking.k8s.io) is not managed by switchyard and is "
          "attached to Service emojivoto/web-svc port 8080; HTTPRoute emojivoto/web-svc (gateway.networking.k8s.io) "
          "not written while it is");
    CHECK(api.writes() == 0);
    CHECK(*api.get_in(FakeSplitApi::kGateway, "emojivoto", "canary") == theirs);
  };
  SECTION("complete pass") { check_conflict(apply_once(api, {1, {route}}, versions, applied)); }
  SECTION("delta pass") {
    check_conflict(apply_changes(api, 1, {{key_of(route), &route, route.api_version}}, applied));
  }
  SECTION("the TrafficSplit it replaces is kept") {
    api.put("emojivoto", "web-svc", split("web-svc", 1, 0).object_json);
    auto pass = apply_once(api, {2, {route}}, versions, applied);
    CHECK_FALSE(pass.clean);
    CHECK(api.deletes() == 0);
    CHECK(api.get("emojivoto", "web-svc"));
  }
  SECTION("a user's route on another port of the Service is no conflict") {
    api.put_in(FakeSplitApi::kGateway, "emojivoto", "canary", users_route(R"(,"port":9090)"));
    CHECK(apply_once(api, {1, {route}}, versions, applied).clean);
    CHECK(api.creates() == 1);
  }
  SECTION("a user's route on the whole Service conflicts with every port") {
    api.put_in(FakeSplitApi::kGateway, "emojivoto", "canary", users_route(""));
    CHECK_FALSE(apply_once(api, {1, {route}}, versions, applied).clean);
    CHECK(api.writes() == 0);
  }
}

TEST_CASE("a delta pass that creates many HTTPRoutes lists their group once", "[agent][applier][routes]") {
  // FailoverServices created in bulk: each new route needs the group's
  // routes (someone else's on its parent?), and listing them once per route
  // made creating N routes cost N lists of up to N objects.
  FakeSplitApi api;
  AppliedSplits applied;
  api.put_in(FakeSplitApi::kGateway, "emojivoto", "canary", users_route(R"(,"port":8080)"));
  // Already in the cluster as derived (written before an agent restart, say): nothing to write.
  api.put_in(FakeSplitApi::kGateway, "emojivoto", "svc-0", http_route(kGatewayVersion, "svc-0", 1, 0).object_json);
  std::vector<protocol::DesiredTrafficSplit> routes;
  for (int i = 0; i < 50; ++i) routes.push_back(http_route(kGatewayVersion, "svc-" + std::to_string(i), 1, 0));
  routes.push_back(http_route(kGatewayVersion, "web-svc", 1, 0));  // the user's canary is on its parent
  std::vector<SplitChange> changes;
  for (const auto& route : routes) changes.push_back({key_of(route), &route, route.api_version});

  auto pass = apply_changes(api, 2, changes, applied);
  CHECK(api.lists() == 1);
  CHECK(api.creates() == 49);
  CHECK(applied.size() == 50);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::StartsWith("RouteConflict: HTTPRoute emojivoto/canary"));
  CHECK(pass.failed.count(kGatewayKey) == 1);
  CHECK_FALSE(api.get_in(FakeSplitApi::kGateway, "emojivoto", "web-svc"));
}
