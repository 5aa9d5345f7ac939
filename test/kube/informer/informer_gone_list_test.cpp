// 410 answers to a list, which devcluster never sends: a scripted server
// answers the first list with 410 Expired and expires the continue token of
// the next paged list once. The informer must back off, list again from
// scratch, and deliver each object once.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>

#include "../test_server.h"
#include "e2e_support.h"
#include "switchyard/kube/informer.h"

using namespace std::chrono_literals;
using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

std::string configmap(const std::string& name, const std::string& rv) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"ns","name":")" + name +
         R"(","resourceVersion":")" + rv + R"("}})";
}

std::string page(const std::string& items, const std::string& rv, const std::string& continue_token) {
  return R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":")" + rv + R"(")" +
         (continue_token.empty() ? "" : R"(,"continue":")" + continue_token + R"(")") + R"(},"items":[)" + items +
         "]}";
}

const char* kExpired =
    R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version","reason":"Expired","code":410})";

}  // namespace

TEST_CASE("410 on a list: the informer lists again from scratch", "[kube][informer]") {
  TestServer server;
  std::mutex mutex;  // guards lists and watch_versions
  int lists = 0;
  std::vector<std::string> watch_versions;
  server.http().Get("/api/v1/namespaces/ns/configmaps", [&](const httplib::Request& request, httplib::Response& response) {
    if (request.get_param_value("watch") == "true") {
      bool first;
      {
        std::lock_guard<std::mutex> lock(mutex);
        watch_versions.push_back(request.get_param_value("resourceVersion"));
        first = watch_versions.size() == 1;
      }
      if (first) {
        response.set_content(R"({"type":"ADDED","object":)" + configmap("c", "13") + "}\n", "application/json");
      } else {
        std::this_thread::sleep_for(100ms);
        response.set_content("", "application/json");
      }
      return;
    }
    int call;
    {
      std::lock_guard<std::mutex> lock(mutex);
      call = ++lists;
    }
    const bool continued = !request.get_param_value("continue").empty();
    if (call == 1 || call == 3) {  // the first list; the continue page of the second
      response.status = 410;
      response.set_content(kExpired, "application/json");
    } else if (!continued) {
      response.set_content(page(configmap("a", "5"), call == 2 ? "10" : "12", "after-a"), "application/json");
    } else {
      response.set_content(page(configmap("b", "11"), "12", ""), "application/json");
    }
  });
  server.start();

  ClusterConfig config;
  config.server = server.url();
  TestLoop loop;
  Client client(config);
  RecordingHandler handler;
  InformerOptions options;
  options.resource = kConfigMaps;
  options.namespace_name = "ns";
  options.page_size = 1;
  options.backoff.initial = 20ms;
  options.backoff.max = 100ms;
  Informer informer(client, loop.get(), options, handler);
  informer.start();
  REQUIRE(loop.run_until([&] { return informer.synced() && informer.list().size() == 3; }, 10s));
  CHECK(informer.stats().gone == 2);  // the refused list and the expired continue token
  CHECK(informer.stats().lists == 1);
  CHECK(handler.history == History{{"ns/a", {"add@5"}}, {"ns/b", {"add@11"}}, {"ns/c", {"add@13"}}});
  CHECK(handler.violations.empty());
  informer.stop();
  std::lock_guard<std::mutex> lock(mutex);
  CHECK(lists == 5);
  REQUIRE_FALSE(watch_versions.empty());
  CHECK(watch_versions.front() == "12");  // from the complete list's version
}
