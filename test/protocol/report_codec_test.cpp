#include <catch2/catch.hpp>

#include "switchyard/protocol/codec.h"

using namespace switchyard::protocol;

namespace {

Report sample_report() {
  Report report;
  report.agent_id = "east-5f2c";
  report.seq = 42;
  report.full = true;
  report.agent_version = "0.1.0";
  report.services = {
      {{"emojivoto", "web-svc", ServiceRole::Local}, true, 2, 2, {}},
      {{"emojivoto", "web-svc-west", ServiceRole::Mirror}, true, 1, 1, {}},
      {{"emojivoto", "gone", ServiceRole::Local}, false, 0, 0, {}},
  };
  report.applied = {7, {"TrafficSplit emojivoto/web-svc: forbidden"}};
  return report;
}

// Every error message of a decode, for matching.
std::vector<std::string> messages_of(const Decoded<Report>& decoded) {
  std::vector<std::string> messages;
  for (const auto& error : decoded.errors) messages.push_back(error.to_string());
  return messages;
}

}  // namespace

TEST_CASE("a report survives encode then decode unchanged", "[protocol]") {
  const auto report = sample_report();
  const auto decoded = decode_report(encode_report(report));
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == report);
}

TEST_CASE("the documented report example decodes", "[protocol]") {
  const auto decoded = decode_report(R"({
    "agentId": "east-5f2c", "seq": 42, "full": true,
    "services": [
      {"namespace": "emojivoto", "name": "web-svc", "role": "local",
       "exists": true, "readyEndpoints": 2, "totalEndpoints": 2},
      {"namespace": "emojivoto", "name": "web-svc-west", "role": "mirror",
       "exists": true, "readyEndpoints": 1, "totalEndpoints": 1}
    ],
    "applied": {"revision": 7, "errors": []},
    "fieldFromANewerAgent": {"ignored": true}
  })");
  REQUIRE(decoded.ok());
  const auto& report = *decoded.value;
  CHECK(report.agent_id == "east-5f2c");
  CHECK(report.seq == 42);
  CHECK(report.full);
  REQUIRE(report.services.size() == 2);
  CHECK(report.services[1].key == ServiceKey{"emojivoto", "web-svc-west", ServiceRole::Mirror});
  CHECK(report.services[1].ready_endpoints == 1);
  CHECK(report.applied.revision == 7);
}

TEST_CASE("a report without applied state has applied nothing", "[protocol]") {
  const auto decoded = decode_report(R"({"agentId":"a","seq":1,"full":true,"services":[]})");
  REQUIRE(decoded.ok());
  CHECK(decoded.value->applied.revision == 0);
  CHECK(decoded.value->applied.errors.empty());
}

TEST_CASE("malformed report bodies are refused with a message", "[protocol]") {
  SECTION("not JSON") {
    const auto decoded = decode_report("{\"agentId\": ");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("malformed JSON at offset"));
  }
  SECTION("trailing junk after the object") {
    const auto decoded = decode_report(R"({"agentId":"a","seq":1,"full":true,"services":[]} x)");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("malformed JSON"));
  }
  SECTION("invalid UTF-8") {
    const auto decoded = decode_report("{\"agentId\":\"\xff\xfe\",\"seq\":1,\"full\":true,\"services\":[]}");
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("malformed JSON"));
  }
  SECTION("an array instead of an object") {
    const auto decoded = decode_report("[]");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "body must be a JSON object");
  }
  SECTION("deep nesting does not exhaust the stack") {
    const std::string deep = "{\"agentId\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
    const auto decoded = decode_report(deep);
    REQUIRE_FALSE(decoded.ok());
    CHECK_THAT(decoded.message(), Catch::Contains("agentId: must be a string"));
  }
}

TEST_CASE("every field problem of a report is named at once", "[protocol]") {
  const auto decoded = decode_report(R"({
    "seq": -1, "full": "yes",
    "services": [
      {"namespace": "Emoji_Voto", "name": "web-svc", "role": "remote",
       "exists": true, "readyEndpoints": 3, "totalEndpoints": 2},
      {"namespace": "emojivoto", "name": "web-svc", "role": "local",
       "exists": true, "readyEndpoints": 1, "totalEndpoints": 2},
      {"namespace": "emojivoto", "name": "web-svc", "role": "local",
       "exists": true, "readyEndpoints": 1, "totalEndpoints": 2},
      {"namespace": "emojivoto", "name": "ghost", "role": "local",
       "exists": false, "readyEndpoints": 0, "totalEndpoints": 4},
      "not-an-object"
    ],
    "applied": {"revision": "seven", "errors": [1]}
  })");
  REQUIRE_FALSE(decoded.ok());
  const auto messages = messages_of(decoded);
  using Catch::Matchers::VectorContains;
  CHECK_THAT(messages, VectorContains(std::string("agentId: required")));
  CHECK_THAT(messages, VectorContains(std::string("seq: must be a non-negative integer")));
  CHECK_THAT(messages, VectorContains(std::string("full: must be true or false")));
  CHECK_THAT(messages,
             VectorContains(std::string("services[0].namespace: \"Emoji_Voto\" may contain only "
                                        "lower-case letters, digits and '-'")));
  CHECK_THAT(messages, VectorContains(std::string(
                           "services[0].role: must be \"local\" or \"mirror\", got \"remote\"")));
  CHECK_THAT(messages, VectorContains(std::string(
                           "services[0].readyEndpoints: is 3, more than totalEndpoints 2")));
  CHECK_THAT(messages, VectorContains(std::string("services[2]: duplicates services[1]")));
  CHECK_THAT(messages,
             VectorContains(std::string("services[3].totalEndpoints: must be 0 when exists is false")));
  CHECK_THAT(messages, VectorContains(std::string("services[4]: must be an object")));
  CHECK_THAT(messages, VectorContains(std::string("applied.revision: must be an integer")));
  CHECK_THAT(messages, VectorContains(std::string("applied.errors[0]: must be a string")));
  CHECK(messages.size() == 11);
}

TEST_CASE("report limits are enforced", "[protocol]") {
  SECTION("agentId length") {
    const auto decoded = decode_report("{\"agentId\":\"" + std::string(129, 'a') +
                                       "\",\"seq\":1,\"full\":true,\"services\":[]}");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "agentId: must be 1 to 128 characters");
  }
  SECTION("agentVersion length (it is copied into MemberCluster status)") {
    const auto decoded = decode_report("{\"agentId\":\"a\",\"agentVersion\":\"" + std::string(129, 'v') +
                                       "\",\"seq\":1,\"full\":true,\"services\":[]}");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "agentVersion: at most 128 characters");
    CHECK(decode_report("{\"agentId\":\"a\",\"agentVersion\":\"" + std::string(128, 'v') +
                        "\",\"seq\":1,\"full\":true,\"services\":[]}")
              .ok());
  }
  SECTION("seq at most 2^53-1") {
    const auto decoded =
        decode_report(R"({"agentId":"a","seq":18446744073709551615,"full":true,"services":[]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "seq: must be at most 9007199254740991");
    CHECK(decode_report(R"({"agentId":"a","seq":9007199254740991,"full":true,"services":[]})").ok());
  }
  SECTION("endpoint counts") {
    const auto decoded = decode_report(
        R"({"agentId":"a","seq":1,"full":true,"services":[{"namespace":"n","name":"s",)"
        R"("role":"local","exists":true,"readyEndpoints":1,"totalEndpoints":1000001}]})");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "services[0].totalEndpoints: must be at most 1000000");
  }
  SECTION("names longer than a DNS label") {
    const auto decoded = decode_report(
        "{\"agentId\":\"a\",\"seq\":1,\"full\":true,\"services\":[{\"namespace\":\"n\",\"name\":\"" +
        std::string(64, 'a') + "\",\"role\":\"local\",\"exists\":false,\"readyEndpoints\":0,\"totalEndpoints\":0}]}");
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.message() == "services[0].name: must be at most 63 characters");
  }
}

TEST_CASE("a report answer says Applied or Duplicate, and anything else reads as Applied", "[protocol]") {
  CHECK(encode_report_answer(ReportOutcome::Applied) == R"({"outcome":"Applied"})");
  CHECK(decode_report_answer(encode_report_answer(ReportOutcome::Duplicate)) == ReportOutcome::Duplicate);
  CHECK(decode_report_answer(encode_report_answer(ReportOutcome::Applied)) == ReportOutcome::Applied);
  CHECK(decode_report_answer("{}") == ReportOutcome::Applied);  // a hub before the answer had an outcome
  CHECK(decode_report_answer(R"({"outcome":"SomethingNewer"})") == ReportOutcome::Applied);
  CHECK(decode_report_answer(R"({"outcome":7})") == ReportOutcome::Applied);
  CHECK(decode_report_answer("<html>") == ReportOutcome::Applied);
  CHECK(decode_report_answer("") == ReportOutcome::Applied);
}

TEST_CASE("a report says which route APIs the cluster serves, and an older agent says nothing", "[protocol]") {
  auto report = sample_report();
  report.outputs = ServedApis{true, false, true};
  const auto encoded = encode_report(report);
  CHECK(encoded.find(R"("outputs":{"trafficSplit":true,"httpRoute":false,"linkerdHTTPRoute":true})") != std::string::npos);
  const auto decoded = decode_report(encoded);
  REQUIRE(decoded.ok());
  CHECK(*decoded.value == report);

  const auto older = decode_report(R"({"agentId":"a","seq":1,"full":true,"services":[]})");
  REQUIRE(older.ok());
  CHECK_FALSE(older.value->outputs);

  const auto bad = decode_report(R"({"agentId":"a","seq":1,"full":true,"services":[],"outputs":{"trafficSplit":"yes"}})");
  CHECK(messages_of(bad) == std::vector<std::string>{"outputs.trafficSplit: must be true or false",
                                                       "outputs.httpRoute: required",
                                                       "outputs.linkerdHTTPRoute: required"});
}
