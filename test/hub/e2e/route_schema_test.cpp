// The HTTPRoutes the core derives, admitted by a real devcluster against the
// released Gateway API and Linkerd HTTPRoute CRDs (crds/third_party/). CEL
// rules are not evaluated by devcluster: test/core/http_route_test.cpp checks
// those properties (docs/outputs.md).
#include <cstdio>

#include <rapidjson/document.h>

#include "management_cluster.h"
#include "switchyard/core/engine.h"
#include "switchyard/core/http_route.h"
#include "switchyard/core/parse.h"

using namespace switchyard;
using namespace switchyard::hub::e2e;

namespace {

const kube::Resource kGatewayRoutes{"gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute", true};
const kube::Resource kLinkerdRoutes{"policy.linkerd.io", "v1beta3", "httproutes", "HTTPRoute", true};

// The route the engine decides for consumer 0 of a spec with `backends`
// backing services in west (the first carrying traffic).
core::TrafficSplit derived(const std::string& name, std::size_t backends, core::RouteKind kind) {
  std::string list;
  for (std::size_t i = 0; i < backends; ++i) {
    list += std::string(i ? "," : "") + R"({"cluster":"west","namespace":"emojivoto","name":"web-)" + std::to_string(i) +
            R"("})";
  }
  auto parsed = core::parse_failover_service(
      R"({"metadata":{"name":")" + name + R"(","namespace":"emojivoto"},"spec":{"service":"web-apex","backingServices":[)" +
      list + R"(],"output":{"kind":"Auto","port":8080}}})");
  REQUIRE(parsed.ok());
  core::Engine engine(core::EngineOptions{0, 40'000});
  engine.set_member_clusters({"west"}, 0);
  const auto id = engine.upsert(*parsed.value, std::nullopt, 0);
  const auto west = engine.cluster_id("west");
  engine.heard_from(west, 0);
  for (std::size_t i = 0; i < backends; ++i) {
    engine.observe(engine.service_id(west, "emojivoto", "web-" + std::to_string(i), core::ServiceRole::Local),
                   {true, 1, 1});
  }
  std::vector<core::Change> changes;
  engine.evaluate(0, changes);
  auto route = engine.traffic_split(id, 0);
  REQUIRE(route);
  route->kind = kind;
  return *route;
}

}  // namespace

TEST_CASE("derived HTTPRoutes are admitted by the released Gateway API and Linkerd CRDs", "[e2e]") {
  ManagementCluster cluster;
  cluster.kubectl({"apply", "--server-side", "-f", std::string(SWITCHYARD_SOURCE_DIR) + "/crds/third_party/"});
  for (const auto& [kind, resource] : {std::pair{core::RouteKind::GatewayHTTPRoute, kGatewayRoutes},
                                       std::pair{core::RouteKind::LinkerdHTTPRoute, kLinkerdRoutes}}) {
    for (std::size_t backends : {std::size_t{1}, std::size_t{2}, core::kMaxHttpRouteBackends}) {
      const auto name = std::string(kind == core::RouteKind::GatewayHTTPRoute ? "gw-" : "l5d-") + std::to_string(backends);
      const auto route = derived(name, backends, kind);
      CHECK(route.backends.front().weight == 1);
      CHECK(route.backends.back().weight == (backends == 1 ? 1u : 0u));
      const auto body = core::route_to_json(route);
      auto created = cluster.create(resource, "emojivoto", body);
      CHECK(created->name() == name);
      // Stored as derived: the CRD defaults nothing into it (a rule's match,
      // a backendRef's group or kind), so an agent's full pass finds every
      // route unchanged and writes nothing.
      rapidjson::Document sent;
      sent.Parse(body.c_str());
      INFO(created->to_json());
      REQUIRE(created->member("spec") != nullptr);
      CHECK(*created->member("spec") == sent["spec"]);
    }
    // The schema is really applied: a weight above the Gateway API's maximum is refused.
    auto too_heavy = derived("too-heavy", 1, kind);
    too_heavy.backends.front().weight = 1'000'001;
    auto refused = cluster.client().create(resource, "emojivoto", core::route_to_json(too_heavy));
    REQUIRE_FALSE(refused.ok());
    CHECK_THAT(refused.error().to_string(), Catch::Contains("weight"));
  }
  // kubectl shows the CRD's printer columns.
  const auto command = "kubectl --kubeconfig " + cluster.kubeconfig() +
                       " get httproutes.gateway.networking.k8s.io -n emojivoto 2>&1";
  std::string output;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    while (auto n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    ::pclose(pipe);
  }
  INFO(output);
  CHECK(output.rfind("NAME", 0) == 0);
  CHECK_THAT(output, Catch::Contains("HOSTNAMES") && Catch::Contains("AGE") && Catch::Contains("gw-16"));
}
