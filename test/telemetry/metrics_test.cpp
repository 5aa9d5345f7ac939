#include <catch2/catch.hpp>

#include "switchyard/telemetry/metrics.h"

using namespace switchyard::metrics;

TEST_CASE("counters and gauges render in Prometheus text format", "[telemetry]") {
  Registry registry;
  registry.counter("switchyard_reports_total", "Reports received.", {{"cluster", "east"}}).inc(3);
  registry.counter("switchyard_reports_total", "Reports received.", {{"cluster", "west"}}).inc();
  registry.gauge("switchyard_agents_connected", "Connected agents.").set(2);
  CHECK(registry.render() ==
        "# HELP switchyard_agents_connected Connected agents.\n"
        "# TYPE switchyard_agents_connected gauge\n"
        "switchyard_agents_connected 2\n"
        "# HELP switchyard_reports_total Reports received.\n"
        "# TYPE switchyard_reports_total counter\n"
        "switchyard_reports_total{cluster=\"east\"} 3\n"
        "switchyard_reports_total{cluster=\"west\"} 1\n");
}

TEST_CASE("the same name and labels give the same series", "[telemetry]") {
  Registry registry;
  auto& first = registry.counter("c", "h", {{"k", "v"}});
  auto& second = registry.counter("c", "h", {{"k", "v"}});
  CHECK(&first == &second);
  CHECK_THROWS_AS(registry.gauge("c", "h"), std::logic_error);
}

TEST_CASE("histograms count cumulatively with sum and count", "[telemetry]") {
  Registry registry;
  auto& latency = registry.histogram("d_seconds", "Decision latency.", {0.01, 0.1});
  latency.observe(0.005);
  latency.observe(0.05);
  latency.observe(3);
  CHECK(registry.render() ==
        "# HELP d_seconds Decision latency.\n"
        "# TYPE d_seconds histogram\n"
        "d_seconds_bucket{le=\"0.01\"} 1\n"
        "d_seconds_bucket{le=\"0.1\"} 2\n"
        "d_seconds_bucket{le=\"+Inf\"} 3\n"
        "d_seconds_sum 3.055\n"
        "d_seconds_count 3\n");
}

TEST_CASE("label values are escaped", "[telemetry]") {
  Registry registry;
  registry.gauge("g", "h", {{"error", "a \"b\"\nc\\"}}).set(1.5);
  CHECK_THAT(registry.render(), Catch::Contains("g{error=\"a \\\"b\\\"\\nc\\\\\"} 1.5\n"));
}
