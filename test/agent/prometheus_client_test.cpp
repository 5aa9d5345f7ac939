#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "recorded_prometheus.h"
#include "switchyard/agent/prometheus_client.h"
#include "test_server.h"

using namespace switchyard::agent;
using switchyard::kube::test::TestServer;

namespace {

struct Seen {
  std::mutex mutex;  // guards every field: written on the server's thread
  std::string method, path, content_type, authorization, query;
};

PrometheusConfig config_for(const std::string& url, const std::string& token_file = "") {
  PrometheusConfig config;
  config.url = url;
  config.token_file = token_file;
  return config;
}

std::unique_ptr<PrometheusClient> client_for(PrometheusConfig config) {
  auto created = PrometheusClient::create(std::move(config));
  if (auto* error = std::get_if<std::string>(&created)) FAIL(*error);
  return std::move(std::get<std::unique_ptr<PrometheusClient>>(created));
}

std::string create_error(const std::string& url, const std::string& token_file = "") {
  auto created = PrometheusClient::create(config_for(url, token_file));
  REQUIRE(std::holds_alternative<std::string>(created));
  return std::get<std::string>(created);
}

}  // namespace

TEST_CASE("a query is a form POST to the API under the URL's path prefix, with the bearer token",
          "[agent][prometheus]") {
  const auto answer = switchyard::agent::test::recorded("success_rate");
  Seen seen;
  TestServer server;
  server.http().Post("/prom/api/v1/query", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard lock(seen.mutex);
    seen.method = request.method;
    seen.path = request.path;
    seen.content_type = request.get_header_value("Content-Type");
    seen.authorization = request.get_header_value("Authorization");
    seen.query = request.get_param_value("query");
    response.set_content(answer.body, "application/json");
  });
  server.start();
  const std::string token_path = "/tmp/switchyard-prometheus-token-" + std::to_string(server.port());
  std::ofstream(token_path) << "s3cret\n";

  auto client = client_for(config_for(server.url() + "/prom/", token_path));
  const auto result = client->query(answer.query);
  REQUIRE(std::holds_alternative<PromVector>(result));
  CHECK(std::get<PromVector>(result).samples.size() == 8);
  {
    std::lock_guard lock(seen.mutex);
    CHECK(seen.path == "/prom/api/v1/query");
    CHECK(seen.content_type == "application/x-www-form-urlencoded");
    CHECK(seen.authorization == "Bearer s3cret");
    CHECK(seen.query == answer.query);  // '=~', '|', '"' and spaces survive the form encoding
  }
  SECTION("the token file is read again for every query (projected tokens rotate)") {
    std::ofstream(token_path) << "rotated";
    (void)client->query("up");
    std::lock_guard lock(seen.mutex);
    CHECK(seen.authorization == "Bearer rotated");
  }
  SECTION("a token file gone since the start is an error, and nothing is sent") {
    std::remove(token_path.c_str());
    const auto gone = client->query("up");
    REQUIRE(std::holds_alternative<PromError>(gone));
    CHECK(std::get<PromError>(gone).message == "bearer token " + token_path + ": cannot be read");
  }
  std::remove(token_path.c_str());
}

TEST_CASE("an answer past the size cap is an error, not memory", "[agent][prometheus]") {
  TestServer server;
  server.http().Post("/api/v1/query", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(std::string(4096, ' ') + R"({"status":"success"})", "application/json");
  });
  server.start();
  auto config = config_for(server.url());
  config.max_body_bytes = 1024;
  const auto result = client_for(config)->query("up");
  REQUIRE(std::holds_alternative<PromError>(result));
  CHECK(std::get<PromError>(result).kind == PromErrorKind::Malformed);
  CHECK(std::get<PromError>(result).message == "answer larger than 1024 bytes");
}

TEST_CASE("nothing listening is Unreachable", "[agent][prometheus]") {
  TestServer server;
  server.start();
  const auto url = server.url();
  server.stop();
  auto config = config_for(url);
  config.timeout = std::chrono::milliseconds(500);
  const auto result = client_for(config)->query("up");
  REQUIRE(std::holds_alternative<PromError>(result));
  CHECK(std::get<PromError>(result).kind == PromErrorKind::Unreachable);
  CHECK(std::get<PromError>(result).message.find("prometheus " + url + " unreachable: ") == 0);
}

TEST_CASE("a Prometheus that does not answer within the timeout says so", "[agent][prometheus]") {
  TestServer server;
  server.http().Post("/api/v1/query", [](const httplib::Request&, httplib::Response& response) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    response.set_content(R"({"status":"success","data":{"resultType":"vector","result":[]}})", "application/json");
  });
  server.start();
  auto config = config_for(server.url());
  config.timeout = std::chrono::milliseconds(300);
  const auto result = client_for(config)->query("up");
  REQUIRE(std::holds_alternative<PromError>(result));
  CHECK(std::get<PromError>(result).kind == PromErrorKind::Unreachable);
  CHECK(std::get<PromError>(result).message == "prometheus " + server.url() + " unreachable: no answer within 300 ms");
}

TEST_CASE("a wrong --prometheus-url or token file is refused at start, naming the flag", "[agent][prometheus]") {
  CHECK(create_error("prometheus:9090") == "--prometheus-url: \"prometheus:9090\" has no http:// or https:// scheme");
  CHECK(create_error("ftp://p") == "--prometheus-url: scheme \"ftp\" is not http or https");
  CHECK(create_error("http://") == "--prometheus-url: \"http://\" needs host[:port] without user, query or fragment");
  CHECK(create_error("http://user:pw@p:9090").find("without user") != std::string::npos);
  CHECK(create_error("http://p:9090/x?y=1") == "--prometheus-url: \"http://p:9090/x?y=1\": a path prefix only, no "
                                               "query or fragment");
  CHECK(create_error("http://p:9090", "/nonexistent/token") ==
        "--prometheus-token-file /nonexistent/token: cannot be read");
}

TEST_CASE("prometheus_time gives Unix seconds with milliseconds", "[agent][prometheus]") {
  using std::chrono::milliseconds;
  const std::chrono::system_clock::time_point epoch{};
  CHECK(prometheus_time(epoch + milliseconds(1733450000007)) == "1733450000.007");
  CHECK(prometheus_time(epoch + milliseconds(1733450000120)) == "1733450000.120");
  CHECK(prometheus_time(epoch + milliseconds(999)) == "0.999");
}

TEST_CASE("query_all sends a round's queries at once and answers them in their order", "[agent][prometheus]") {
  std::mutex mutex;  // guards in_flight, most and times
  std::vector<std::string> times;  // each query's evaluation time parameter
  std::condition_variable changed;
  int in_flight = 0;
  int most = 0;
  int expected = 3;  // in flight at once before the server answers any
  TestServer server;
  server.http().Post("/api/v1/query", [&](const httplib::Request& request, httplib::Response& response) {
    std::unique_lock lock(mutex);
    times.push_back(request.get_param_value("time"));
    most = std::max(most, ++in_flight);
    changed.notify_all();
    // Held until `expected` are in: sent one by one, they never are (the wait then ends at its timeout).
    changed.wait_for(lock, std::chrono::seconds(2), [&] { return most >= expected; });
    --in_flight;
    response.set_content(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{"q":")" +
                             request.get_param_value("query") + R"("},"value":[1,"1"]}]}})",
                         "application/json");
  });
  server.start();
  auto client = client_for(config_for(server.url()));
  const auto at = std::chrono::system_clock::time_point{} + std::chrono::milliseconds(1733450000250);
  const auto answers = client->query_all({"a", "b", "c"}, at);
  REQUIRE(answers.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto* vector = std::get_if<PromVector>(&answers[i]);
    REQUIRE(vector);
    REQUIRE(vector->samples.size() == 1);
    CHECK(vector->samples[0].labels.at("q") == std::string(1, static_cast<char>('a' + i)));
  }
  {
    std::lock_guard lock(mutex);
    CHECK(most == 3);
    // One window for the whole round: a share divides two of its answers.
    CHECK(times == std::vector<std::string>(3, "1733450000.250"));
  }
  CHECK(client->query_all({}, at).empty());

  SECTION("more queries than connections: at most kMaxConcurrentQueries at once, every answer in its place") {
    std::vector<std::string> many;
    for (char c = 'a'; c <= 'j'; ++c) many.emplace_back(1, c);
    {
      std::lock_guard lock(mutex);
      most = 0;
      expected = static_cast<int>(kMaxConcurrentQueries);
    }
    const auto all = client->query_all(many, at);
    REQUIRE(all.size() == many.size());
    for (std::size_t i = 0; i < many.size(); ++i) {
      CHECK(std::get<PromVector>(all[i]).samples.at(0).labels.at("q") == many[i]);
    }
    std::lock_guard lock(mutex);
    CHECK(most == static_cast<int>(kMaxConcurrentQueries));
  }
}
