// The report's data-plane measurements (docs/protocol.md, "Data-plane
// measurements"): round trip, rounding, old peers, hostile values.
#include <catch2/catch.hpp>

#include "switchyard/protocol/codec.h"

using namespace switchyard::protocol;

namespace {

Report measured_report() {
  Report report;
  report.agent_id = "west-1";
  report.seq = 3;
  report.full = true;
  ServiceHealth web{{"emojivoto", "web-svc", ServiceRole::Local}, true, 2, 2, std::nullopt};
  web.data_plane = DataPlaneMeasurement{12.0, 0.41, 810.0, {{"errors", 0.0123}, {"queue-depth", -4}}, "", std::nullopt, std::nullopt};
  ServiceHealth voting{{"emojivoto", "voting-svc", ServiceRole::Local}, true, 1, 1, std::nullopt};
  voting.data_plane = DataPlaneMeasurement{std::nullopt, std::nullopt, std::nullopt, {},
                                           "Prometheus unreachable: connection refused", std::nullopt,
                                           std::nullopt};
  report.services = {web, voting};
  report.data_plane = Report::DataPlaneRound{17, 1'700'000'000'000};
  return report;
}

std::string with_service_data_plane(const std::string& data_plane) {
  return R"({"agentId":"a","seq":1,"full":true,"services":[{"namespace":"n","name":"s","role":"local",)"
         R"("exists":true,"readyEndpoints":1,"totalEndpoints":1,"dataPlane":)" +
         data_plane + "}]}";
}

}  // namespace

TEST_CASE("data-plane measurements survive encode then decode", "[protocol][dataplane]") {
  const auto report = measured_report();
  const auto decoded = decode_report(encode_report(report));
  INFO(decoded.errors.size());
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == report);
}

TEST_CASE("a report without data-plane fields (an older agent) decodes with none", "[protocol][dataplane]") {
  const auto decoded = decode_report(
      R"({"agentId":"a","seq":1,"full":true,"services":[{"namespace":"n","name":"s","role":"local",)"
      R"("exists":true,"readyEndpoints":1,"totalEndpoints":1}]})");
  REQUIRE(decoded.ok());
  CHECK_FALSE(decoded.value->data_plane);
  CHECK_FALSE(decoded.value->services[0].data_plane);
}

TEST_CASE("rounding keeps noise from making every evaluation a change", "[protocol][dataplane]") {
  const auto a = round_data_plane({12.34, 0.95123, 812.4, {}, "", std::nullopt, std::nullopt});
  const auto b = round_data_plane({12.41, 0.95177, 807.9, {}, "", std::nullopt, std::nullopt});
  CHECK(a == b);
  CHECK(a.request_rate == Approx(12.0));
  CHECK(a.success_rate == Approx(0.951));
  CHECK(a.latency_ms == Approx(810.0));
  // Down, never up over a minimum: 0.9499 stays under 0.95.
  CHECK(*round_data_plane({10, 0.9499, std::nullopt, {}, "", std::nullopt, std::nullopt}).success_rate < 0.95);
  CHECK(round_data_plane({0.2345, 1.0, 3.0, {}, "", std::nullopt, std::nullopt}).request_rate == Approx(0.23));
  CHECK(round_data_plane({0.0, std::nullopt, std::nullopt, {}, "", std::nullopt, std::nullopt}).request_rate == 0.0);
  CHECK(round_data_plane({1, 1, 1, {}, std::string(2000, 'x'), std::nullopt, std::nullopt}).error.size() == kMaxDataPlaneErrorLength);
  // Custom checks' values: three significant digits, either sign.
  const auto custom = round_data_plane({std::nullopt, std::nullopt, std::nullopt, {{"a", 0.012345}, {"b", -98765}}, "", std::nullopt,
                                          std::nullopt});
  CHECK(custom.queries.at("a") == Approx(0.0123));
  CHECK(custom.queries.at("b") == Approx(-98800));
}

TEST_CASE("hostile data-plane values are refused with the field named", "[protocol][dataplane]") {
  const auto message_of = [](const std::string& body) {
    const auto decoded = decode_report(body);
    REQUIRE_FALSE(decoded.ok());
    std::string all;
    for (const auto& error : decoded.errors) all += error.to_string() + "\n";
    return all;
  };
  CHECK_THAT(message_of(with_service_data_plane(R"({"successRate":1.5})")),
             Catch::Contains("services[0].dataPlane.successRate: must be within 0..1"));
  CHECK_THAT(message_of(with_service_data_plane(R"({"requestRate":-1})")),
             Catch::Contains("services[0].dataPlane.requestRate"));
  CHECK_THAT(message_of(with_service_data_plane(R"({"latencyMs":"fast"})")),
             Catch::Contains("services[0].dataPlane.latencyMs: must be a number"));
  CHECK_THAT(message_of(with_service_data_plane(R"([])")), Catch::Contains("services[0].dataPlane: must be an object"));
  CHECK_THAT(message_of(with_service_data_plane(R"({"error":")" + std::string(600, 'e') + R"("})")),
             Catch::Contains("services[0].dataPlane.error: at most 512 characters"));
  CHECK_THAT(message_of(R"({"agentId":"a","seq":1,"full":true,"services":[],"dataPlane":{"evaluation":-3}})"),
             Catch::Contains("dataPlane.evaluation"));
  CHECK_THAT(message_of(R"({"agentId":"a","seq":1,"full":true,"services":[],"dataPlane":{}})"),
             Catch::Contains("dataPlane.evaluation"));
  // 1e999 is not JSON a parser reads as finite: refused as a body or a range.
  const auto huge = decode_report(with_service_data_plane(R"({"latencyMs":1e300})"));
  CHECK_FALSE(huge.ok());
}

TEST_CASE("the share within the latency maximum: round trip, rounding down, both fields or neither",
          "[protocol][dataplane]") {
  Report report = measured_report();
  DataPlaneMeasurement share;
  share.request_rate = 12.0;
  share.success_rate = 0.99;
  share.latency_within_share = 0.972;
  share.latency_within_ms = 500;
  report.services[0].data_plane = share;
  const auto encoded = encode_report(report);
  CHECK(encoded.find(R"("latencyWithinShare":0.972,"latencyWithinMs":500)") != std::string::npos);
  CHECK(encoded.find("latencyMs") == std::string::npos);  // the quantile was not measured
  const auto decoded = decode_report(encoded);
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == report);

  // Down, like the success rate: 0.9899 stays under a 0.99 quantile.
  share.latency_within_share = 0.98999;
  CHECK(*round_data_plane(share).latency_within_share < 0.99);
  CHECK(round_data_plane(share).latency_within_share == Approx(0.989));

  CHECK_THAT(decode_report(with_service_data_plane(R"({"latencyWithinShare":0.5})")).message(),
             Catch::Contains("services[0].dataPlane.latencyWithinMs: required with latencyWithinShare"));
  CHECK_THAT(decode_report(with_service_data_plane(R"({"latencyWithinMs":500})")).message(),
             Catch::Contains("services[0].dataPlane.latencyWithinShare: required with latencyWithinMs"));
  CHECK_THAT(decode_report(with_service_data_plane(R"({"latencyWithinShare":1.5,"latencyWithinMs":500})")).message(),
             Catch::Contains("services[0].dataPlane.latencyWithinShare: must be within 0..1"));
  // Hostile or malformed values from an agent: refused, the field named.
  for (const char* body : {R"({"latencyWithinShare":-0.1,"latencyWithinMs":500})",
                           R"({"latencyWithinShare":"0.9","latencyWithinMs":500})",
                           R"({"latencyWithinShare":null,"latencyWithinMs":500})"}) {
    const auto bad = decode_report(with_service_data_plane(body));
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.message(), Catch::Contains("services[0].dataPlane.latencyWithinShare"));
  }
  for (const char* body : {R"({"latencyWithinShare":0.9,"latencyWithinMs":0})",
                           R"({"latencyWithinShare":0.9,"latencyWithinMs":-500})",
                           R"({"latencyWithinShare":0.9,"latencyWithinMs":"500"})",
                           R"({"latencyWithinShare":0.9,"latencyWithinMs":1e15})",
                           R"({"latencyWithinShare":0.9,"latencyWithinMs":500.5})"}) {
    const auto bad = decode_report(with_service_data_plane(body));
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.message(), Catch::Contains("services[0].dataPlane.latencyWithinMs"));
  }
}

TEST_CASE("an older agent's measurement has latencyMs and no share, and a newer agent's share is an unknown member "
          "to an older hub", "[protocol][dataplane]") {
  const auto old = decode_report(with_service_data_plane(R"({"requestRate":12,"successRate":0.99,"latencyMs":810})"));
  REQUIRE(old.ok());
  const auto& measured = *old.value->services[0].data_plane;
  CHECK(measured.latency_ms == Approx(810.0));
  CHECK_FALSE(measured.latency_within_share);
  CHECK_FALSE(measured.latency_within_ms);
  // An older hub's decoder skips members it does not know, as this one does.
  const auto newer = decode_report(
      with_service_data_plane(R"({"requestRate":12,"successRate":0.99,"latencyWithinShare":0.99,)"
                              R"("latencyWithinMs":500,"latencyFromTheFuture":{"x":1}})"));
  REQUIRE(newer.ok());
  CHECK(newer.value->services[0].data_plane->latency_within_share == Approx(0.99));
}
