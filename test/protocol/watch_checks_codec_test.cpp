// The watch list's per-service data-plane checks (docs/protocol.md,
// "Data-plane checks"), both version skews included.
#include <catch2/catch.hpp>

#include "switchyard/protocol/codec.h"

using namespace switchyard::protocol;

namespace {

const ServiceKey kWeb{"emojivoto", "web-svc", ServiceRole::Local};
const ServiceKey kMirror{"emojivoto", "web-svc-east", ServiceRole::Mirror};

std::string assignment_with_watch(const std::string& watch) {
  return R"({"revision":3,"watch":[)" + watch + R"(],"trafficSplits":[]})";
}

}  // namespace

TEST_CASE("a watch entry's checks survive encode then decode", "[protocol][dataplane]") {
  Assignment assignment;
  assignment.revision = 3;
  assignment.watch = {kWeb, kMirror};
  assignment.checks[kWeb] = DataPlaneChecks{10'000, 0.95, 20'000, std::nullopt, {}};
  const auto encoded = encode_assignment(assignment);
  CHECK(encoded.find(R"("checks":{"windowMs":10000,"latency":{"quantile":0.95,"windowMs":20000}})") !=
        std::string::npos);
  const auto decoded = decode_assignment(encoded);
  REQUIRE(decoded.ok());
  CHECK(decoded.value->checks.size() == 1);
  CHECK(decoded.value->checks.at(kWeb) == DataPlaneChecks{10'000, 0.95, 20'000, std::nullopt, {}});
  CHECK(*decoded.value == assignment);
}

TEST_CASE("checks without latency ask for the success and request rate only", "[protocol][dataplane]") {
  const auto decoded =
      decode_assignment(assignment_with_watch(R"({"namespace":"emojivoto","name":"web-svc","role":"local",)"
                                              R"("checks":{"windowMs":5000}})"));
  REQUIRE(decoded.ok());
  const auto& checks = decoded.value->checks.at(kWeb);
  CHECK(checks.window_ms == 5000);
  CHECK_FALSE(checks.latency_quantile);
  CHECK(encode_data_plane_checks(checks) == R"({"windowMs":5000})");
}

TEST_CASE("an older hub's watch list has no checks: the agent uses its flags", "[protocol][dataplane]") {
  const auto decoded =
      decode_assignment(assignment_with_watch(R"({"namespace":"emojivoto","name":"web-svc","role":"local"})"));
  REQUIRE(decoded.ok());
  CHECK(decoded.value->watch.size() == 1);
  CHECK(decoded.value->checks.empty());
}

TEST_CASE("an older agent's decoding ignores checks: the watch list reads the same", "[protocol][dataplane]") {
  // What an agent that predates checks keeps of an entry is its key; the
  // decoder ignores members it does not know, as it always has.
  const auto with = decode_assignment(assignment_with_watch(
      R"({"namespace":"emojivoto","name":"web-svc","role":"local","checks":{"windowMs":5000},"future":1})"));
  const auto without =
      decode_assignment(assignment_with_watch(R"({"namespace":"emojivoto","name":"web-svc","role":"local"})"));
  REQUIRE(with.ok());
  REQUIRE(without.ok());
  CHECK(with.value->watch == without.value->watch);
}

TEST_CASE("bad checks name the field", "[protocol][dataplane]") {
  const auto decode = [](const std::string& checks) {
    return decode_assignment(assignment_with_watch(
        R"({"namespace":"emojivoto","name":"web-svc","role":"local","checks":)" + checks + "}"));
  };
  CHECK(decode(R"({"queries":[{"name":"errors","windowMs":5000}]})").message() ==
        "watch[0].checks.queries[0].query: required");
  CHECK(decode(R"({"windowMs":500})").message() == "watch[0].checks.windowMs: must be at least 1000, got 500");
  CHECK_FALSE(decode(R"({"windowMs":99999999})").ok());
  CHECK(decode(R"({"windowMs":5000,"latency":{"windowMs":5000}})").message() ==
        "watch[0].checks.latency.quantile: required");
  const auto bad_quantile = decode(R"({"windowMs":5000,"latency":{"quantile":1.5,"windowMs":5000}})");
  REQUIRE_FALSE(bad_quantile.ok());
  CHECK(bad_quantile.message().rfind("watch[0].checks.latency.quantile:", 0) == 0);
  CHECK(decode(R"("fast")").message().rfind("watch[0].checks:", 0) == 0);
}

TEST_CASE("custom checks travel in the watch entry, with or without the Linkerd window", "[protocol][dataplane]") {
  Assignment assignment;
  assignment.revision = 5;
  assignment.watch = {kWeb};
  DataPlaneChecks custom_only;
  custom_only.queries = {{"errors", R"(sum(rate(http_errors_total{app="{workload}"}[{window}])))", 10'000}};
  assignment.checks[kWeb] = custom_only;
  const auto encoded = encode_assignment(assignment);
  CHECK(encoded.find("windowMs\":10000}]") != std::string::npos);
  CHECK(encoded.find("\"checks\":{\"queries\"") != std::string::npos);  // no Linkerd window: not measured
  const auto decoded = decode_assignment(encoded);
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  CHECK(decoded.value->checks.at(kWeb) == custom_only);
  CHECK_FALSE(decoded.value->checks.at(kWeb).window_ms);
}

TEST_CASE("latency.maximumMs: sent beside quantile and window, optional both ways", "[protocol][dataplane]") {
  Assignment assignment;
  assignment.revision = 3;
  assignment.watch = {kWeb};
  assignment.checks[kWeb] = DataPlaneChecks{30'000, 0.99, 30'000, 500, {}};
  const auto encoded = encode_assignment(assignment);
  // An older agent reads quantile and windowMs as before and ignores maximumMs
  // (its decoder skips unknown members): it keeps measuring the quantile.
  CHECK(encoded.find(R"("latency":{"quantile":0.99,"windowMs":30000,"maximumMs":500})") != std::string::npos);
  const auto decoded = decode_assignment(encoded);
  REQUIRE(decoded.ok());
  CHECK(decoded.value->checks.at(kWeb).latency_maximum_ms == 500);
  CHECK(*decoded.value == assignment);

  SECTION("an older hub sends no maximum: the agent measures the quantile") {
    const auto old = decode_assignment(assignment_with_watch(
        R"({"namespace":"emojivoto","name":"web-svc","role":"local",)"
        R"("checks":{"windowMs":30000,"latency":{"quantile":0.99,"windowMs":30000}}})"));
    REQUIRE(old.ok());
    CHECK(old.value->checks.at(kWeb).latency_quantile == 0.99);
    CHECK_FALSE(old.value->checks.at(kWeb).latency_maximum_ms);
  }
  SECTION("a bad maximum is refused with the field named") {
    const auto bad = decode_assignment(assignment_with_watch(
        R"({"namespace":"emojivoto","name":"web-svc","role":"local",)"
        R"("checks":{"windowMs":30000,"latency":{"quantile":0.99,"windowMs":30000,"maximumMs":0}}})"));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.message().rfind("watch[0].checks.latency.maximumMs:", 0) == 0);
    const auto text = decode_assignment(assignment_with_watch(
        R"({"namespace":"emojivoto","name":"web-svc","role":"local",)"
        R"("checks":{"windowMs":30000,"latency":{"quantile":0.99,"windowMs":30000,"maximumMs":"500ms"}}})"));
    REQUIRE_FALSE(text.ok());
    CHECK(text.message().rfind("watch[0].checks.latency.maximumMs:", 0) == 0);
    for (const char* maximum : {"-1", "1e15", "500.5", "null"}) {
      const auto hostile = decode_assignment(assignment_with_watch(
          std::string(R"({"namespace":"emojivoto","name":"web-svc","role":"local",)") +
          R"("checks":{"windowMs":30000,"latency":{"quantile":0.99,"windowMs":30000,"maximumMs":)" + maximum + "}}}"));
      REQUIRE_FALSE(hostile.ok());
      CHECK(hostile.message().rfind("watch[0].checks.latency.maximumMs:", 0) == 0);
    }
  }
}
