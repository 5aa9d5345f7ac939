#include <catch2/catch.hpp>

#include <cmath>

#include "recorded_prometheus.h"
#include "switchyard/agent/prometheus_response.h"

using namespace switchyard::agent;
using switchyard::agent::test::recorded;

namespace {

PromVector vector_of(const PromQueryResult& result) {
  if (const auto* error = std::get_if<PromError>(&result)) FAIL("unexpected error: " << error->message);
  return std::get<PromVector>(result);
}

PromError error_of(const PromQueryResult& result) {
  REQUIRE(std::holds_alternative<PromError>(result));
  return std::get<PromError>(result);
}

PromError decode_error(int status, const std::string& body) { return error_of(decode_query_response(status, body)); }

}  // namespace

TEST_CASE("a recorded vector answer decodes into labelled samples", "[agent][prometheus]") {
  const auto answer = recorded("success_rate");
  const auto vector = vector_of(decode_query_response(answer.http_status, answer.body));
  REQUIRE(vector.samples.size() == 8);  // 4 workloads x 2 classifications
  const auto& web_failure = vector.samples[6];
  CHECK(web_failure.labels.at("namespace") == "emojivoto");
  CHECK(web_failure.labels.at("deployment") == "web");
  CHECK(web_failure.labels.at("classification") == "failure");
  CHECK(web_failure.value == Approx(9.99888913574761));
  CHECK(web_failure.timestamp == Approx(1796406355.694));
  CHECK(vector.warnings.empty());
}

TEST_CASE("a recorded NaN quantile decodes as NaN, not as a number", "[agent][prometheus]") {
  const auto answer = recorded("latency_p99");
  const auto vector = vector_of(decode_query_response(answer.http_status, answer.body));
  REQUIRE(vector.samples.size() == 4);
  CHECK(vector.samples[1].labels.at("deployment") == "authors");
  CHECK(std::isnan(vector.samples[1].value));
  CHECK(vector.samples[0].value == 50000);  // past the last finite bucket: its bound
}

TEST_CASE("special values Prometheus writes decode", "[agent][prometheus]") {
  const auto body = [](const char* value) {
    return std::string(R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,")") +
           value + R"("]}]}})";
  };
  CHECK(std::isinf(vector_of(decode_query_response(200, body("+Inf"))).samples[0].value));
  CHECK(vector_of(decode_query_response(200, body("-Inf"))).samples[0].value < 0);
  CHECK(vector_of(decode_query_response(200, body("1e-3"))).samples[0].value == Approx(0.001));
  SECTION("spellings Prometheus does not write are refused") {
    for (const char* value : {"", "inf", "nan", "Infinity", "1.5x", " 1", "+1", "0x10", "1e999"}) {
      INFO(value);
      const auto error = decode_error(200, body(value));
      CHECK(error.kind == PromErrorKind::Malformed);
      CHECK(error.message.find("data.result[0].value[1]: not a number") == 0);
    }
  }
}

TEST_CASE("a recorded query error names Prometheus's error type and message", "[agent][prometheus]") {
  const auto answer = recorded("bad_data");
  REQUIRE(answer.http_status == 400);
  const auto error = error_of(decode_query_response(answer.http_status, answer.body));
  CHECK(error.kind == PromErrorKind::Query);
  CHECK(error.message.find("bad_data: ") == 0);
  CHECK(error.message.find("unclosed left parenthesis") != std::string::npos);
}

TEST_CASE("a recorded matrix answer is refused: an instant check needs one value per series",
          "[agent][prometheus]") {
  const auto answer = recorded("matrix");
  const auto error = error_of(decode_query_response(answer.http_status, answer.body));
  CHECK(error.kind == PromErrorKind::Malformed);
  CHECK(error.message.find("data.resultType: \"matrix\" is not supported") == 0);
}

TEST_CASE("recorded scalar and empty answers decode", "[agent][prometheus]") {
  const auto scalar = recorded("scalar");
  const auto one = vector_of(decode_query_response(scalar.http_status, scalar.body));
  REQUIRE(one.samples.size() == 1);
  CHECK(one.samples[0].labels.empty());
  CHECK(one.samples[0].value == 5);
  const auto empty = recorded("empty_vector");
  CHECK(vector_of(decode_query_response(empty.http_status, empty.body)).samples.empty());
}

TEST_CASE("warnings are kept beside the samples", "[agent][prometheus]") {
  // Prometheus 2.42 adds warnings for partial answers of remote storage,
  // which this test set-up has none of: written by hand in the API's shape.
  const auto vector = vector_of(decode_query_response(
      200, R"({"status":"success","data":{"resultType":"vector","result":[]},"warnings":["remote read: partial"]})"));
  REQUIRE(vector.warnings.size() == 1);
  CHECK(vector.warnings[0] == "remote read: partial");
}

TEST_CASE("every deviation from the API's shape is an error naming the field", "[agent][prometheus]") {
  const std::string ok_head = R"({"status":"success","data":{"resultType":"vector","result":)";
  struct Case {
    std::string body;
    std::string message_start;
  };
  const std::vector<Case> cases = {
      {"", "body: invalid JSON at offset 0"},
      {"[]", "body: expected a JSON object"},
      {R"({"status":"success","data":{"resultType":"vector","result":[]}} trailing)", "body: invalid JSON"},
      {R"({"status":"ok"})", "status: expected \"success\" or \"error\""},
      {R"({"status":"success"})", "data: expected an object"},
      {R"({"status":"success","data":{"result":[]}})", "data.resultType: expected a string"},
      {R"({"status":"success","data":{"resultType":"vector"}})", "data.result: missing"},
      {ok_head + "{}}}", "data.result: expected an array"},
      {ok_head + "[1]}}", "data.result[0]: expected an object"},
      {ok_head + R"([{"value":[1,"1"]}]}})", "data.result[0].metric: expected an object of labels"},
      {ok_head + R"([{"metric":{"a":1},"value":[1,"1"]}]}})", "data.result[0].metric.a: expected a string"},
      {ok_head + R"([{"metric":{}}]}})", "data.result[0].value: missing"},
      {ok_head + R"([{"metric":{},"value":[1]}]}})", "data.result[0].value: expected [time, \"value\"]"},
      {ok_head + R"([{"metric":{},"value":["1","1"]}]}})", "data.result[0].value[0]: expected a number"},
      {ok_head + R"([{"metric":{},"value":[1,1]}]}})", "data.result[0].value[1]: expected a string"},
      {ok_head + R"([]},"warnings":"x"})", "warnings: expected an array of strings"},
      {ok_head + R"([]},"warnings":[1]})", "warnings[0]: expected a string"},
      {R"({"status":"success","data":{"resultType":"string","result":[1,"x"]}})",
       "data.resultType: \"string\" is not supported"},
      {std::string("{\"status\":\"\xff\"}"), "body: invalid JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.body);
    const auto error = decode_error(200, c.body);
    CHECK(error.kind == PromErrorKind::Malformed);
    CHECK(error.message.substr(0, c.message_start.size()) == c.message_start);
  }
}

TEST_CASE("an HTTP error without the API's body is an Http error with the start of the body",
          "[agent][prometheus]") {
  const auto error = decode_error(502, "<html><body>Bad Gateway</body></html>");
  CHECK(error.kind == PromErrorKind::Http);
  CHECK(error.message == "HTTP 502: <html><body>Bad Gateway</body></html>");
  const auto long_error = decode_error(401, std::string(10000, 'x'));
  CHECK(long_error.message.size() < 300);
  SECTION("a success body under an error status is not believed") {
    CHECK(decode_error(503, R"({"status":"success","data":{"resultType":"vector","result":[]}})").kind ==
          PromErrorKind::Http);
  }
}
