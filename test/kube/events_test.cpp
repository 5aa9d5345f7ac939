// The event recorder against an in-test server that stores Events the way
// the API does (create, merge patch, AlreadyExists, NotFound).
#include <catch2/catch.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <regex>

#include <rapidjson/document.h>

#include "json_util.h"
#include "switchyard/kube/events.h"
#include "test_server.h"

using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

struct StoredEvent {
  std::string ns, body;
  std::int64_t count = 0;
  std::string last_timestamp;
};

class EventServer {
 public:
  EventServer() {
    server_.http().Post(R"(/api/v1/namespaces/([^/]+)/events)", [this](const httplib::Request& request,
                                                                      httplib::Response& response) {
      std::unique_lock lock(mutex_);
      ++posts_;
      changed_.notify_all();
      changed_.wait(lock, [&] { return !hold_; });
      rapidjson::Document body;
      body.Parse(request.body.c_str());
      std::string name = json::string_member(body["metadata"], "name");
      if (events_.count(name) != 0) {
        response.status = 409;
        response.set_content(R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"AlreadyExists","code":409,"message":"exists"})",
                             "application/json");
        return;
      }
      events_[name] = StoredEvent{request.matches[1], request.body, body["count"].GetInt64(),
                                  json::string_member(body, "lastTimestamp")};
      order_.push_back(name);
      response.status = 201;
      response.set_content(request.body, "application/json");
    });
    server_.http().Patch(R"(/api/v1/namespaces/([^/]+)/events/([^/]+))", [this](const httplib::Request& request,
                                                                                httplib::Response& response) {
      std::lock_guard lock(mutex_);
      ++patches_;
      auto found = events_.find(request.matches[2]);
      if (found == events_.end() || request.get_header_value("Content-Type") != "application/merge-patch+json") {
        response.status = 404;
        response.set_content(R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"NotFound","code":404,"message":"gone"})",
                             "application/json");
        return;
      }
      rapidjson::Document patch;
      patch.Parse(request.body.c_str());
      found->second.count = patch["count"].GetInt64();
      found->second.last_timestamp = patch["lastTimestamp"].GetString();
      response.set_content(found->second.body, "application/json");
    });
    server_.start();
  }
  ~EventServer() { release(); }

  std::string url() const { return server_.url(); }
  void hold() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      hold_ = false;
    }
    changed_.notify_all();
  }
  void wait_for_posts(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return posts_ >= n; });
  }
  void forget_all() {
    std::lock_guard lock(mutex_);
    events_.clear();
  }
  std::map<std::string, StoredEvent> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }
  std::vector<std::string> order() {
    std::lock_guard lock(mutex_);
    return order_;
  }
  int posts() {
    std::lock_guard lock(mutex_);
    return posts_;
  }
  int patches() {
    std::lock_guard lock(mutex_);
    return patches_;
  }

 private:
  std::mutex mutex_;  // guards everything below
  std::condition_variable changed_;
  bool hold_ = false;
  int posts_ = 0, patches_ = 0;
  std::map<std::string, StoredEvent> events_;
  std::vector<std::string> order_;
  TestServer server_;  // last: stops before the state it uses goes away
};

ClusterConfig config_for(const std::string& url) {
  ClusterConfig config;
  config.server = url;
  config.token = "t";
  return config;
}

// 2026-11-25T03:00:00Z plus whatever the test adds.
struct FakeClock {
  std::chrono::system_clock::time_point now = std::chrono::system_clock::from_time_t(1795575600);
};

const EventTarget kWeb{kFailoverServices, "emojivoto", "web", "uid-1", "", ""};

}  // namespace

TEST_CASE("repeats of one event are aggregated into count and lastTimestamp", "[kube][events]") {
  EventServer server;
  Client client(config_for(server.url()));
  FakeClock clock;
  EventRecorderOptions options;
  options.now = [&] { return clock.now; };
  EventRecorder recorder(client, "switchyard-hub", "hub-0", options);

  recorder.record(kWeb, EventType::Warning, "FailedOver", "web moved to cluster east");
  clock.now += std::chrono::seconds(5);
  recorder.record(kWeb, EventType::Warning, "FailedOver", "web moved to cluster east");
  clock.now += std::chrono::seconds(5);
  recorder.record(kWeb, EventType::Warning, "FailedOver", "web moved to cluster east");
  recorder.record(kWeb, EventType::Normal, "Restored", "web back on cluster west");
  REQUIRE(recorder.flush(std::chrono::seconds(10)));

  CHECK(recorder.written() == 4);
  CHECK(recorder.failed() == 0);
  CHECK(server.posts() == 2);
  CHECK(server.patches() == 2);
  auto events = server.events();
  auto order = server.order();
  REQUIRE(order.size() == 2);
  const StoredEvent& failed_over = events.at(order[0]);
  // client-go's name: "<object>.<unix nanoseconds of the first occurrence, hex>"
  CHECK(order[0] == "web.18eb2a7ead5be000");
  CHECK(std::regex_match(order[1], std::regex("web\\.[0-9a-f]+")));
  CHECK(failed_over.ns == "emojivoto");
  CHECK(failed_over.count == 3);
  CHECK(failed_over.last_timestamp == "2026-11-25T03:00:10Z");
  rapidjson::Document body;
  body.Parse(failed_over.body.c_str());
  REQUIRE(body.IsObject());
  CHECK(json::string_member(body, "type") == "Warning");
  CHECK(json::string_member(body, "reason") == "FailedOver");
  CHECK(json::string_member(body, "message") == "web moved to cluster east");
  CHECK(json::string_member(body, "firstTimestamp") == "2026-11-25T03:00:00Z");
  CHECK(json::string_member(body["involvedObject"], "kind") == "FailoverService");
  CHECK(json::string_member(body["involvedObject"], "apiVersion") == "switchyard.io/v1alpha1");
  CHECK(json::string_member(body["involvedObject"], "namespace") == "emojivoto");
  CHECK(json::string_member(body["involvedObject"], "uid") == "uid-1");
  CHECK(json::string_member(body["source"], "component") == "switchyard-hub");
  CHECK(json::string_member(body["source"], "host") == "hub-0");
  CHECK(json::string_member(body, "reportingInstance") == "hub-0");
  CHECK(events.at(order[1]).count == 1);
}

TEST_CASE("events about cluster-scoped objects go to default, expired events are recreated", "[kube][events]") {
  EventServer server;
  Client client(config_for(server.url()));
  EventRecorder recorder(client, "switchyard-hub", "hub-0");
  EventTarget east{kMemberClusters, "", "east", "uid-e", "", ""};
  recorder.record(east, EventType::Warning, "Unreachable", "no report for 30s");
  REQUIRE(recorder.flush(std::chrono::seconds(10)));
  REQUIRE(server.order().size() == 1);
  CHECK(server.events().begin()->second.ns == "default");

  server.forget_all();  // the API server's event TTL ran out
  recorder.record(east, EventType::Warning, "Unreachable", "no report for 30s");
  REQUIRE(recorder.flush(std::chrono::seconds(10)));
  CHECK(server.posts() == 2);
  CHECK(server.patches() == 1);
  auto events = server.events();
  REQUIRE(events.size() == 1);
  CHECK(events.begin()->second.count == 1);
  CHECK(recorder.written() == 2);
}

TEST_CASE("record never waits for the server and drops past the queue bound", "[kube][events]") {
  EventServer server;
  server.hold();
  Client client(config_for(server.url()));
  EventRecorderOptions options;
  options.queue_capacity = 3;
  EventRecorder recorder(client, "switchyard-agent", "agent-0", options);

  recorder.record(kWeb, EventType::Normal, "Reported", "message 0");
  server.wait_for_posts(1);  // the writer is now stuck in the server
  // Were record() waiting on the network, this loop would never end.
  for (int i = 1; i <= 10; ++i) recorder.record(kWeb, EventType::Normal, "Reported", "message " + std::to_string(i));
  CHECK(recorder.dropped() == 7);
  CHECK(recorder.written() == 0);
  server.release();
  REQUIRE(recorder.flush(std::chrono::seconds(10)));
  CHECK(recorder.written() == 4);
  CHECK(server.posts() == 4);
}

TEST_CASE("stop writes what is queued, then refuses new events", "[kube][events]") {
  EventServer server;
  Client client(config_for(server.url()));
  auto recorder = std::make_unique<EventRecorder>(client, "switchyard-hub", "hub-0");
  for (int i = 0; i < 5; ++i) recorder->record(kWeb, EventType::Normal, "Step", "step " + std::to_string(i));
  recorder->stop();
  CHECK(recorder->written() == 5);
  recorder->record(kWeb, EventType::Normal, "Late", "after stop");
  CHECK(recorder->dropped() == 1);
  recorder->stop();  // idempotent
  recorder.reset();
  CHECK(server.posts() == 5);
}

TEST_CASE("stop gives up on queued events after the drain time", "[kube][events]") {
  EventServer server;
  server.hold();
  Client client(config_for(server.url()));
  EventRecorderOptions options;
  options.stop_drain = std::chrono::milliseconds(0);
  EventRecorder recorder(client, "switchyard-hub", "hub-0", options);
  recorder.record(kWeb, EventType::Normal, "Step", "first");
  server.wait_for_posts(1);
  recorder.record(kWeb, EventType::Normal, "Step", "second");
  recorder.record(kWeb, EventType::Normal, "Step", "third");
  std::thread releaser([&] {
    // Gives stop() time to begin; if it has not, the accounting below still holds.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server.release();
  });
  recorder.stop();  // returns once the in-flight write ends; the queued ones are dropped
  releaser.join();
  CHECK(recorder.written() >= 1);
  CHECK(recorder.written() + recorder.dropped() == 3);
  CHECK(server.posts() == static_cast<int>(recorder.written()));
}

TEST_CASE("long messages are cut at 1 KiB on a character boundary", "[kube][events]") {
  EventServer server;
  Client client(config_for(server.url()));
  EventRecorder recorder(client, "switchyard-hub", "hub-0");
  std::string message(1023, 'a');
  message += "\xC3\xA9 and more";  // U+00E9 straddles the 1024-byte limit
  recorder.record(kWeb, EventType::Normal, "Long", message);
  REQUIRE(recorder.flush(std::chrono::seconds(10)));
  auto events = server.events();
  REQUIRE(events.size() == 1);
  rapidjson::Document body;
  body.Parse(events.begin()->second.body.c_str());
  REQUIRE(body.IsObject());
  CHECK(json::string_member(body, "message") == std::string(1023, 'a'));
}
