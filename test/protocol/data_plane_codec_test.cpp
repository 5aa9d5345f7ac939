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
  web.data_plane = DataPlaneMeasurement{12.0, 0.41, 810.0, {{"errors", 0.0123}, {"queue-depth", -4}}, ""};
  ServiceHealth voting{{"emojivoto", "voting-svc", ServiceRole::Local}, true, 1, 1, std::nullopt};
  voting.data_plane = DataPlaneMeasurement{std::nullopt, std::nullopt, std::nullopt, {},
                                           "Prometheus unreachable: connection refused"};
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
  const auto a = round_data_plane({12.34, 0.95123, 812.4, {}, ""});
  const auto b = round_data_plane({12.41, 0.95177, 807.9, {}, ""});
  CHECK(a == b);
  CHECK(a.request_rate == Approx(12.0));
  CHECK(a.success_rate == Approx(0.951));
  CHECK(a.latency_ms == Approx(810.0));
  // Down, never up over a minimum: 0.9499 stays under 0.95.
  CHECK(*round_data_plane({10, 0.9499, std::nullopt, {}, ""}).success_rate < 0.95);
  CHECK(round_data_plane({0.2345, 1.0, 3.0, {}, ""}).request_rate == Approx(0.23));
  CHECK(round_data_plane({0.0, std::nullopt, std::nullopt, {}, ""}).request_rate == 0.0);
  CHECK(round_data_plane({1, 1, 1, {}, std::string(2000, 'x')}).error.size() == kMaxDataPlaneErrorLength);
  // Custom checks' values: three significant digits, either sign.
  const auto custom = round_data_plane({std::nullopt, std::nullopt, std::nullopt, {{"a", 0.012345}, {"b", -98765}}, ""});
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
