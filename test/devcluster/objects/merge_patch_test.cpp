#include "switchyard/devcluster/objects/merge_patch.h"

#include <string>

#include <catch2/catch.hpp>

#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

TEST_CASE("merge patch follows RFC 7386's examples", "[devcluster][objects][merge]") {
  // The table from RFC 7386 appendix A, except the non-object patches, which
  // the API server refuses (see the next case).
  struct Case { const char* target; const char* patch; const char* result; };
  for (auto [target, patch, result] : {
           Case{R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
           Case{R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
           Case{R"({"a":"b"})", R"({"a":null})", R"({})"},
           Case{R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
           Case{R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
           Case{R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
           Case{R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
           Case{R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
           Case{R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
           Case{R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
           Case{R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
       }) {
    INFO(target << " + " << patch);
    auto document = json(target);
    REQUIRE(apply_merge_patch(document, json(patch)).ok());
    REQUIRE_JSON_EQ(document, result);
  }
}

TEST_CASE("merge patch refuses non-object patches and keeps the target", "[devcluster][objects][merge]") {
  for (const char* patch : {R"(["c"])", "null", "\"x\"", "3"}) {
    auto document = json(R"({"a":"b"})");
    PatchOutcome outcome = apply_merge_patch(document, json(patch));
    REQUIRE_FALSE(outcome.ok());
    REQUIRE(outcome.error->kind == PatchErrorKind::kMalformed);
    REQUIRE(outcome.error->message.find("must be a JSON object") != std::string::npos);
    REQUIRE_JSON_EQ(document, R"({"a":"b"})");
  }
}

TEST_CASE("merge patch on a status keeps the order of untouched members", "[devcluster][objects][merge]") {
  auto document = json(R"({"metadata":{"name":"x"},"spec":{"a":1},"status":{"state":"Primary","b":2}})");
  REQUIRE(apply_merge_patch(document, json(R"({"status":{"state":"FailedOver"}})")).ok());
  REQUIRE(to_json(document) ==
          R"({"metadata":{"name":"x"},"spec":{"a":1},"status":{"state":"FailedOver","b":2}})");
}

TEST_CASE("merge patch handles deep nesting and huge arrays", "[devcluster][objects][merge]") {
  std::string deep_patch;
  for (int i = 0; i < 400; ++i) deep_patch += R"({"n":)";
  deep_patch += "1";
  deep_patch += std::string(400, '}');
  auto document = json("{}");
  REQUIRE(apply_merge_patch(document, json(deep_patch)).ok());
  REQUIRE(json_depth(document) == 400);

  std::string big = R"({"items":[)";
  for (int i = 0; i < 100000; ++i) big += (i ? "," : "") + std::to_string(i);
  big += "]}";
  auto target = json(R"({"items":[1],"keep":true})");
  REQUIRE(apply_merge_patch(target, json(big)).ok());
  REQUIRE(target["items"].Size() == 100000);
  REQUIRE(target["keep"].GetBool());
}

TEST_CASE("create_merge_patch round-trips through apply", "[devcluster][objects][merge]") {
  struct Case { const char* original; const char* modified; const char* patch; };
  for (auto [original, modified, patch] : {
           Case{R"({"a":1,"b":{"c":2,"d":3}})", R"({"a":1,"b":{"c":5}})", R"({"b":{"c":5,"d":null}})"},
           Case{R"({"a":[1,2]})", R"({"a":[2]})", R"({"a":[2]})"},
           Case{R"({"a":1})", R"({"a":1})", R"({})"},
       }) {
    auto before = json(original);
    auto after = json(modified);
    rapidjson::Document scratch;
    rapidjson::Value created = create_merge_patch(before, after, scratch.GetAllocator());
    REQUIRE_JSON_EQ(created, patch);
    REQUIRE(apply_merge_patch(before, created).ok());
    REQUIRE(before == after);
  }
}
