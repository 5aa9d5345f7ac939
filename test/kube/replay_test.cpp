// Replays responses recorded from real API servers (../shared/fixtures/kube-real)
// through the client: raw HTTP bytes for client-go's golden responses, the
// recorded kubectl edit exchanges served in order, and single captures.
#include <catch2/catch.hpp>

#include <yaml-cpp/yaml.h>

#include "decode.h"
#include "json_util.h"
#include "switchyard/kube/client.h"
#include "test_server.h"
#include "test_support.h"

using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

const Resource kServiceAccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};

ClusterConfig plain_http(const std::string& url) {
  ClusterConfig config;
  config.server = url;
  config.token = "replay-token";
  config.max_retries = 0;
  return config;
}

#define REQUIRE_FIXTURES(dir)                                                               \
  const std::string dir = kube_real_fixtures();                                             \
  if (dir.empty()) {                                                                        \
    WARN("skipped: " SWITCHYARD_SHARED_DIR "/fixtures/kube-real is absent (no recordings)"); \
    return;                                                                                 \
  }

}  // namespace

TEST_CASE("client-go golden responses replayed byte for byte", "[kube][replay]") {
  REQUIRE_FIXTURES(fixtures);
  const std::string golden = fixtures + "/client-go-golden/TestGoldenResponse/responses/";

  SECTION("list: items gain kind and apiVersion, list resourceVersion kept") {
    RawServer server(read_text(golden + "list"));
    Client client(plain_http(server.url()));
    auto page = client.list(kServiceAccounts, "default", {});
    REQUIRE(page.ok());
    CHECK(server.last_request_head().rfind("GET /api/v1/namespaces/default/serviceaccounts HTTP/1.1\r\n", 0) == 0);
    CHECK(server.last_request_head().find("Authorization: Bearer replay-token\r\n") != std::string::npos);
    CHECK(page.value().resource_version == "222");
    CHECK(page.value().continue_token.empty());
    REQUIRE(page.value().items.size() == 1);
    const auto& item = *page.value().items[0];
    CHECK(item.name() == "foobar");
    CHECK(item.namespace_name() == "default");
    CHECK(item.uid() == "a6bb38b5-67ca-4d0d-bd87-da746a94c8a5");
    CHECK(item.resource_version() == "207");
    CHECK(item.kind() == "ServiceAccount");
    CHECK(item.api_version() == "v1");
  }

  SECTION("nonlist: one object") {
    RawServer server(read_text(golden + "nonlist"));
    Client client(plain_http(server.url()));
    auto object = client.get(kServiceAccounts, "default", "foobar");
    REQUIRE(object.ok());
    CHECK(server.last_request_head().rfind("GET /api/v1/namespaces/default/serviceaccounts/foobar HTTP/1.1", 0) == 0);
    CHECK(object.value()->name() == "foobar");
    CHECK(object.value()->kind() == "ServiceAccount");
    CHECK_FALSE(object.value()->resource_version().empty());
  }

  SECTION("events: a chunked watch stream with an ADDED and the initial-events-end BOOKMARK") {
    RawServer server(read_text(golden + "events"));
    Client client(plain_http(server.url()));
    std::vector<WatchEvent> events;
    std::atomic<bool> stop{false};
    WatchOptions options;
    options.resource_version = "0";
    auto end = client.watch(kServiceAccounts, "default", options,
                            [&](WatchEvent&& event) { events.push_back(std::move(event)); }, stop);
    REQUIRE(end.ok());
    CHECK(server.last_request_head().rfind(
              "GET /api/v1/namespaces/default/serviceaccounts?watch=true&resourceVersion=0&allowWatchBookmarks=true "
              "HTTP/1.1",
              0) == 0);
    CHECK(end.value().reason == WatchEnd::Reason::ServerClosed);
    CHECK(end.value().events == 2);
    CHECK(end.value().last_resource_version == "964");
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == WatchEvent::Type::Added);
    CHECK(events[0].object->name() == "foobar");
    CHECK(events[0].object->resource_version() == "217");
    CHECK(events[0].object->creation_timestamp() == "2024-09-18T14:06:40Z");
    CHECK(events[1].type == WatchEvent::Type::Bookmark);
    CHECK(events[1].object->resource_version() == "964");
    CHECK(events[1].object->annotation("k8s.io/initial-events-end") == "true");
  }
}

TEST_CASE("kubectl edit exchanges replayed in order", "[kube][replay]") {
  REQUIRE_FIXTURES(fixtures);
  const std::string dir = fixtures + "/kubectl-edit/testcase-list-errors/";
  YAML::Node script = YAML::LoadFile(dir + "test.yaml");
  struct Step {
    std::string method, path, content_type, input, output;
    int status;
  };
  std::vector<Step> steps;
  for (const auto& step : script["steps"]) {
    if (step["type"].as<std::string>() != "request") continue;
    steps.push_back(Step{step["expectedMethod"].as<std::string>(), step["expectedPath"].as<std::string>(),
                         step["expectedContentType"] ? step["expectedContentType"].as<std::string>() : "",
                         step["expectedInput"].as<std::string>(), step["resultingOutput"].as<std::string>(),
                         step["resultingStatusCode"].as<int>()});
  }
  REQUIRE(steps.size() == 8);

  // The server answers the n-th request with the n-th recording, and notes
  // what arrived so the test can compare it with what kubectl sent.
  std::mutex mutex;
  std::size_t next = 0;
  std::vector<std::string> mismatches;
  TestServer server;
  auto handler = [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(mutex);
    if (next >= steps.size()) {
      response.status = 500;
      return;
    }
    const Step& step = steps[next++];
    if (request.method != step.method || request.path != step.path) {
      mismatches.push_back(request.method + " " + request.path + " != " + step.method + " " + step.path);
    }
    if (!step.content_type.empty() && request.get_header_value("Content-Type") != step.content_type) {
      mismatches.push_back("content type " + request.get_header_value("Content-Type"));
    }
    response.status = step.status;
    response.set_content(read_text(dir + step.output), "application/json");
  };
  server.http().Get(".*", handler);
  server.http().Patch(".*", handler);
  server.start();
  Client client(plain_http(server.url()));

  auto configmaps = client.list(kConfigMaps, "edit-test", {});
  REQUIRE(configmaps.ok());
  REQUIRE(configmaps.value().items.size() == 1);
  CHECK(configmaps.value().items[0]->name() == "cm1");
  CHECK(configmaps.value().items[0]->kind() == "ConfigMap");
  auto services = client.list(kServices, "edit-test", {});
  REQUIRE(services.ok());
  REQUIRE(services.value().items.size() == 1);
  CHECK(services.value().items[0]->name() == "svc1");

  for (std::size_t i = 2; i < steps.size(); ++i) {
    const Step& step = steps[i];
    auto slash = step.path.rfind('/');
    std::string name = step.path.substr(slash + 1);
    const Resource& resource = step.path.find("/configmaps/") != std::string::npos ? kConfigMaps : kServices;
    auto patched = client.patch(resource, "edit-test", name, PatchType::StrategicMerge, read_text(dir + step.input));
    INFO("step " << i << " " << step.path);
    if (step.status == 200) {
      REQUIRE(patched.ok());
      CHECK(patched.value()->name() == name);
    } else {
      REQUIRE_FALSE(patched.ok());
      CHECK(patched.error().code == 422);
      CHECK(patched.error().reason == "Invalid");
      CHECK(patched.error().message.find("is invalid") != std::string::npos);
      CHECK_FALSE(patched.error().causes.empty());
    }
  }
  std::lock_guard lock(mutex);
  CHECK(next == steps.size());
  CHECK(mismatches.empty());
}

TEST_CASE("recorded Status errors", "[kube][replay]") {
  REQUIRE_FIXTURES(fixtures);
  TestServer server;
  std::string body;
  int status = 0;
  server.http().Get(".*", [&](const httplib::Request&, httplib::Response& response) {
    response.status = status;
    response.set_content(body, "application/json");
  });
  server.http().Patch(".*", [&](const httplib::Request&, httplib::Response& response) {
    response.status = status;
    response.set_content(body, "application/json");
  });
  server.start();
  Client client(plain_http(server.url()));

  SECTION("404 NotFound for a missing service") {
    body = read_text(fixtures + "/kubectl-edit/testcase-missing-service/0.response");
    status = 404;
    auto result = client.get(kServices, "default", "missing");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().not_found());
    CHECK(result.error().reason == "NotFound");
    CHECK(result.error().message == "services \"missing\" not found");
    CHECK(result.error().to_string() == "404 NotFound: services \"missing\" not found");
  }
  SECTION("422 Invalid with two causes") {
    body = read_text(fixtures + "/kubectl-edit/testcase-list-errors/3.response");
    status = 422;
    auto result = client.patch(kServices, "edit-test", "svc1", PatchType::StrategicMerge, "{}");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().reason == "Invalid");
    REQUIRE(result.error().causes.size() == 2);
    CHECK(result.error().causes[0] == "spec.clusterIP: Invalid value: \"10.0.0.10\": field is immutable");
    CHECK(result.error().causes[1].rfind("spec.ports[0].protocol: Unsupported value", 0) == 0);
  }
  SECTION("410 Expired for a too-old list resourceVersion, current and 2018 wording") {
    body = read_text(fixtures + "/other/teseraio-ensemble/list-410-expired-status.json");
    status = 410;
    auto result = client.list(kServices, "", {});
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().gone());
    CHECK(result.error().reason == "Expired");
    CHECK(result.error().message == "The resourceVersion for the provided list is too old.");
    body = read_text(fixtures + "/other/kubeclient/pods_410.json");
    auto old = client.list(kServices, "", {});
    REQUIRE_FALSE(old.ok());
    CHECK(old.error().gone());
    CHECK(old.error().message.find("too old") != std::string::npos);
  }
}

TEST_CASE("recorded watch lines", "[kube][replay]") {
  REQUIRE_FIXTURES(fixtures);

  SECTION("an EndpointSlice ADDED from a real cluster") {
    auto event = decode_watch_line(read_text(fixtures + "/other/superedge/endpointslice-watch-event-added.jsonl"));
    REQUIRE(event.ok());
    CHECK(event.value().type == WatchEvent::Type::Added);
    const auto& slice = *event.value().object;
    CHECK(slice.kind() == "EndpointSlice");
    CHECK(slice.api_version() == "discovery.k8s.io/v1");
    CHECK(slice.name() == "externalnode-proxy-l28pc");
    CHECK(slice.namespace_name() == "kube-system");
    CHECK(slice.resource_version() == "5493506153");
    CHECK(slice.generation() == 2);
    CHECK(slice.label("kubernetes.io/service-name") == "externalnode-proxy");
    REQUIRE(slice.member("endpoints") != nullptr);
    CHECK(slice.member("endpoints")->IsArray());
  }

  SECTION("an in-stream ERROR 410 Expired, streamed after an event") {
    std::string error_line = read_text(fixtures + "/other/teseraio-ensemble/watch-error-410-expired.jsonl");
    std::string added_line = read_text(fixtures + "/other/superedge/endpointslice-watch-event-added.jsonl");
    TestServer server;
    server.http().Get(".*", [&](const httplib::Request&, httplib::Response& response) {
      response.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
        // Split the lines at awkward places, as TCP may.
        std::string all = added_line + error_line;
        for (std::size_t at = 0; at < all.size(); at += 97) sink.write(all.data() + at, std::min<std::size_t>(97, all.size() - at));
        sink.done();
        return true;
      });
    });
    server.start();
    Client client(plain_http(server.url()));
    std::vector<WatchEvent> events;
    std::atomic<bool> stop{false};
    auto end = client.watch(kEndpointSlices, "kube-system", {},
                            [&](WatchEvent&& event) { events.push_back(std::move(event)); }, stop);
    REQUIRE(end.ok());
    REQUIRE(events.size() == 2);
    CHECK(events[0].type == WatchEvent::Type::Added);
    CHECK(events[1].type == WatchEvent::Type::Error);
    CHECK(events[1].object == nullptr);
    CHECK(events[1].error.code == 410);
    CHECK(events[1].error.gone());
    CHECK(events[1].error.reason == "Expired");
    CHECK(events[1].error.message == "too old resource version: 10000 (343914)");
    CHECK(end.value().last_resource_version == "5493506153");
  }
}

TEST_CASE("recorded objects parse with their fields", "[kube][replay]") {
  REQUIRE_FIXTURES(fixtures);
  auto deployment =
      Object::parse(read_text(fixtures + "/kubectl-edit/testcase-edit-subresource-status/0.response"), "deployment");
  REQUIRE(deployment.ok());
  CHECK(deployment.value()->kind() == "Deployment");
  CHECK(deployment.value()->name() == "nginx");
  CHECK(deployment.value()->namespace_name() == "edit-test");
  CHECK(deployment.value()->member("status") != nullptr);

  auto crd = Object::parse(read_text(fixtures + "/other/k9s/crd-destinationrules-istio.json"), "crd");
  REQUIRE(crd.ok());
  CHECK(crd.value()->name() == "destinationrules.networking.istio.io");

  auto truncated = Object::parse("{\"kind\":\"Service\",", "GET /api/v1/services/x: response body");
  REQUIRE_FALSE(truncated.ok());
  CHECK(truncated.error().message.rfind("GET /api/v1/services/x: response body: invalid JSON at offset", 0) == 0);
}
