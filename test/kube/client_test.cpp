// The client against in-test HTTP(S) servers: what goes on the wire for each
// verb, error mapping, Retry-After, conflicts, credentials refresh, watch
// streams that break or idle, connection reuse and TLS verification.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "switchyard/kube/client.h"
#include "test_server.h"
#include "test_support.h"
#include "tls_certs.h"

using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

std::string object_json(const std::string& name, const std::string& rv) {
  return R"({"kind":"Service","apiVersion":"v1","metadata":{"name":")" + name + R"(","namespace":"ns","resourceVersion":")" +
         rv + R"("}})";
}

std::string status_json(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

struct Seen {
  std::string method, target, content_type, body, authorization;
};

// Sets a flag on scope exit (declared after a server whose handlers wait on it).
struct ReleaseOnExit {
  std::atomic<bool>& flag;
  ~ReleaseOnExit() { flag = true; }
};

}  // namespace

TEST_CASE("each verb sends what the API expects", "[kube][client]") {
  std::mutex mutex;
  std::vector<Seen> seen;
  TestServer server;
  auto record = [&](const httplib::Request& request, httplib::Response& response) {
    {
      std::lock_guard lock(mutex);
      seen.push_back(Seen{request.method, request.target, request.get_header_value("Content-Type"), request.body,
                          request.get_header_value("Authorization")});
    }
    if (request.method == "DELETE") {
      response.set_content(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success"})", "application/json");
    } else if (request.method == "POST") {
      response.status = 201;
      response.set_content(object_json("created", "1"), "application/json");
    } else if (request.method == "GET" && request.target.find("/services?") != std::string::npos) {
      bool second = request.target.find("continue=") != std::string::npos;
      response.set_content(std::string(R"({"kind":"ServiceList","apiVersion":"v1","metadata":{"resourceVersion":")") +
                               (second ? "99" : "42") + R"(")" + (second ? "" : R"(,"continue":"c+1/=")") +
                               R"(},"items":[)" + object_json(second ? "b" : "a", "7") + "]}",
                           "application/json");
    } else {
      response.set_content(object_json("web", "5"), "application/json");
    }
  };
  server.http().Get(".*", record);
  server.http().Post(".*", record);
  server.http().Put(".*", record);
  server.http().Patch(".*", record);
  server.http().Delete(".*", record);
  server.start();
  Client client(short_timeout_config(server.url()));

  REQUIRE(client.get(kServices, "ns", "web").ok());
  REQUIRE(client.create(kServices, "ns", R"({"metadata":{"name":"created"}})").ok());
  REQUIRE(client.update(kServices, "ns", "web", "{}").ok());
  REQUIRE(client.patch(kServices, "ns", "web", PatchType::Merge, "{}").ok());
  REQUIRE(client.patch(kServices, "ns", "web", PatchType::Json, "[]").ok());
  REQUIRE(client.patch(kServices, "ns", "web", PatchType::StrategicMerge, "{}").ok());
  REQUIRE(client.apply(kServices, "ns", "web", "{}", PatchOptions{"", true}).ok());
  REQUIRE(client.update_status(kFailoverServices, "ns", "web", "{}").ok());
  REQUIRE(client.patch_status(kFailoverServices, "ns", "web", PatchType::Merge, "{}", PatchOptions{"hub", false}).ok());
  REQUIRE(client.remove(kServices, "ns", "web").ok());
  REQUIRE(client.remove(kServices, "ns", "web", DeleteOptions{"Foreground", "u-1", ""}).ok());
  ListOptions options;
  options.label_selector = "app=web,tier!=db";
  options.field_selector = "metadata.name=web";
  options.limit = 1;
  options.resource_version = "0";
  auto all = client.list_all(kServices, "", options);
  REQUIRE(all.ok());

  std::lock_guard lock(mutex);
  REQUIRE(seen.size() == 13);
  const std::string svc = "/api/v1/namespaces/ns/services";
  const std::string fs = "/apis/switchyard.io/v1alpha1/namespaces/ns/failoverservices/web/status";
  CHECK(seen[0].method == "GET");
  CHECK(seen[0].target == svc + "/web");
  CHECK(seen[0].authorization == "Bearer t0k3n");
  CHECK((seen[1].method == "POST" && seen[1].target == svc && seen[1].content_type == "application/json"));
  CHECK(seen[1].body == R"({"metadata":{"name":"created"}})");
  CHECK((seen[2].method == "PUT" && seen[2].target == svc + "/web"));
  CHECK(seen[3].content_type == "application/merge-patch+json");
  CHECK(seen[4].content_type == "application/json-patch+json");
  CHECK(seen[5].content_type == "application/strategic-merge-patch+json");
  CHECK(seen[6].content_type == "application/apply-patch+yaml");
  CHECK(seen[6].target == svc + "/web?fieldManager=switchyard&force=true");
  CHECK((seen[7].method == "PUT" && seen[7].target == fs));
  CHECK((seen[8].method == "PATCH" && seen[8].target == fs + "?fieldManager=hub"));
  CHECK((seen[9].method == "DELETE" && seen[9].body.empty()));
  CHECK(seen[10].body ==
        R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground","preconditions":{"uid":"u-1"}})");
  CHECK(seen[11].target ==
        "/api/v1/services?labelSelector=app%3Dweb%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Dweb&resourceVersion=0&limit=1");
  // The second page follows the continue token (encoded) and drops resourceVersion.
  CHECK(seen[12].target ==
        "/api/v1/services?labelSelector=app%3Dweb%2Ctier%21%3Ddb&fieldSelector=metadata.name%3Dweb&limit=1&continue=c%2B1%2F%3D");
  REQUIRE(all.value().items.size() == 2);
  CHECK(all.value().items[0]->name() == "a");
  CHECK(all.value().items[1]->name() == "b");
  CHECK(all.value().resource_version == "42");
}

TEST_CASE("errors carry the Status or the transport failure", "[kube][client]") {
  TestServer server;
  server.http().Get("/api/v1/namespaces/ns/services/plain", [](const httplib::Request&, httplib::Response& response) {
    response.status = 404;
    response.set_content("404 page not found\n", "text/plain");
  });
  server.http().Post(".*", [](const httplib::Request&, httplib::Response& response) {
    response.status = 409;
    response.set_content(status_json(409, "AlreadyExists", R"(services \"web\" already exists)"), "application/json");
  });
  server.http().Get("/api/v1/namespaces/ns/services/garbage", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("{\"kind\":", "application/json");
  });
  server.start();
  auto client_holder = std::make_unique<Client>(short_timeout_config(server.url()));
  Client& client = *client_holder;

  auto plain = client.get(kServices, "ns", "plain");
  REQUIRE_FALSE(plain.ok());
  CHECK(plain.error().not_found());
  CHECK(plain.error().reason == "NotFound");
  CHECK(plain.error().message == "404 page not found");

  auto exists = client.create(kServices, "ns", "{}");
  REQUIRE_FALSE(exists.ok());
  CHECK(exists.error().already_exists());
  CHECK_FALSE(exists.error().conflict());
  CHECK(exists.error().message == "services \"web\" already exists");

  auto garbage = client.get(kServices, "ns", "garbage");
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error().reason == "BadResponse");
  CHECK(garbage.error().message.find("GET /api/v1/namespaces/ns/services/garbage") != std::string::npos);

  int closed_port = server.port();
  client_holder.reset();  // closes its kept-alive connections so the server stops at once
  server.stop();
  auto config = short_timeout_config("http://127.0.0.1:" + std::to_string(closed_port));
  config.max_retries = 1;
  Client unreachable(config);
  auto down = unreachable.get(kServices, "ns", "web");
  REQUIRE_FALSE(down.ok());
  CHECK(down.error().transport());
  CHECK(down.error().message.find("GET http://127.0.0.1:" + std::to_string(closed_port) +
                                  "/api/v1/namespaces/ns/services/web") == 0);
}

TEST_CASE("429 and 503 honour Retry-After within bounds", "[kube][client]") {
  std::atomic<int> calls{0};
  std::atomic<int> fail_first{0};
  std::string retry_after = "1";
  int status = 429;
  TestServer server;
  server.http().Get(".*", [&](const httplib::Request&, httplib::Response& response) {
    if (calls++ < fail_first) {
      response.status = status;
      if (!retry_after.empty()) response.set_header("Retry-After", retry_after);
      response.set_content(status_json(status, "TooManyRequests", "slow down"), "application/json");
      return;
    }
    response.set_content(object_json("web", "1"), "application/json");
  });
  server.start();
  auto config = short_timeout_config(server.url());
  config.max_retries = 2;
  Client client(config);

  SECTION("waits the given seconds, then succeeds") {
    fail_first = 1;
    auto start = std::chrono::steady_clock::now();
    auto result = client.get(kServices, "ns", "web");
    REQUIRE(result.ok());
    CHECK(calls == 2);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::seconds(1));
  }
  SECTION("503 too") {
    status = 503;
    retry_after = "0";
    fail_first = 2;
    REQUIRE(client.get(kServices, "ns", "web").ok());
    CHECK(calls == 3);
  }
  SECTION("gives up after max_retries and reports Retry-After") {
    retry_after = "0";
    fail_first = 100;
    auto result = client.get(kServices, "ns", "web");
    REQUIRE_FALSE(result.ok());
    CHECK(calls == 3);
    CHECK(result.error().too_many_requests());
    REQUIRE(result.error().retry_after);
    CHECK(result.error().retry_after->count() == 0);
  }
  SECTION("without Retry-After there is no retry") {
    retry_after.clear();
    fail_first = 1;
    auto result = client.get(kServices, "ns", "web");
    REQUIRE_FALSE(result.ok());
    CHECK(calls == 1);
    CHECK(result.error().code == 429);
  }
}

TEST_CASE("retry_on_conflict re-reads and retries only conflicts", "[kube][client]") {
  std::atomic<int> puts{0};
  std::atomic<int> conflicts{2};
  std::atomic<int> version{1};
  TestServer server;
  server.http().Get(".*", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(object_json("web", std::to_string(version.load())), "application/json");
  });
  server.http().Put(".*", [&](const httplib::Request& request, httplib::Response& response) {
    ++puts;
    if (conflicts > 0) {
      --conflicts;
      ++version;  // someone else wrote in between
      response.status = 409;
      response.set_content(status_json(409, "Conflict", "Operation cannot be fulfilled on services \\\"web\\\": the object has been modified; please apply your changes to the latest version and try again"),
                           "application/json");
      return;
    }
    response.set_content(object_json("web", std::to_string(++version)), "application/json");
  });
  server.start();
  Client client(short_timeout_config(server.url()));
  int mutations = 0;
  auto mutation = [&]() -> Result<ObjectPtr> {
    ++mutations;
    auto current = client.get(kServices, "ns", "web");
    if (!current) return current.error();
    return client.update(kServices, "ns", "web", current.value()->to_json());
  };

  SECTION("succeeds on the third try") {
    auto result = retry_on_conflict(5, mutation);
    REQUIRE(result.ok());
    CHECK(mutations == 3);
    CHECK(puts == 3);
    CHECK(result.value()->resource_version() == "4");
  }
  SECTION("returns the conflict when attempts run out") {
    auto result = retry_on_conflict(2, mutation);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().conflict());
    CHECK(result.error().message.find("the object has been modified") != std::string::npos);
    CHECK(mutations == 2);
  }
  SECTION("other errors are not retried") {
    int calls = 0;
    auto result = retry_on_conflict(5, [&]() -> Result<ObjectPtr> {
      ++calls;
      return ApiError{422, "Invalid", "bad", {}, {}};
    });
    REQUIRE_FALSE(result.ok());
    CHECK(calls == 1);
  }
}

TEST_CASE("exec plugin credentials: caching, expiry and re-exec after 401", "[kube][client][exec]") {
  TempDir dir;
  auto script = dir.write("bin/credential", R"(#!/bin/sh
echo run >> "$COUNT_FILE"
n=$(wc -l < "$COUNT_FILE" | tr -d ' ')
printf '%s' "$KUBERNETES_EXEC_INFO" > "$INFO_FILE"
if [ -n "$FAIL" ]; then echo "cannot reach identity provider" >&2; exit 3; fi
if [ "$1" = "--cert" ]; then
  echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"tok-'$n'"}}'
else
  echo '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"tok-'$n'","expirationTimestamp":"'$EXPIRY'"}}'
fi
)",
                           true);
  std::atomic<int> accept_from{1};
  std::mutex mutex;
  std::vector<std::string> tokens;
  TestServer server;
  server.http().Get(".*", [&](const httplib::Request& request, httplib::Response& response) {
    std::string token = request.get_header_value("Authorization");
    {
      std::lock_guard lock(mutex);
      tokens.push_back(token);
    }
    int n = std::atoi(token.c_str() + std::string("Bearer tok-").size());
    if (token.rfind("Bearer tok-", 0) != 0 || n < accept_from) {
      response.status = 401;
      response.set_content(status_json(401, "Unauthorized", "Unauthorized"), "application/json");
      return;
    }
    response.set_content(object_json("web", "1"), "application/json");
  });
  server.start();

  auto config = short_timeout_config(server.url());
  config.token.clear();
  config.ca_pem = "not used over http";
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = script;
  exec.env = {{"COUNT_FILE", dir.file("count")}, {"INFO_FILE", dir.file("info")}, {"EXPIRY", "2999-01-01T00:00:00Z"}};
  exec.provide_cluster_info = true;
  auto runs = [&] { return std::count(std::istreambuf_iterator<char>(*std::make_unique<std::ifstream>(dir.file("count"))),
                                      std::istreambuf_iterator<char>(), '\n'); };

  SECTION("a token valid until 2999 is fetched once; the plugin sees KUBERNETES_EXEC_INFO") {
    config.exec = exec;
    Client client(config);
    for (int i = 0; i < 3; ++i) REQUIRE(client.get(kServices, "ns", "web").ok());
    CHECK(runs() == 1);
    CHECK(client.credential_refreshes() == 1);
    std::string info = read_text(dir.file("info"));
    CHECK(info.find(R"("kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1")") != std::string::npos);
    CHECK(info.find(R"("interactive":false)") != std::string::npos);
    CHECK(info.find(R"("cluster":{"server":")" + server.url() + "\"") != std::string::npos);
    CHECK(info.find(R"("certificate-authority-data":"bm90IHVzZWQgb3ZlciBodHRw")") != std::string::npos);
  }
  SECTION("an expired credential is fetched again for each request") {
    exec.env[2].second = "2001-01-01T00:00:00Z";
    config.exec = exec;
    Client client(config);
    for (int i = 0; i < 3; ++i) REQUIRE(client.get(kServices, "ns", "web").ok());
    CHECK(runs() == 3);
  }
  SECTION("a 401 re-runs the plugin once and retries") {
    accept_from = 2;
    config.exec = exec;
    Client client(config);
    REQUIRE(client.get(kServices, "ns", "web").ok());
    CHECK(runs() == 2);
    std::lock_guard lock(mutex);
    CHECK(tokens == std::vector<std::string>{"Bearer tok-1", "Bearer tok-2"});
  }
  SECTION("v1beta1 without expiry; apiVersion must match the kubeconfig") {
    exec.args = {"--cert"};
    exec.api_version = "client.authentication.k8s.io/v1beta1";
    config.exec = exec;
    Client client(config);
    REQUIRE(client.get(kServices, "ns", "web").ok());
    exec.api_version = "client.authentication.k8s.io/v1";
    config.exec = exec;
    Client mismatched(config);
    auto result = mismatched.get(kServices, "ns", "web");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message.find("apiVersion \"client.authentication.k8s.io/v1beta1\" does not match") !=
          std::string::npos);
  }
  SECTION("a failing plugin's stderr and install hint reach the error") {
    exec.env.emplace_back("FAIL", "1");
    exec.install_hint = "install credential from example.com";
    config.exec = exec;
    Client client(config);
    auto result = client.get(kServices, "ns", "web");
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().message == "exec plugin " + script +
                                        ": exited with status 3: cannot reach identity provider (install credential "
                                        "from example.com)");
  }
}

TEST_CASE("token files are re-read on schedule and after a 401", "[kube][client]") {
  TempDir dir;
  dir.write("token", "old\n");
  std::string accepted = "Bearer new";
  TestServer server;
  server.http().Get(".*", [&](const httplib::Request& request, httplib::Response& response) {
    if (request.get_header_value("Authorization") != accepted) {
      response.status = 401;
      response.set_content(status_json(401, "Unauthorized", "Unauthorized"), "application/json");
      return;
    }
    response.set_content(object_json("web", "1"), "application/json");
  });
  server.start();
  auto config = short_timeout_config(server.url());
  config.token.clear();
  config.token_file = dir.file("token");

  SECTION("after a 401 the file is read again") {
    Client client(config);
    auto first = client.get(kServices, "ns", "web");
    REQUIRE_FALSE(first.ok());
    CHECK(first.error().unauthorized());
    dir.write("token", "new\n");
    REQUIRE(client.get(kServices, "ns", "web").ok());
  }
  SECTION("with a zero refresh period every request reads it") {
    config.token_file_refresh = std::chrono::seconds(0);
    accepted = "Bearer old";
    Client client(config);
    REQUIRE(client.get(kServices, "ns", "web").ok());
    dir.write("token", "new\n");
    accepted = "Bearer new";
    REQUIRE(client.get(kServices, "ns", "web").ok());
  }
}

TEST_CASE("watch streams: events, cuts, stop and HTTP errors", "[kube][client][watch]") {
  std::atomic<bool> release{false};
  std::atomic<int> requests{0};
  std::string mode;
  std::string target;
  TestServer server;
  ReleaseOnExit guard{release};
  server.http().Get(".*", [&](const httplib::Request& request, httplib::Response& response) {
    ++requests;
    target = request.target;
    if (mode == "gone") {
      response.status = 410;
      response.set_content(status_json(410, "Expired", "too old resource version: 1 (50)"), "application/json");
      return;
    }
    response.set_chunked_content_provider("application/json", [&](size_t, httplib::DataSink& sink) {
      if (mode == "cut") {
        std::string data = R"({"type":"ADDED","object":)" + object_json("a", "11") + "}\n" + R"({"type":"MODIFIED","obj)";
        sink.write(data.data(), data.size());
        return false;  // drops the connection mid-event, without the last chunk
      }
      // idle: one event, then nothing until released
      std::string data = R"({"type":"ADDED","object":)" + object_json("a", "11") + "}\n";
      sink.write(data.data(), data.size());
      while (!release && sink.is_writable()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      sink.done();
      return true;
    });
  });
  server.start();
  Client client(short_timeout_config(server.url()));
  std::vector<WatchEvent> events;
  auto collect = [&](WatchEvent&& event) { events.push_back(std::move(event)); };
  WatchOptions options;
  options.resource_version = "10";
  options.label_selector = "app in (web)";
  options.timeout_seconds = 290;

  SECTION("a stream cut mid-event delivers what was complete and reports the break") {
    mode = "cut";
    std::atomic<bool> stop{false};
    auto end = client.watch(kServices, "ns", options, collect, stop);
    REQUIRE_FALSE(end.ok());
    CHECK(end.error().transport());
    CHECK(end.error().message.find("watch stream broke") != std::string::npos);
    REQUIRE(events.size() == 1);
    CHECK(events[0].object->resource_version() == "11");
    CHECK(target ==
          "/api/v1/namespaces/ns/services?watch=true&resourceVersion=10&labelSelector=app%20in%20%28web%29&"
          "allowWatchBookmarks=true&timeoutSeconds=290");
  }
  SECTION("stop ends an idle stream promptly") {
    mode = "idle";
    std::atomic<bool> stop{false};
    Result<WatchEnd> end = ApiError{};
    std::mutex seen_mutex;
    std::condition_variable seen_event;
    std::thread watcher([&] {
      end = client.watch(kServices, "ns", options,
                         [&](WatchEvent&& event) {
                           std::lock_guard lock(seen_mutex);
                           events.push_back(std::move(event));
                           seen_event.notify_all();
                         },
                         stop);
    });
    {
      std::unique_lock lock(seen_mutex);
      seen_event.wait(lock, [&] { return !events.empty(); });
    }
    stop = true;
    watcher.join();
    REQUIRE(end.ok());
    CHECK(end.value().reason == WatchEnd::Reason::Stopped);
    CHECK(end.value().last_resource_version == "11");
    CHECK(end.value().events == 1);
  }
  SECTION("HTTP 410 when starting") {
    mode = "gone";
    std::atomic<bool> stop{false};
    auto end = client.watch(kServices, "ns", options, collect, stop);
    REQUIRE_FALSE(end.ok());
    CHECK(end.error().gone());
    CHECK(end.error().message == "too old resource version: 1 (50)");
    CHECK(events.empty());
  }
}

TEST_CASE("connections are reused and concurrent callers do not wait for each other", "[kube][client][pool]") {
  std::mutex mutex;
  std::condition_variable changed;
  int in_flight = 0, most = 0;
  bool gather = true, gathered = false;
  TestServer server;
  server.http().Get(".*", [&](const httplib::Request&, httplib::Response& response) {
    std::unique_lock lock(mutex);
    ++in_flight;
    most = std::max(most, in_flight);
    if (in_flight >= 4) gathered = true;
    changed.notify_all();
    // Hold every request until four are inside at once (bounded, so a
    // serialising client fails the check instead of hanging).
    if (gather) changed.wait_for(lock, std::chrono::seconds(5), [&] { return gathered || !gather; });
    --in_flight;
    response.set_content(object_json("web", "1"), "application/json");
  });
  server.start();
  Client client(short_timeout_config(server.url()));

  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] { ok += client.get(kServices, "ns", "web").ok() ? 1 : 0; });
  }
  for (auto& caller : callers) caller.join();
  CHECK(ok == 4);
  CHECK(most == 4);
  CHECK(client.connections_opened() == 4);
  {
    std::lock_guard lock(mutex);
    gather = false;
  }
  for (int i = 0; i < 10; ++i) REQUIRE(client.get(kServices, "ns", "web").ok());
  CHECK(client.connections_opened() == 4);  // kept-alive connections reused
}

TEST_CASE("TLS: CA from PEM data, tls-server-name, client certificates", "[kube][client][tls]") {
  TempDir dir;
  TestPki pki(dir);
  REQUIRE(pki.ok);

  SECTION("server verification") {
    TestServer server(std::make_unique<httplib::SSLServer>(pki.path("server.crt").c_str(), pki.path("server.key").c_str()));
    server.http().Get(".*", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(object_json("web", "1"), "application/json");
    });
    server.start();
    auto config = short_timeout_config(server.url("https"));
    config.max_retries = 0;
    config.ca_pem = pki.pem("ca.crt");

    // The certificate names kube.test only, so 127.0.0.1 fails verification...
    Client by_address(config);
    auto mismatch = by_address.get(kServices, "ns", "web");
    REQUIRE_FALSE(mismatch.ok());
    CHECK(mismatch.error().transport());
    // ...and tls-server-name makes it pass.
    config.tls_server_name = "kube.test";
    Client by_name(config);
    auto verified = by_name.get(kServices, "ns", "web");
    INFO((verified ? "" : verified.error().to_string()));
    REQUIRE(verified.ok());
    std::atomic<bool> stop{false};
    // A watch over the same TLS setup (the server ends the response at once).
    auto watched = by_name.watch(kServices, "ns", {}, [](WatchEvent&&) {}, stop);
    CHECK_FALSE(watched.ok());  // an object is not a watch event line
    CHECK(watched.error().reason == "BadResponse");

    auto other_ca = config;
    other_ca.ca_pem = pki.pem("other.crt");
    Client untrusted(other_ca);
    CHECK_FALSE(untrusted.get(kServices, "ns", "web").ok());
    {
      // The kubeconfig CA replaces the system trust store, as in kubectl:
      // a server the system would trust is still refused.
      EnvOverride system_store("SSL_CERT_FILE", pki.path("ca.crt"));
      Client only_kubeconfig_ca(other_ca);
      CHECK_FALSE(only_kubeconfig_ca.get(kServices, "ns", "web").ok());
    }

    auto insecure = config;
    insecure.ca_pem.clear();
    insecure.tls_server_name.clear();
    insecure.insecure_skip_tls_verify = true;
    Client skip(insecure);
    CHECK(skip.get(kServices, "ns", "web").ok());

    auto no_pem = config;
    no_pem.ca_pem = "garbage";
    Client bad(no_pem);
    auto bad_result = bad.get(kServices, "ns", "web");
    REQUIRE_FALSE(bad_result.ok());
    CHECK(bad_result.error().message.find("certificate-authority holds no PEM certificate") != std::string::npos);
  }

  SECTION("client certificate from PEM data") {
    TestServer server(std::make_unique<httplib::SSLServer>(pki.path("server.crt").c_str(), pki.path("server.key").c_str(),
                                                           pki.path("ca.crt").c_str()));
    server.http().Get(".*", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(object_json("web", "1"), "application/json");
    });
    server.start();
    auto config = short_timeout_config(server.url("https"));
    config.max_retries = 0;
    config.token.clear();
    config.ca_pem = pki.pem("ca.crt");
    config.tls_server_name = "kube.test";
    Client anonymous(config);
    CHECK_FALSE(anonymous.get(kServices, "ns", "web").ok());
    auto with_exec = config;
    config.client_cert_pem = pki.pem("client.crt");
    config.client_key_pem = pki.pem("client.key");
    Client authenticated(config);
    auto result = authenticated.get(kServices, "ns", "web");
    INFO((result ? "" : result.error().to_string()));
    CHECK(result.ok());

    // The same certificate handed out by an exec plugin as PEM in JSON.
    auto plugin = dir.write("cert-plugin", R"SH(#!/bin/sh
pem() { awk '{printf "%s\\n", $0}' "$1"; }
printf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"%s","clientKeyData":"%s"}}' "$(pem "$CERT")" "$(pem "$KEY")"
)SH",
                            true);
    ExecConfig exec;
    exec.api_version = "client.authentication.k8s.io/v1";
    exec.command = plugin;
    exec.env = {{"CERT", pki.path("client.crt")}, {"KEY", pki.path("client.key")}};
    with_exec.exec = exec;
    Client by_plugin(with_exec);
    auto plugin_result = by_plugin.get(kServices, "ns", "web");
    INFO((plugin_result ? "" : plugin_result.error().to_string()));
    CHECK(plugin_result.ok());
    CHECK(by_plugin.get(kServices, "ns", "web").ok());
    CHECK(by_plugin.credential_refreshes() == 1);
    CHECK(by_plugin.connections_opened() == 1);
  }
}
