#include <catch2/catch.hpp>

#include <httplib.h>

#include <atomic>

#include "switchyard/telemetry/health_server.h"

using namespace switchyard;

TEST_CASE("the health server serves metrics and both probes", "[telemetry]") {
  metrics::Registry registry;
  registry.counter("switchyard_test_total", "A test counter.").inc(5);
  std::atomic<bool> ready{false};
  telemetry::HealthServer server(
      registry, [] { return telemetry::Probe{}; },
      [&] { return ready ? telemetry::Probe{} : telemetry::Probe{false, "waiting for the first assignment"}; });
  std::string error;
  REQUIRE(server.start("127.0.0.1:0", error));
  httplib::Client client("127.0.0.1", server.port());

  const auto metrics = client.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK_THAT(metrics->body, Catch::Contains("switchyard_test_total 5"));
  CHECK(metrics->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");

  CHECK(client.Get("/healthz")->status == 200);
  const auto not_ready = client.Get("/readyz");
  CHECK(not_ready->status == 503);
  CHECK(not_ready->body == "waiting for the first assignment\n");
  ready = true;
  CHECK(client.Get("/readyz")->status == 200);
}

TEST_CASE("listen addresses parse as host:port or :port", "[telemetry]") {
  std::string host;
  int port = 0;
  CHECK(telemetry::split_listen_address(":9090", host, port));
  CHECK(host == "0.0.0.0");
  CHECK(port == 9090);
  CHECK(telemetry::split_listen_address("127.0.0.1:0", host, port));
  CHECK(host == "127.0.0.1");
  CHECK(telemetry::split_listen_address("[::1]:8443", host, port));
  CHECK(host == "::1");
  CHECK_FALSE(telemetry::split_listen_address("9090", host, port));
  CHECK_FALSE(telemetry::split_listen_address(":http", host, port));
  CHECK_FALSE(telemetry::split_listen_address(":70000", host, port));
}
