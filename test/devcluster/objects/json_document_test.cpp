#include "switchyard/devcluster/objects/json_document.h"

#include <string>

#include <catch2/catch.hpp>

#include "test_json.h"

using namespace switchyard::devcluster::objects;

TEST_CASE("parse_json refuses malformed, trailing and too deep input", "[devcluster][objects]") {
  rapidjson::Document document;
  SECTION("valid") { REQUIRE_FALSE(parse_json(R"({"a":[1,2]})", document).has_value()); }
  SECTION("trailing junk") {
    auto error = parse_json(R"({"a":1} x)", document);
    REQUIRE(error.has_value());
    REQUIRE(error->find("offset 8") != std::string::npos);
  }
  SECTION("invalid UTF-8") { REQUIRE(parse_json("\"\xff\"", document).has_value()); }
  SECTION("empty") { REQUIRE(parse_json("", document).has_value()); }
  SECTION("nesting at the limit is fine, one more is refused") {
    std::string ok(kMaxJsonDepth, '[');
    ok += std::string(kMaxJsonDepth, ']');
    REQUIRE_FALSE(parse_json(ok, document).has_value());
    REQUIRE(json_depth(document) == kMaxJsonDepth);
    std::string deep(100000, '[');
    deep += std::string(100000, ']');
    auto error = parse_json(deep, document);
    REQUIRE(error.has_value());
    REQUIRE(error->find("nesting deeper than") != std::string::npos);
  }
}

TEST_CASE("go_float prints like Go's %v", "[devcluster][objects]") {
  struct Case { double value; const char* text; };
  for (auto [value, text] : {Case{0, "0"}, Case{1, "1"}, Case{-1, "-1"}, Case{0.5, "0.5"},
                             Case{65535, "65535"}, Case{100000, "100000"},
                             Case{1000000, "1e+06"}, Case{1234567, "1.234567e+06"},
                             Case{0.0001, "0.0001"}, Case{0.00001, "1e-05"},
                             Case{1.25e21, "1.25e+21"}}) {
    INFO(value);
    REQUIRE(go_float(value) == text);
  }
}

TEST_CASE("go_value prints values like apimachinery field errors", "[devcluster][objects]") {
  struct Case { const char* json_text; const char* printed; };
  for (auto [json_text, printed] : {
           Case{R"("abc")", R"("abc")"}, Case{R"("a\"b")", R"("a\"b")"}, Case{"-1", "-1"},
           Case{"1.5", "1.5"}, Case{"true", "true"}, Case{"null", R"("null")"},
           Case{R"({"b":1,"a":"x"})", R"(map[string]interface {}{"a":"x", "b":1})"},
           Case{R"(["a",1])", R"([]interface {}{"a", 1})"}}) {
    auto document = objects_test::json(json_text);
    REQUIRE(go_value(document) == printed);
  }
}

TEST_CASE("json_type_name distinguishes integer from number", "[devcluster][objects]") {
  REQUIRE(json_type_name(objects_test::json("3")) == "integer");
  REQUIRE(json_type_name(objects_test::json("3.5")) == "number");
  REQUIRE(json_type_name(objects_test::json("\"3\"")) == "string");
  REQUIRE(json_type_name(objects_test::json("{}")) == "object");
}
