// The devcluster library over real HTTP: several servers in one process,
// verbs and their rules, watches (bookmarks, timeouts, 410), a slow watcher,
// restart, persistence, faults and authentication.
#include <catch2/catch.hpp>
#include <httplib.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/devcluster/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using switchyard::devcluster::Fault;
using switchyard::devcluster::Server;
using switchyard::devcluster::ServerOptions;

namespace {

const char* const kJson = "application/json";
const std::string kConfigMaps = "/api/v1/namespaces/default/configmaps";

struct Running {
  explicit Running(ServerOptions options = {}) : server(std::move(options)) {
    std::string error;
    REQUIRE(server.start(error));
    REQUIRE(error.empty());
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(10, 0);
    return c;
  }
  Server server;
};

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  return doc;
}

std::string config_map(const std::string& name, const std::string& value, const std::string& labels = "{}") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","labels":)" + labels +
         R"(},"data":{"k":")" + value + R"("}})";
}

std::string rv_of(const std::string& body) { return parse(body)["metadata"]["resourceVersion"].GetString(); }

// Reads a watch until `enough` returns true for the lines seen so far (or the
// stream ends); returns the lines.
std::vector<std::string> watch_lines(httplib::Client& client, const std::string& path,
                                     const std::function<bool(const std::vector<std::string>&)>& enough) {
  std::vector<std::string> lines;
  std::string pending;
  client.Get(path.c_str(), [&](const char* data, size_t size) {
    pending.append(data, size);
    for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
      lines.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
    return !enough(lines);
  });
  return lines;
}

std::string percent_encode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      out += escaped;
    }
  }
  return out;
}

std::string event_type(const std::string& line) { return parse(line)["type"].GetString(); }

const char* const kCrd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
 "metadata":{"name":"widgets.example.io"},
 "spec":{"group":"example.io","scope":"Namespaced",
  "names":{"plural":"widgets","singular":"widget","kind":"Widget","shortNames":["wd"]},
  "versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}},
   "additionalPrinterColumns":[{"name":"Size","type":"integer","jsonPath":".spec.size"}],
   "schema":{"openAPIV3Schema":{"type":"object","properties":{
     "spec":{"type":"object","required":["size"],"properties":{"size":{"type":"integer","minimum":0}}},
     "status":{"type":"object","properties":{"phase":{"type":"string"}}}}}}}]}})";

const std::string kWidgets = "/apis/example.io/v1/namespaces/default/widgets";

}  // namespace

TEST_CASE("several servers run in one process each with its own port and objects", "[devcluster]") {
  Running a, b;
  REQUIRE(a.server.port() != b.server.port());
  auto ca = a.client();
  auto cb = b.client();
  REQUIRE(ca.Post(kConfigMaps.c_str(), config_map("only-in-a", "1"), kJson)->status == 201);
  CHECK(ca.Get((kConfigMaps + "/only-in-a").c_str())->status == 200);
  auto missing = cb.Get((kConfigMaps + "/only-in-a").c_str());
  CHECK(missing->status == 404);
  auto status = parse(missing->body);
  CHECK(std::string(status["kind"].GetString()) == "Status");
  CHECK(std::string(status["reason"].GetString()) == "NotFound");
  CHECK(std::string(status["message"].GetString()) == "configmaps \"only-in-a\" not found");
}

TEST_CASE("create update and delete follow the API server's rules", "[devcluster]") {
  Running running;
  auto client = running.client();

  SECTION("create fills server metadata and refuses duplicates") {
    auto created = client.Post(kConfigMaps.c_str(), config_map("a", "1"), kJson);
    REQUIRE(created->status == 201);
    auto object = parse(created->body);
    CHECK(std::string(object["metadata"]["uid"].GetString()).size() == 36);
    CHECK(object["metadata"].HasMember("creationTimestamp"));
    CHECK(std::string(object["metadata"]["namespace"].GetString()) == "default");
    auto again = client.Post(kConfigMaps.c_str(), config_map("a", "2"), kJson);
    CHECK(again->status == 409);
    CHECK(std::string(parse(again->body)["reason"].GetString()) == "AlreadyExists");
  }

  SECTION("generateName makes a unique name") {
    std::string body = R"({"metadata":{"generateName":"gen-"},"data":{}})";
    auto first = parse(client.Post(kConfigMaps.c_str(), body, kJson)->body);
    auto second = parse(client.Post(kConfigMaps.c_str(), body, kJson)->body);
    std::string a = first["metadata"]["name"].GetString(), b = second["metadata"]["name"].GetString();
    CHECK(a.rfind("gen-", 0) == 0);
    CHECK(a.size() == 9);
    CHECK(a != b);
  }

  SECTION("an update with a stale resourceVersion conflicts; a no-op update bumps nothing") {
    std::string rv = rv_of(client.Post(kConfigMaps.c_str(), config_map("a", "1"), kJson)->body);
    auto updated = client.Put((kConfigMaps + "/a").c_str(), config_map("a", "2"), kJson);
    REQUIRE(updated->status == 200);
    std::string rv2 = rv_of(updated->body);
    CHECK(rv2 != rv);
    std::string stale = R"({"metadata":{"name":"a","resourceVersion":")" + rv + R"("},"data":{"k":"3"}})";
    auto conflict = client.Put((kConfigMaps + "/a").c_str(), stale, kJson);
    CHECK(conflict->status == 409);
    CHECK(std::string(parse(conflict->body)["reason"].GetString()) == "Conflict");
    auto same = client.Put((kConfigMaps + "/a").c_str(), config_map("a", "2"), kJson);
    CHECK(rv_of(same->body) == rv2);
  }

  SECTION("creating in a missing namespace is NotFound") {
    auto response = client.Post("/api/v1/namespaces/nowhere/configmaps", config_map("a", "1"), kJson);
    CHECK(response->status == 404);
    CHECK(parse(response->body)["message"].GetString() == std::string("namespaces \"nowhere\" not found"));
  }

  SECTION("dryRun=All answers like a write and stores nothing") {
    auto response = client.Post((kConfigMaps + "?dryRun=All").c_str(), config_map("dry", "1"), kJson);
    CHECK(response->status == 201);
    CHECK(client.Get((kConfigMaps + "/dry").c_str())->status == 404);
  }

  SECTION("finalizers hold a delete until they are removed") {
    std::string body = R"({"metadata":{"name":"held","finalizers":["example.io/wait"]},"data":{}})";
    REQUIRE(client.Post(kConfigMaps.c_str(), body, kJson)->status == 201);
    auto deleting = client.Delete((kConfigMaps + "/held").c_str());
    REQUIRE(deleting->status == 200);
    CHECK(parse(deleting->body)["metadata"].HasMember("deletionTimestamp"));
    CHECK(client.Get((kConfigMaps + "/held").c_str())->status == 200);
    auto released = client.Patch((kConfigMaps + "/held").c_str(), R"({"metadata":{"finalizers":null}})",
                                 "application/merge-patch+json");
    CHECK(released->status == 200);
    CHECK(client.Get((kConfigMaps + "/held").c_str())->status == 404);
  }

  SECTION("list pages with limit and continue, and filters by label") {
    for (const char* name : {"p1", "p2", "p3"}) {
      std::string labels = std::string(R"({"tier":")") + (name[1] == '2' ? "back" : "front") + "\"}";
      REQUIRE(client.Post(kConfigMaps.c_str(), config_map(name, "x", labels), kJson)->status == 201);
    }
    auto page1 = parse(client.Get((kConfigMaps + "?limit=2").c_str())->body);
    REQUIRE(page1["items"].Size() == 2);
    std::string token = page1["metadata"]["continue"].GetString();
    auto page2 = parse(client.Get((kConfigMaps + "?limit=2&continue=" + percent_encode(token)).c_str())->body);
    REQUIRE(page2["items"].Size() == 1);
    CHECK(std::string(page2["items"][0]["metadata"]["name"].GetString()) == "p3");
    // Every page shows the first page's snapshot...
    CHECK(std::string(page2["metadata"]["resourceVersion"].GetString()) ==
          page1["metadata"]["resourceVersion"].GetString());
    auto front = parse(client.Get((kConfigMaps + "?labelSelector=tier%3Dfront").c_str())->body);
    CHECK(front["items"].Size() == 2);
    auto notin = parse(client.Get((kConfigMaps + "?labelSelector=tier%20notin%20(front)").c_str())->body);
    REQUIRE(notin["items"].Size() == 1);
    CHECK(std::string(notin["items"][0]["metadata"]["name"].GetString()) == "p2");
    // Once a write changed what the snapshot showed, continuing from it
    // is 410 Expired (the client lists again), never a page of newer objects.
    REQUIRE(client.Post(kConfigMaps.c_str(), config_map("p4", "x", R"({"tier":"front"})"), kJson)->status == 201);
    auto stale = client.Get((kConfigMaps + "?limit=2&continue=" + percent_encode(token)).c_str());
    CHECK(stale->status == 410);
    CHECK(std::string(parse(stale->body)["reason"].GetString()) == "Expired");
  }
}

TEST_CASE("custom resources get schema checks and status subresource and generation rules", "[devcluster]") {
  Running running;
  auto client = running.client();
  REQUIRE(client.Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kCrd, kJson)->status == 201);

  auto invalid = client.Post(kWidgets.c_str(), R"({"metadata":{"name":"w"},"spec":{"size":-1}})", kJson);
  REQUIRE(invalid->status == 422);
  auto status = parse(invalid->body);
  CHECK(std::string(status["reason"].GetString()) == "Invalid");
  CHECK(std::string(status["details"]["causes"][0]["field"].GetString()) == "spec.size");

  auto created = parse(
      client.Post(kWidgets.c_str(), R"({"metadata":{"name":"w"},"spec":{"size":1},"status":{"phase":"x"}})", kJson)
          ->body);
  CHECK_FALSE(created.HasMember("status"));
  CHECK(created["metadata"]["generation"].GetInt() == 1);

  auto status_patch = client.Patch((kWidgets + "/w/status").c_str(), R"({"status":{"phase":"Ready"},"spec":{"size":9}})",
                                   "application/merge-patch+json");
  REQUIRE(status_patch->status == 200);
  auto after_status = parse(status_patch->body);
  CHECK(std::string(after_status["status"]["phase"].GetString()) == "Ready");
  CHECK(after_status["spec"]["size"].GetInt() == 1);
  CHECK(after_status["metadata"]["generation"].GetInt() == 1);

  auto spec_patch = parse(client.Patch((kWidgets + "/w").c_str(), R"({"spec":{"size":2},"status":{"phase":"Gone"}})",
                                       "application/merge-patch+json")
                              ->body);
  CHECK(spec_patch["metadata"]["generation"].GetInt() == 2);
  CHECK(std::string(spec_patch["status"]["phase"].GetString()) == "Ready");

  auto no_rv = client.Put((kWidgets + "/w").c_str(), R"({"metadata":{"name":"w"},"spec":{"size":3}})", kJson);
  CHECK(no_rv->status == 422);

  auto smp = client.Patch((kWidgets + "/w").c_str(), R"({"spec":{"size":3}})", "application/strategic-merge-patch+json");
  CHECK(smp->status == 415);

  httplib::Headers table{{"Accept", "application/json;as=Table;v=v1;g=meta.k8s.io"}};
  auto listed = parse(client.Get(kWidgets.c_str(), table)->body);
  CHECK(std::string(listed["kind"].GetString()) == "Table");
  CHECK(std::string(listed["columnDefinitions"][1]["name"].GetString()) == "Size");
  CHECK(listed["rows"][0]["cells"][1].GetInt() == 2);

  REQUIRE(client.Delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.io")->status == 200);
  CHECK(client.Get(kWidgets.c_str())->status == 404);
}

TEST_CASE("watches stream events with bookmarks and timeouts", "[devcluster]") {
  ServerOptions options;
  options.bookmark_interval = std::chrono::milliseconds(50);
  Running running(options);
  auto client = running.client();
  REQUIRE(client.Post(kConfigMaps.c_str(), config_map("before", "1"), kJson)->status == 201);

  SECTION("without resourceVersion: current state as ADDED, then changes") {
    std::thread writer([&] {
      auto c = running.client();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      c.Put((kConfigMaps + "/before").c_str(), config_map("before", "2"), kJson);
    });
    auto lines = watch_lines(client, kConfigMaps + "?watch=true", [](const auto& seen) { return seen.size() >= 2; });
    writer.join();
    REQUIRE(lines.size() >= 2);
    CHECK(event_type(lines[0]) == "ADDED");
    CHECK(event_type(lines[1]) == "MODIFIED");
  }

  SECTION("allowWatchBookmarks sends BOOKMARK with the current resourceVersion") {
    std::string rv = std::to_string(running.server.resource_version());
    auto lines = watch_lines(client, kConfigMaps + "?watch=1&allowWatchBookmarks=True&resourceVersion=" + rv,
                             [](const auto& seen) { return !seen.empty(); });
    REQUIRE_FALSE(lines.empty());
    auto event = parse(lines[0]);
    CHECK(std::string(event["type"].GetString()) == "BOOKMARK");
    CHECK(std::string(event["object"]["metadata"]["resourceVersion"].GetString()) == rv);
  }

  SECTION("timeoutSeconds ends the stream") {
    std::string rv = std::to_string(running.server.resource_version());
    auto lines = watch_lines(client, kConfigMaps + "?watch=true&timeoutSeconds=1&resourceVersion=" + rv,
                             [](const auto&) { return false; });
    CHECK(lines.empty());
  }
}

TEST_CASE("a watch from before the event window gets an in-stream 410 Expired", "[devcluster]") {
  ServerOptions options;
  options.event_window = 3;
  Running running(options);
  auto client = running.client();
  std::string first = rv_of(client.Post(kConfigMaps.c_str(), config_map("a", "0"), kJson)->body);
  for (int i = 1; i <= 5; ++i) client.Put((kConfigMaps + "/a").c_str(), config_map("a", std::to_string(i)), kJson);
  auto lines = watch_lines(client, kConfigMaps + "?watch=true&resourceVersion=" + first, [](const auto&) { return false; });
  REQUIRE(lines.size() == 1);
  auto event = parse(lines[0]);
  CHECK(std::string(event["type"].GetString()) == "ERROR");
  CHECK(event["object"]["code"].GetInt() == 410);
  CHECK(std::string(event["object"]["reason"].GetString()) == "Expired");

  std::string recent = std::to_string(running.server.resource_version() - 1);
  auto replay = watch_lines(client, kConfigMaps + "?watch=true&resourceVersion=" + recent,
                            [](const auto& seen) { return !seen.empty(); });
  REQUIRE(replay.size() == 1);
  CHECK(event_type(replay[0]) == "MODIFIED");
}

TEST_CASE("a watcher that never reads does not hold up writers or other watchers", "[devcluster]") {
  Running running;
  auto client = running.client();
  std::string rv = std::to_string(running.server.resource_version());
  // A raw client that sends a watch request and never reads the response.
  httplib::Client stuck("127.0.0.1", running.server.port());
  std::atomic<bool> release{false};
  std::thread stuck_reader([&] {
    stuck.Get((kConfigMaps + "?watch=true").c_str(), [&](const char*, size_t) {
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      return false;
    });
  });
  std::string big(20000, 'x');
  constexpr int kWrites = 400;  // ~8 MB of events: far beyond any socket buffer
  std::atomic<int> seen{0};
  std::thread healthy([&] {
    auto c = running.client();
    watch_lines(c, kConfigMaps + "?watch=true&resourceVersion=" + rv, [&](const auto& lines) {
      seen = static_cast<int>(lines.size());
      return lines.size() >= kWrites;
    });
  });
  for (int i = 0; i < kWrites; ++i) {
    auto response = client.Post(kConfigMaps.c_str(), config_map("cm" + std::to_string(i), big), kJson);
    REQUIRE(response);
    REQUIRE(response->status == 201);
  }
  healthy.join();
  CHECK(seen == kWrites);
  release = true;
  stuck_reader.join();
}

TEST_CASE("restart keeps objects and the port and old watches must re-list", "[devcluster]") {
  Running running;
  auto client = running.client();
  std::string rv = rv_of(client.Post(kConfigMaps.c_str(), config_map("kept", "1"), kJson)->body);
  REQUIRE(client.Put((kConfigMaps + "/kept").c_str(), config_map("kept", "2"), kJson)->status == 200);
  int port = running.server.port();
  std::string error;
  REQUIRE(running.server.restart(error));
  CHECK(running.server.port() == port);
  auto after = running.client();
  CHECK(after.Get((kConfigMaps + "/kept").c_str())->status == 200);
  auto lines = watch_lines(after, kConfigMaps + "?watch=true&resourceVersion=" + rv, [](const auto&) { return false; });
  REQUIRE(lines.size() == 1);
  CHECK(parse(lines[0])["object"]["code"].GetInt() == 410);
}

TEST_CASE("a data directory keeps objects and CRDs across processes", "[devcluster]") {
  auto dir = std::filesystem::temp_directory_path() / ("devcluster-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ServerOptions options;
  options.data_dir = dir.string();
  std::string rv;
  {
    Running first(options);
    auto client = first.client();
    REQUIRE(client.Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", kCrd, kJson)->status == 201);
    REQUIRE(client.Post(kWidgets.c_str(), R"({"metadata":{"name":"w"},"spec":{"size":4}})", kJson)->status == 201);
    rv = std::to_string(first.server.resource_version());
  }
  {
    Running second(options);
    auto client = second.client();
    auto widget = client.Get((kWidgets + "/w").c_str());
    REQUIRE(widget->status == 200);
    CHECK(parse(widget->body)["spec"]["size"].GetInt() == 4);
    auto next = parse(client.Post(kConfigMaps.c_str(), config_map("later", "1"), kJson)->body);
    CHECK(std::stoull(next["metadata"]["resourceVersion"].GetString()) > std::stoull(rv));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("injected faults delay or fail matching requests", "[devcluster]") {
  Running running;
  auto client = running.client();
  running.server.inject_fault(Fault{"GET", "/api/v1/namespaces/default/configmaps", {}, 503, 2});
  CHECK(client.Get(kConfigMaps.c_str())->status == 503);
  CHECK(parse(client.Get(kConfigMaps.c_str())->body)["reason"].GetString() == std::string("ServiceUnavailable"));
  CHECK(client.Get(kConfigMaps.c_str())->status == 200);
  CHECK(client.Post(kConfigMaps.c_str(), config_map("a", "1"), kJson)->status == 201);
}

TEST_CASE("TLS and bearer tokens", "[devcluster]") {
  ServerOptions options;
  options.tls = true;
  options.token = "sekret";
  Running running(options);
  CHECK(running.server.url().rfind("https://127.0.0.1:", 0) == 0);
  CHECK(running.server.ca_certificate_pem().find("BEGIN CERTIFICATE") != std::string::npos);
  httplib::SSLClient client("127.0.0.1", running.server.port());
  client.enable_server_certificate_verification(false);
  auto anonymous = client.Get("/api/v1/namespaces");
  REQUIRE(anonymous);
  CHECK(anonymous->status == 401);
  client.set_bearer_token_auth("sekret");
  CHECK(client.Get("/api/v1/namespaces")->status == 200);
  std::string kubeconfig = running.server.kubeconfig("ctx");
  CHECK(kubeconfig.find("token: sekret") != std::string::npos);
  CHECK(kubeconfig.find("certificate-authority-data: ") != std::string::npos);
}

TEST_CASE("bad request bodies are 400 Status errors and change nothing", "[devcluster]") {
  Running running;
  auto client = running.client();
  REQUIRE(client.Post(kConfigMaps.c_str(), config_map("a", "1"), kJson)->status == 201);
  for (const char* body : {"{", "[1,2]", "{\"metadata\": 5}", "{} trailing"}) {
    auto response = client.Put((kConfigMaps + "/a").c_str(), body, kJson);
    CAPTURE(body);
    CHECK(response->status == 400);
    CHECK(std::string(parse(response->body)["reason"].GetString()) == "BadRequest");
  }
  auto kept = parse(client.Get((kConfigMaps + "/a").c_str())->body);
  CHECK(std::string(kept["data"]["k"].GetString()) == "1");
}

TEST_CASE("test-fault specs parse or name what is wrong", "[devcluster]") {
  Fault fault;
  std::string error;
  REQUIRE(switchyard::devcluster::parse_fault("GET:/api/v1:250:0:1:watch", fault, error));
  CHECK(fault.method == "GET");
  CHECK(fault.path_prefix == "/api/v1");
  CHECK(fault.delay == std::chrono::milliseconds(250));
  CHECK(fault.status == 0);
  CHECK(fault.times == 1);
  CHECK(fault.watch_only);
  CHECK_FALSE(switchyard::devcluster::parse_fault("GET:/api/v1:soon:0:1", fault, error));
  CHECK(error.find("must be numbers") != std::string::npos);
  CHECK_FALSE(switchyard::devcluster::parse_fault("GET:/api", fault, error));
  CHECK(error.find("expected METHOD:PATH_PREFIX") != std::string::npos);
  REQUIRE(switchyard::devcluster::parse_fault(":/apis:200:503:-1:25%", fault, error));
  CHECK(fault.percent == 25);
  CHECK_FALSE(fault.watch_only);
  REQUIRE(switchyard::devcluster::parse_fault("GET:/api:0:0:1:watch:100%", fault, error));
  CHECK(fault.watch_only);
  CHECK(fault.percent == 100);
  for (const char* bad : {":/api:0:503:-1:0%", ":/api:0:503:-1:101%", ":/api:0:503:-1:half", ":/api:0:503:-1:5",
                          ":/api:0:503:-1:watch:watch", ":/api:0:503:-1:%"}) {
    CAPTURE(bad);
    CHECK_FALSE(switchyard::devcluster::parse_fault(bad, fault, error));
    CHECK(error.find("PERCENT%") != std::string::npos);
  }
}

TEST_CASE("a fault on a percentage of requests fails about that share and lets the rest through", "[devcluster]") {
  Running running;
  running.server.inject_fault(Fault{"GET", "/api/v1/namespaces/default/configmaps", {}, 503, -1, false, 30});
  auto client = running.client();
  int failed = 0;
  for (int i = 0; i < 400; ++i) {
    auto response = client.Get("/api/v1/namespaces/default/configmaps");
    REQUIRE(response);
    REQUIRE((response->status == 200 || response->status == 503));
    failed += response->status == 503;
  }
  // 30% of 400 is 120; binomial sd ~9, so 60..180 cannot fail by chance.
  CHECK(failed > 60);
  CHECK(failed < 180);
}

TEST_CASE("a watch-only fault holds watches and leaves lists alone", "[devcluster]") {
  ServerOptions options;
  options.event_window = 2;
  Running running(options);
  running.server.inject_fault(Fault{"GET", kConfigMaps, std::chrono::milliseconds(300), 0, 1, true});
  auto client = running.client();
  std::string rv = std::to_string(running.server.resource_version());
  std::thread writer([&] {
    auto c = running.client();
    for (int i = 0; i < 3; ++i) c.Post(kConfigMaps.c_str(), config_map("w" + std::to_string(i), "1"), kJson);
  });
  writer.join();
  CHECK(client.Get(kConfigMaps.c_str())->status == 200);
  auto lines = watch_lines(client, kConfigMaps + "?watch=true&resourceVersion=" + rv, [](const auto&) { return false; });
  REQUIRE(lines.size() == 1);
  CHECK(parse(lines[0])["object"]["code"].GetInt() == 410);
}

TEST_CASE("server-side apply with a non-object metadata is a 400 and changes nothing", "[devcluster]") {
  Running running;
  auto client = running.client();
  REQUIRE(client.Post(kConfigMaps.c_str(), config_map("a", "1"), kJson)->status == 201);
  for (const char* body : {R"({"metadata":5,"data":{"k":"2"}})", R"({"metadata":"x"})", R"({"metadata":[]})"}) {
    CAPTURE(body);
    auto response = client.Patch((kConfigMaps + "/a?fieldManager=test").c_str(), body, "application/apply-patch+yaml");
    REQUIRE(response);
    CHECK(response->status == 400);
  }
  CHECK(std::string(parse(client.Get((kConfigMaps + "/a").c_str())->body)["data"]["k"].GetString()) == "1");
}

TEST_CASE("a watch whose client hangs up frees its worker without another event", "[devcluster]") {
  // Two workers: a dead watch that held its worker until the next event
  // failed to write would leave one, and a second dead one none at all.
  ServerOptions options;
  options.max_connections = 2;
  Running running(options);
  REQUIRE(running.client().Post(kConfigMaps.c_str(), config_map("present", "1"), kJson)->status == 201);
  for (int round = 0; round < 3; ++round) {
    auto watcher = running.client();
    // Hangs up once it has read the ADDED event of the existing object.
    auto lines = watch_lines(watcher, kConfigMaps + "?watch=true", [](const auto& seen) { return !seen.empty(); });
    REQUIRE(lines.size() == 1);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (running.server.open_watches() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    REQUIRE(running.server.open_watches() == 0);
  }
  // Both workers are free again: a write and a read are answered.
  auto client = running.client();
  auto created = client.Post(kConfigMaps.c_str(), config_map("after", "1"), kJson);
  REQUIRE(created);
  CHECK(created->status == 201);
}

TEST_CASE("a busy watch sends bursts of events together, complete and in order", "[devcluster]") {
  ServerOptions options;
  options.watch_coalesce = std::chrono::milliseconds(200);
  Running running(options);
  auto client = running.client();
  std::string rv = std::to_string(running.server.resource_version());
  constexpr int kWrites = 20;
  std::vector<std::size_t> chunk_sizes;  // lines per chunk the client read
  std::vector<std::string> lines;
  // The writer starts once the watch is open (a write before it would be
  // replayed with the others in one chunk) and only records what it got:
  // Catch2's assertions are for the test's own thread.
  std::vector<int> write_statuses;
  std::thread writer([&] {
    auto c = running.client();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (running.server.open_watches() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (int i = 0; i < kWrites; ++i) {
      auto created = c.Post(kConfigMaps.c_str(), config_map("cm" + std::to_string(i), "v"), kJson);
      write_statuses.push_back(created ? created->status : 0);
    }
  });
  auto watcher = running.client();
  std::string pending;
  watcher.Get((kConfigMaps + "?watch=true&resourceVersion=" + rv).c_str(), [&](const char* data, size_t size) {
    pending.append(data, size);
    std::size_t before = lines.size();
    for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
      lines.push_back(pending.substr(0, newline));
      pending.erase(0, newline + 1);
    }
    chunk_sizes.push_back(lines.size() - before);
    return lines.size() < kWrites;
  });
  writer.join();
  CHECK(write_statuses == std::vector<int>(kWrites, 201));
  REQUIRE(lines.size() == kWrites);
  for (int i = 0; i < kWrites; ++i) {
    auto event = parse(lines[static_cast<std::size_t>(i)]);
    CHECK(std::string(event["object"]["metadata"]["name"].GetString()) == "cm" + std::to_string(i));
  }
  // The first event goes out at once; the others arrived within the 200 ms
  // that followed it and come in far fewer writes than events.
  CHECK(chunk_sizes.front() == 1);
  CHECK(chunk_sizes.size() < kWrites / 2);
}

namespace {

const std::string kDiscoveryV2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const std::string kDiscoveryV2Beta1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

httplib::Result get_with(httplib::Client& client, const std::string& path, const httplib::Headers& headers) {
  auto result = client.Get(path.c_str(), headers);
  REQUIRE(result);
  return result;
}

}  // namespace

TEST_CASE("discovery documents are chosen from Accept as kube-apiserver 1.32 chooses them", "[devcluster]") {
  Running running;
  auto client = running.client();
  struct Case {
    std::string accept;
    std::string content_type;  // what GET /apis answers
  };
  const std::vector<Case> cases = {
      {"", "application/json"},
      {"application/json", "application/json"},
      {"*/*", "application/json"},
      // kubectl 1.27-1.29: v2beta1 is all they read.
      {kDiscoveryV2Beta1 + ",application/json", kDiscoveryV2Beta1},
      // kubectl 1.30 and later.
      {kDiscoveryV2 + "," + kDiscoveryV2Beta1 + ",application/json", kDiscoveryV2},
      // A clause without a conversion is passed over, not taken as "any form".
      {"application/json, " + kDiscoveryV2Beta1, kDiscoveryV2Beta1},
      // Clauses go in q order, then as sent.
      {kDiscoveryV2 + ";q=0.5," + kDiscoveryV2Beta1, kDiscoveryV2Beta1},
      {kDiscoveryV2Beta1 + ";q=0.9 ," + kDiscoveryV2 + ";q=0.8", kDiscoveryV2Beta1},
      // devcluster answers JSON only, so a protobuf clause is passed over.
      {"application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList," + kDiscoveryV2Beta1,
       kDiscoveryV2Beta1},
      {"*/*;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", kDiscoveryV2},
      {"application/*;as=APIGroupDiscoveryList;v=v2beta1;g=apidiscovery.k8s.io", kDiscoveryV2Beta1},
      // Not the aggregated kind, version or group, or a stream other than watch.
      {"application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList", "application/json"},
      {"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscovery", "application/json"},
      {"application/json;g=meta.k8s.io;v=v2;as=APIGroupDiscoveryList", "application/json"},
      {kDiscoveryV2 + ";stream=chunks", "application/json"},
      {kDiscoveryV2 + ";sv=v1", "application/json"},
      {"text/html;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", "application/json"},
      {";;,,/ ,=;q=x, application/json;g=apidiscovery.k8s.io;v=v2beta1", "application/json"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.accept);
    auto apis = get_with(client, "/apis", {{"Accept", c.accept}});
    CHECK(apis->status == 200);
    CHECK(apis->get_header_value("Content-Type") == c.content_type);
    auto body = parse(apis->body);
    if (c.content_type == "application/json") {
      CHECK(std::string(body["kind"].GetString()) == "APIGroupList");
      CHECK_FALSE(apis->has_header("Vary"));
      CHECK_FALSE(apis->has_header("ETag"));
    } else {
      CHECK(std::string(body["kind"].GetString()) == "APIGroupDiscoveryList");
      std::string version = c.content_type == kDiscoveryV2 ? "v2" : "v2beta1";
      CHECK(std::string(body["apiVersion"].GetString()) == "apidiscovery.k8s.io/" + version);
      CHECK(apis->get_header_value("Vary") == "Accept");
    }
  }
  // The core group at /api, in both aggregated versions, and the two
  // versions differ only in apiVersion.
  auto core_v2 = get_with(client, "/api", {{"Accept", kDiscoveryV2}});
  auto core_beta = get_with(client, "/api", {{"Accept", kDiscoveryV2Beta1 + ",application/json"}});
  CHECK(core_beta->get_header_value("Content-Type") == kDiscoveryV2Beta1);
  auto core = parse(core_beta->body);
  REQUIRE(core["items"].Size() == 1);
  CHECK(std::string(core["items"][0]["metadata"]["name"].GetString()).empty());
  std::string beta_as_v2 = core_beta->body;
  beta_as_v2.replace(beta_as_v2.find("apidiscovery.k8s.io/v2beta1"), 27, "apidiscovery.k8s.io/v2");
  CHECK(beta_as_v2 == core_v2->body);
  CHECK(std::string(parse(get_with(client, "/api", {{"Accept", "application/json"}})->body)["kind"].GetString()) ==
        "APIVersions");
}

TEST_CASE("aggregated discovery carries an ETag, answers 304 while it holds and changes with a CRD",
          "[devcluster]") {
  Running running;
  auto client = running.client();
  auto first = get_with(client, "/apis", {{"Accept", kDiscoveryV2}});
  std::string etag = first->get_header_value("ETag");
  CHECK(etag.size() == 130);  // a quoted SHA-512 in hex
  CHECK(etag.find_first_not_of("0123456789ABCDEF", 1) == 129);
  CHECK(first->get_header_value("Cache-Control") == "public");
  // The same tag for v2beta1: the server tags the document, not its encoding.
  CHECK(get_with(client, "/apis", {{"Accept", kDiscoveryV2Beta1}})->get_header_value("ETag") == etag);
  auto cached = get_with(client, "/apis", {{"Accept", kDiscoveryV2}, {"If-None-Match", etag}});
  CHECK(cached->status == 304);
  CHECK(cached->body.empty());
  CHECK(get_with(client, "/apis", {{"Accept", kDiscoveryV2}, {"If-None-Match", "\"other\""}})->status == 200);

  const std::string crd = R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
    "metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced",
    "names":{"plural":"widgets","singular":"widget","kind":"Widget"},
    "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}})";
  REQUIRE(client.Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd, kJson)->status == 201);
  auto changed = get_with(client, "/apis", {{"Accept", kDiscoveryV2}, {"If-None-Match", etag}});
  CHECK(changed->status == 200);
  CHECK(changed->get_header_value("ETag") != etag);
  CHECK(changed->body.find("\"widgets\"") != std::string::npos);
}

TEST_CASE("OpenAPI v2 is served without definitions as JSON or as kubectl's protobuf", "[devcluster]") {
  Running running;
  auto client = running.client();
  auto json = get_with(client, "/openapi/v2", {{"Accept", "application/json, */*"}});
  CHECK(json->status == 200);
  CHECK(std::string(parse(json->body)["swagger"].GetString()) == "2.0");
  // kubectl 1.27 and 1.28 ask for this before every apply.
  auto protobuf = get_with(client, "/openapi/v2", {{"Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"}});
  CHECK(protobuf->status == 200);
  CHECK(protobuf->get_header_value("Content-Type") == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  CHECK(protobuf->body.rfind(std::string("\x0a\x03" "2.0\x12"), 0) == 0);
  auto refused = get_with(client, "/openapi/v2", {{"Accept", "text/html"}});
  CHECK(refused->status == 406);
  CHECK(std::string(parse(refused->body)["reason"].GetString()) == "NotAcceptable");
}

TEST_CASE("TLS without a token makes one up, requires it and writes it into the kubeconfig", "[devcluster]") {
  ServerOptions options;
  options.tls = true;
  Running running(options);
  const std::string& token = running.server.token();
  CHECK(token.size() == 64);
  CHECK(token.find_first_not_of("0123456789abcdef") == std::string::npos);
  httplib::SSLClient client("127.0.0.1", running.server.port());
  client.enable_server_certificate_verification(false);
  CHECK(client.Get("/api/v1/namespaces")->status == 401);
  client.set_bearer_token_auth(token);
  CHECK(client.Get("/api/v1/namespaces")->status == 200);
  CHECK(running.server.kubeconfig("ctx").find("    token: " + token + "\n") != std::string::npos);
  // Each server its own.
  Running other(options);
  CHECK(other.server.token() != token);
  // Over HTTP nothing changes: no token unless given.
  Running plain;
  CHECK(plain.server.token().empty());
  CHECK(plain.client().Get("/api/v1/namespaces")->status == 200);
}

namespace {

// Every member path of a JSON document ("items[].metadata.name"), so that
// documents with different contents compare by shape.
void collect_paths(const rapidjson::Value& value, const std::string& prefix, std::set<std::string>& out) {
  if (value.IsObject()) {
    for (const auto& member : value.GetObject()) {
      std::string path = prefix + "." + member.name.GetString();
      out.insert(path);
      collect_paths(member.value, path, out);
    }
  } else if (value.IsArray()) {
    for (const auto& item : value.GetArray()) collect_paths(item, prefix + "[]", out);
  }
}

std::set<std::string> paths_of(const std::string& json) {
  std::set<std::string> out;
  collect_paths(parse(json), "", out);
  return out;
}

std::set<std::string> minus(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::set<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
  return out;
}

}  // namespace

TEST_CASE("discovery documents have the fields of a real API server's", "[devcluster]") {
  const std::filesystem::path fixtures = std::filesystem::path(SWITCHYARD_SHARED_DIR) / "fixtures/kube-real/discovery";
  if (!std::filesystem::exists(fixtures)) {
    WARN("skipped: " << fixtures << " is absent (no recordings)");
    return;
  }
  auto recorded = [&](const char* name) {
    std::ifstream in(fixtures / name);
    REQUIRE(in);
    return paths_of(std::string(std::istreambuf_iterator<char>(in), {}));
  };
  Running running;
  auto client = running.client();
  auto served = [&](const std::string& path, const std::string& accept) {
    auto response = get_with(client, path, {{"Accept", accept}});
    REQUIRE(response->status == 200);
    return paths_of(response->body);
  };
  const std::set<std::string> none;
  // Aggregated: the same fields, none missing and none invented, for the
  // groups under /apis and the core group under /api.
  for (const char* path : {"/apis", "/api"}) {
    CAPTURE(path);
    CHECK(served(path, kDiscoveryV2) == recorded("aggregated_v2.json"));
  }
  CHECK(served("/apis", "application/json") == recorded("apis.json"));
  CHECK(served("/api", "application/json") == recorded("api.json"));
  // Resource lists: nothing invented; what is left out is the storage version
  // hash (no client here reads it) and the group/version that only
  // cross-group subresources such as pods/eviction carry.
  const std::set<std::string> left_out = {".resources[].storageVersionHash", ".resources[].group",
                                          ".resources[].version"};
  auto core = served("/api/v1", "application/json");
  CHECK(minus(core, recorded("api__v1.json")) == none);
  CHECK(minus(recorded("api__v1.json"), core) == left_out);
  auto extensions = served("/apis/apiextensions.k8s.io/v1", "application/json");
  CHECK(minus(extensions, recorded("apis__apiextensions.k8s.io__v1.json")) == none);
  CHECK(minus(recorded("apis__apiextensions.k8s.io__v1.json"), extensions) ==
        std::set<std::string>{".resources[].storageVersionHash"});
}

TEST_CASE("stopping ends idle keep-alive connections, half-sent requests and watches at once", "[devcluster]") {
  // httplib waits out its 30 s keep-alive and read timeouts on such
  // connections; a SIGTERMed devcluster took 30 s to exit.
  Running running;
  auto idle = running.client();
  idle.set_keep_alive(true);
  REQUIRE(idle.Get("/api")->status == 200);  // its connection stays open, idle

  // Headers without their end: the server waits for the rest.
  const int half_sent = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(running.server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(half_sent, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  const std::string partial = "GET /api HTTP/1.1\r\nHost: x\r\n";
  REQUIRE(::send(half_sent, partial.data(), partial.size(), 0) == static_cast<ssize_t>(partial.size()));
  std::thread watch([&] {
    auto client = running.client();
    (void)watch_lines(client, kConfigMaps + "?watch=true", [](const auto&) { return false; });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // let all three connect

  const auto started = std::chrono::steady_clock::now();
  running.server.stop();
  const auto took = std::chrono::steady_clock::now() - started;
  watch.join();
  ::close(half_sent);
  CHECK(took < std::chrono::seconds(5));
}
