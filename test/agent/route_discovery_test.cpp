// Route API discovery (docs/outputs.md): what the cluster serves, found once
// at start, again on request, and what the reports carry.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>

#include "agent_fakes.h"
#include "switchyard/agent/agent.h"
#include "switchyard/agent/report_builder.h"
#include "switchyard/agent/route_discovery.h"

using namespace switchyard;
using namespace switchyard::agent;
using namespace switchyard::agent::testing;
using namespace std::chrono_literals;

namespace {

const std::set<std::string> kSmiOnly{"split.smi-spec.io/v1alpha2"};
const std::set<std::string> kEverything{"split.smi-spec.io/v1alpha1", "split.smi-spec.io/v1alpha2",
                                        "split.smi-spec.io/v1alpha4", "gateway.networking.k8s.io/v1",
                                        "policy.linkerd.io/v1beta3"};

protocol::ServedApis served(bool split, bool gateway, bool linkerd) {
  protocol::ServedApis apis;
  apis.traffic_split = split;
  apis.gateway_http_route = gateway;
  apis.linkerd_http_route = linkerd;
  return apis;
}

}  // namespace

TEST_CASE("discovery finds which route APIs the cluster serves", "[agent][discovery]") {
  FakeSplitApi api;
  SECTION("all of them") {
    api.serve(kEverything);
    const auto found = discover_route_apis(api);
    CHECK(found.errors.empty());
    CHECK(found.served == served(true, true, true));
    CHECK(found.smi_versions.size() == 3);
  }
  SECTION("SMI only, one version") {
    api.serve(kSmiOnly);
    const auto found = discover_route_apis(api);
    CHECK(found.served == served(true, false, false));
    CHECK(found.smi_versions == std::vector<std::string>{"split.smi-spec.io/v1alpha2"});
  }
  SECTION("Linkerd's HTTPRoute and no SMI") {
    api.serve({"policy.linkerd.io/v1beta3"});
    CHECK(discover_route_apis(api).served == served(false, false, true));
  }
  SECTION("an API server that refuses is an error naming the group version, not \"not served\"") {
    api.fail_discovery_with(ApiFailure{403, "Forbidden", "discovery is forbidden"});
    const auto found = discover_route_apis(api);
    REQUIRE(found.errors.size() == 5);
    CHECK(found.errors[0] == "discover split.smi-spec.io/v1alpha1: HTTP 403: discovery is forbidden");
  }
}

TEST_CASE("the discoverer hands over what changed, and discovers again when asked", "[agent][discovery]") {
  FakeSplitApi api;
  api.serve(kSmiOnly);
  std::mutex mutex;
  std::vector<protocol::ServedApis> handed;
  DiscoveryOptions options;
  options.interval = 60s;  // only start and requests discover in this test
  options.backoff = {5ms, 20ms, 2.0, 0.5};
  RouteDiscoverer discoverer(api, options, [&](const RouteDiscovery& found) {
    std::lock_guard lock(mutex);
    handed.push_back(found.served);
  });
  auto handed_count = [&] {
    std::lock_guard lock(mutex);
    return handed.size();
  };
  discoverer.start();
  REQUIRE(eventually([&] { return handed_count() == 1; }));
  CHECK(handed[0] == served(true, false, false));

  const auto before = api.discoveries();
  discoverer.rediscover();  // nothing changed: discovered, not handed over
  REQUIRE(eventually([&] { return api.discoveries() >= before + 5; }));
  std::this_thread::sleep_for(20ms);
  CHECK(handed_count() == 1);

  api.serve(kEverything);  // the Gateway API and Linkerd CRDs installed
  discoverer.rediscover();
  REQUIRE(eventually([&] { return handed_count() == 2; }));
  CHECK(handed[1] == served(true, true, true));

  SECTION("a failing discovery hands nothing over and is retried") {
    api.fail_discovery_with(ApiFailure{0, "", "connection refused"});
    api.serve(kSmiOnly);
    const auto failing_from = api.discoveries();
    discoverer.rediscover();
    REQUIRE(eventually([&] { return api.discoveries() >= failing_from + 15; }));  // three rounds, with backoff
    CHECK(handed_count() == 2);
    api.fail_discovery_with(std::nullopt);
    REQUIRE(eventually([&] { return handed_count() == 3; }));
    CHECK(handed[2] == served(true, false, false));
  }
  discoverer.stop();
}

TEST_CASE("outputs go in every full report and in a delta only when they changed", "[agent][discovery]") {
  ReportBuilder builder("east-1");
  const auto smi = served(true, false, false);
  auto first = builder.next({}, {}, smi);
  CHECK(first.full);
  CHECK(first.outputs == smi);
  builder.accepted(first);
  auto heartbeat = builder.next({}, {}, smi);
  CHECK_FALSE(heartbeat.full);
  CHECK_FALSE(heartbeat.outputs);
  builder.accepted(heartbeat);
  const auto both = served(true, true, false);
  auto changed = builder.next({}, {}, both);
  CHECK(changed.outputs == both);
  // Not accepted (say, the send failed): the next full report says it again.
  builder.require_full();
  CHECK(builder.next({}, {}, both).outputs == both);
}

TEST_CASE("the agent reports its cluster's route APIs, first report included, and again after a CRD vanished",
          "[agent][discovery][runtime]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  FakeHub hub;
  FakeWatchBackend cluster;
  FakeSplitApi api;
  api.serve(kEverything);
  metrics::Registry registry;
  AgentMetrics metrics{registry};
  AgentOptions options;
  options.agent_id = "east-test";
  options.poller.backoff = {5ms, 20ms, 2.0, 0.5};
  options.reporter.interval = 100ms;
  options.reporter.backoff = {5ms, 20ms, 2.0, 0.5};
  options.applier.backoff = {20ms, 80ms, 2.0, 0.5};
  options.discovery.interval = 60s;
  options.discovery.backoff = {5ms, 20ms, 2.0, 0.5};
  auto agent = std::make_unique<Agent>(&loop, options, hub, cluster, api, metrics, &api);
  agent->start();
  std::thread thread([&] { uv_run(&loop, UV_RUN_DEFAULT); });

  protocol::Assignment empty;
  empty.revision = 1;
  hub.publish(empty);
  REQUIRE(eventually([&] { return !hub.reports().empty(); }));
  const auto first = hub.reports().front();
  CHECK(first.full);
  CHECK(first.outputs == served(true, true, true));

  // The Gateway API CRD is deleted; an HTTPRoute assigned then gets a 404,
  // which has the agent discover again and tell the hub.
  api.serve({"split.smi-spec.io/v1alpha2", "policy.linkerd.io/v1beta3"});
  protocol::Assignment with_route;
  with_route.revision = 2;
  protocol::DesiredTrafficSplit route;
  route.api_version = "gateway.networking.k8s.io/v1";
  route.namespace_name = "emojivoto";
  route.name = "web-svc";
  route.object_json =
      R"({"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"web-svc","namespace":"emojivoto"},)"
      R"("spec":{"parentRefs":[{"group":"","kind":"Service","name":"web-svc","port":8080}],"rules":[]}})";
  with_route.traffic_splits = {route};
  hub.publish(with_route);
  REQUIRE(eventually([&] {
    const auto reports = hub.reports();
    return std::any_of(reports.begin(), reports.end(),
                       [](const protocol::Report& report) { return report.outputs == served(true, false, true); });
  }));

  agent->request_stop();
  thread.join();
  agent.reset();
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_loop_close(&loop);
}
