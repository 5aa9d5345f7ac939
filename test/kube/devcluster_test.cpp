// The client against switchyard-devcluster started as a real process, over
// TLS with a bearer token, through the kubeconfig the server writes: every
// verb and the errors a real API server gives.
#include <algorithm>
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "devcluster_process.h"
#include "switchyard/kube/client.h"
#include "switchyard/kube/events.h"

using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

#define START_DEVCLUSTER(name, dir, ...)                                                               \
  if (std::string(SWITCHYARD_DEVCLUSTER).empty()) {                                                    \
    WARN("skipped: switchyard-devcluster is not part of this build");                                 \
    return;                                                                                            \
  }                                                                                                    \
  DevclusterProcess name(SWITCHYARD_DEVCLUSTER, dir, ##__VA_ARGS__);                                   \
  REQUIRE(name.ready())

ClusterConfig config_from(const DevclusterProcess& devcluster) {
  auto config = load_config(devcluster.kubeconfig(), "");
  INFO((config ? "" : config.error().to_string()));
  REQUIRE(config.ok());
  return config.value();
}

std::string configmap(const std::string& name, const std::string& value, const std::string& labels = "{}") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","labels":)" + labels +
         R"(},"data":{"key":")" + value + R"("}})";
}

std::string data_key(const ObjectPtr& object) {
  const auto* data = object->member("data");
  if (data == nullptr || !data->IsObject() || !data->HasMember("key") || !(*data)["key"].IsString()) return {};
  return (*data)["key"].GetString();
}

// A server without a patch type answers 415 with a Status, which must come
// through as such (the request itself is checked byte for byte in client_test).
void check_patched_or_refused(const Result<ObjectPtr>& result, const std::string& expected_value) {
  if (result.ok()) {
    CHECK(data_key(result.value()) == expected_value);
    return;
  }
  WARN("devcluster refused the patch: " << result.error().to_string());
  CHECK(result.error().code == 415);
  CHECK(result.error().reason == "UnsupportedMediaType");
}

}  // namespace

TEST_CASE("devcluster over TLS with a token: every verb", "[kube][devcluster]") {
  TempDir dir;
  START_DEVCLUSTER(devcluster, dir);
  ClusterConfig config = config_from(devcluster);
  CHECK(config.server == devcluster.url());
  CHECK(config.server.rfind("https://", 0) == 0);
  CHECK_FALSE(config.ca_pem.empty());
  CHECK(config.token == DevclusterProcess::token());
  Client client(config);

  // create, get
  auto created = client.create(kConfigMaps, "default", configmap("alpha", "1", R"({"app":"web","tier":"front"})"));
  INFO((created ? "" : created.error().to_string()));
  REQUIRE(created.ok());
  CHECK(created.value()->name() == "alpha");
  CHECK_FALSE(created.value()->uid().empty());
  const std::string first_version(created.value()->resource_version());
  auto fetched = client.get(kConfigMaps, "default", "alpha");
  REQUIRE(fetched.ok());
  CHECK(data_key(fetched.value()) == "1");
  CHECK(fetched.value()->label("app") == "web");

  // update with the current resourceVersion, then with a stale one
  std::string updated_body = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"alpha","resourceVersion":")" +
                             first_version + R"(","labels":{"app":"web","tier":"front"}},"data":{"key":"2"}})";
  auto updated = client.update(kConfigMaps, "default", "alpha", updated_body);
  REQUIRE(updated.ok());
  CHECK(data_key(updated.value()) == "2");
  CHECK(updated.value()->resource_version() != first_version);
  auto stale = client.update(kConfigMaps, "default", "alpha", updated_body);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().conflict());
  CHECK(stale.error().reason == "Conflict");

  // retry_on_conflict turns the stale write into a fresh one
  int tries = 0;
  auto retried = retry_on_conflict(5, [&]() -> Result<ObjectPtr> {
    ++tries;
    std::string version = tries == 1 ? first_version : std::string(client.get(kConfigMaps, "default", "alpha").value()->resource_version());
    return client.update(kConfigMaps, "default", "alpha",
                         R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"alpha","resourceVersion":")" +
                             version + R"(","labels":{"app":"web","tier":"front"}},"data":{"key":"3"}})");
  });
  REQUIRE(retried.ok());
  CHECK(tries == 2);
  CHECK(data_key(retried.value()) == "3");

  // the patch types
  auto merged = client.patch(kConfigMaps, "default", "alpha", PatchType::Merge, R"({"data":{"key":"merge"}})");
  REQUIRE(merged.ok());
  CHECK(data_key(merged.value()) == "merge");
  auto json_patched = client.patch(kConfigMaps, "default", "alpha", PatchType::Json,
                                   R"([{"op":"replace","path":"/data/key","value":"json"}])");
  REQUIRE(json_patched.ok());
  CHECK(data_key(json_patched.value()) == "json");
  auto strategic = client.patch(kConfigMaps, "default", "alpha", PatchType::StrategicMerge, R"({"data":{"key":"smp"}})");
  check_patched_or_refused(strategic, "smp");
  auto applied = client.apply(kConfigMaps, "default", "applied", configmap("applied", "ssa"), PatchOptions{"kube-test", true});
  check_patched_or_refused(applied, "ssa");
  auto bad_json_patch = client.patch(kConfigMaps, "default", "alpha", PatchType::Json, R"([{"op":"test","path":"/data/key","value":"nope"}])");
  REQUIRE_FALSE(bad_json_patch.ok());
  CHECK(bad_json_patch.error().code >= 400);

  // status subresource
  REQUIRE(client.create(kServices, "default",
                        R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"ports":[{"port":80}]}})")
              .ok());
  auto status = client.patch_status(kServices, "default", "web", PatchType::Merge,
                                    R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.0.2.7"}]}}})");
  INFO((status ? "" : status.error().to_string()));
  REQUIRE(status.ok());
  CHECK(status.value()->to_json().find("192.0.2.7") != std::string::npos);
  auto service = client.get(kServices, "default", "web");
  REQUIRE(service.ok());
  std::string with_status = service.value()->to_json();
  auto at = with_status.find("192.0.2.7");
  REQUIRE(at != std::string::npos);
  with_status.replace(at, 9, "192.0.2.8");
  auto status_put = client.update_status(kServices, "default", "web", with_status);
  INFO((status_put ? "" : status_put.error().to_string()));
  REQUIRE(status_put.ok());
  CHECK(status_put.value()->to_json().find("192.0.2.8") != std::string::npos);

  // list with a percent-encoded selector, and paging
  REQUIRE(client.create(kConfigMaps, "default", configmap("beta", "b", R"({"app":"web","tier":"back"})")).ok());
  REQUIRE(client.create(kConfigMaps, "default", configmap("gamma", "g", R"({"app":"db"})")).ok());
  ListOptions selector;
  selector.label_selector = "app=web,tier!=back";
  auto selected = client.list(kConfigMaps, "default", selector);
  REQUIRE(selected.ok());
  REQUIRE(selected.value().items.size() == 1);
  CHECK(selected.value().items[0]->name() == "alpha");
  CHECK(selected.value().items[0]->kind() == "ConfigMap");
  ListOptions set_based;
  set_based.label_selector = "app in (web,db),!missing";
  auto in_set = client.list(kConfigMaps, "default", set_based);
  REQUIRE(in_set.ok());
  CHECK(in_set.value().items.size() == 3);
  ListOptions paged;
  paged.limit = 1;
  auto first_page = client.list(kConfigMaps, "default", paged);
  REQUIRE(first_page.ok());
  CHECK(first_page.value().items.size() == 1);
  CHECK_FALSE(first_page.value().continue_token.empty());
  auto all = client.list_all(kConfigMaps, "default", paged);
  REQUIRE(all.ok());
  // alpha, beta, gamma, and "applied" when the server took the apply patch
  CHECK(all.value().items.size() == (applied.ok() ? 4u : 3u));

  // errors
  auto missing = client.get(kConfigMaps, "default", "missing");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().not_found());
  CHECK(missing.error().message == "configmaps \"missing\" not found");
  auto duplicate = client.create(kConfigMaps, "default", configmap("alpha", "x"));
  REQUIRE_FALSE(duplicate.ok());
  CHECK(duplicate.error().already_exists());
  // 422 from schema validation of a custom resource
  const Resource widgets{"test.switchyard.io", "v1", "widgets", "Widget", true};
  auto crd = client.create(kCustomResourceDefinitions, "", R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.test.switchyard.io"},
    "spec":{"group":"test.switchyard.io","scope":"Namespaced",
      "names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},
      "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
        "schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object",
          "properties":{"replicas":{"type":"integer","minimum":0}}}}}}}]}})");
  INFO((crd ? "" : crd.error().to_string()));
  REQUIRE(crd.ok());
  Result<ListPage> served = ApiError{};
  for (int i = 0; i < 100 && !served.ok(); ++i) {
    served = client.list(widgets, "default", {});
    if (!served.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(served.ok());
  // API discovery: what a group version serves, and a 404 for one not served
  auto discovered = client.served_resources("test.switchyard.io/v1");
  REQUIRE(discovered.ok());
  CHECK(discovered.value() == std::vector<std::string>{"widgets"});
  auto core = client.served_resources("v1");
  REQUIRE(core.ok());
  CHECK(std::find(core.value().begin(), core.value().end(), "services") != core.value().end());
  auto undiscovered = client.served_resources("test.switchyard.io/v2");
  REQUIRE_FALSE(undiscovered.ok());
  CHECK(undiscovered.error().not_found());
  auto invalid = client.create(widgets, "default",
                               R"({"apiVersion":"test.switchyard.io/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"replicas":"many"}})");
  REQUIRE_FALSE(invalid.ok());
  CHECK(invalid.error().code == 422);
  CHECK(invalid.error().reason == "Invalid");
  CHECK_FALSE(invalid.error().causes.empty());

  // delete
  REQUIRE(client.remove(kConfigMaps, "default", "gamma").ok());
  auto gone = client.remove(kConfigMaps, "default", "gamma");
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().not_found());
  auto precondition = client.remove(kConfigMaps, "default", "beta", DeleteOptions{"", "wrong-uid", ""});
  REQUIRE_FALSE(precondition.ok());
  CHECK(precondition.error().conflict());
  CHECK(client.get(kConfigMaps, "default", "beta").ok());

  // a wrong token
  auto wrong = config;
  wrong.token = "not-the-token";
  Client intruder(wrong);
  auto denied = intruder.get(kConfigMaps, "default", "alpha");
  REQUIRE_FALSE(denied.ok());
  CHECK(denied.error().unauthorized());
  CHECK(client.connections_opened() <= config.max_idle_connections + 1);
}

TEST_CASE("devcluster watches: events in order, stop, 410 for an expired resourceVersion, a crash",
          "[kube][devcluster][watch]") {
  TempDir dir;
  START_DEVCLUSTER(devcluster, dir, {"--event-window", "8"});
  Client client(config_from(devcluster));
  auto start = client.list(kConfigMaps, "default", {});
  REQUIRE(start.ok());

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<WatchEvent> events;
  std::atomic<bool> stop{false};
  Result<WatchEnd> end = ApiError{};
  WatchOptions options;
  options.resource_version = start.value().resource_version;
  std::thread watcher([&] {
    end = client.watch(kConfigMaps, "default", options,
                       [&](WatchEvent&& event) {
                         std::lock_guard lock(mutex);
                         events.push_back(std::move(event));
                         changed.notify_all();
                       },
                       stop);
  });
  REQUIRE(client.create(kConfigMaps, "default", configmap("watched", "1")).ok());
  REQUIRE(client.patch(kConfigMaps, "default", "watched", PatchType::Merge, R"({"data":{"key":"2"}})").ok());
  REQUIRE(client.remove(kConfigMaps, "default", "watched").ok());
  {
    std::unique_lock lock(mutex);
    REQUIRE(changed.wait_for(lock, std::chrono::seconds(10), [&] {
      int objects = 0;
      for (const auto& event : events) objects += event.type != WatchEvent::Type::Bookmark ? 1 : 0;
      return objects >= 3;
    }));
  }
  stop = true;
  watcher.join();
  REQUIRE(end.ok());
  CHECK(end.value().reason == WatchEnd::Reason::Stopped);
  std::vector<WatchEvent::Type> types;
  for (const auto& event : events) {
    if (event.type != WatchEvent::Type::Bookmark) types.push_back(event.type);
  }
  CHECK(types == std::vector<WatchEvent::Type>{WatchEvent::Type::Added, WatchEvent::Type::Modified,
                                                WatchEvent::Type::Deleted});

  // Push the old resourceVersion out of the event window.
  for (int i = 0; i < 12; ++i) {
    REQUIRE(client.create(kConfigMaps, "default", configmap("filler-" + std::to_string(i), "x")).ok());
  }
  std::vector<WatchEvent> expired_events;
  std::atomic<bool> no_stop{false};
  auto expired = client.watch(kConfigMaps, "default", options,
                              [&](WatchEvent&& event) { expired_events.push_back(std::move(event)); }, no_stop);
  // A real server answers an expired watch either with HTTP 410 or with an
  // in-stream ERROR event carrying a 410 Status; both must read as gone().
  bool gone = (!expired.ok() && expired.error().gone()) ||
              (!expired_events.empty() && expired_events.back().type == WatchEvent::Type::Error &&
               expired_events.back().error.gone());
  CHECK(gone);

  // The server dies under an open watch: the stream ends with an error.
  std::atomic<bool> never{false};
  Result<WatchEnd> crashed = WatchEnd{};
  std::atomic<bool> connected{false};
  WatchOptions fresh;
  fresh.resource_version = client.list(kConfigMaps, "default", {}).value().resource_version;
  std::thread crash_watcher([&] {
    crashed = client.watch(kConfigMaps, "default", fresh, [&](WatchEvent&&) { connected = true; }, never);
  });
  REQUIRE(client.create(kConfigMaps, "default", configmap("last", "x")).ok());
  while (!connected) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  devcluster.stop(SIGKILL);
  crash_watcher.join();
  bool ended = !crashed.ok() || crashed.value().reason == WatchEnd::Reason::ServerClosed;
  CHECK(ended);
}

TEST_CASE("devcluster: the event recorder aggregates into one Event", "[kube][devcluster][events]") {
  TempDir dir;
  START_DEVCLUSTER(devcluster, dir);
  Client client(config_from(devcluster));
  EventRecorder recorder(client, "switchyard-hub", "hub-0");
  EventTarget target{kConfigMaps, "default", "alpha", "", "", ""};
  for (int i = 0; i < 3; ++i) recorder.record(target, EventType::Warning, "FailedOver", "moved to east");
  recorder.record(target, EventType::Normal, "Restored", "back to west");
  REQUIRE(recorder.flush(std::chrono::seconds(10)));
  CHECK(recorder.failed() == 0);
  auto events = client.list(kEvents, "default", {});
  REQUIRE(events.ok());
  REQUIRE(events.value().items.size() == 2);
  int total = 0;
  for (const auto& event : events.value().items) {
    CHECK(event->name().rfind("alpha.", 0) == 0);
    const auto* count = event->member("count");
    REQUIRE(count != nullptr);
    REQUIRE(count->IsInt());
    total += count->GetInt();
  }
  CHECK(total == 4);
}
