#include "switchyard/devcluster/objects/yaml_json.h"

#include <string>

#include <catch2/catch.hpp>

#include "test_json.h"

using namespace switchyard::devcluster::objects;

TEST_CASE("YAML converts to JSON with Kubernetes scalar typing", "[devcluster][objects][yaml]") {
  struct Case { const char* yaml; const char* json_text; };
  for (auto [yaml, json_text] : {
           Case{"a: 1\nb: -2\nc: 1.5\nd: 0x1f\ne: 1e3", R"({"a":1,"b":-2,"c":1.5,"d":31,"e":1000.0})"},
           Case{"a: true\nb: False\nc: yes\nd: off", R"({"a":true,"b":false,"c":true,"d":false})"},
           Case{"a: ~\nb: null\nc:", R"({"a":null,"b":null,"c":null})"},
           Case{"a: \"1\"\nb: 'true'\nc: !!str 5\nd: 1.2.3\ne: web-1", R"({"a":"1","b":"true","c":"5","d":"1.2.3","e":"web-1"})"},
           Case{"list:\n- a\n- {b: [1, 2]}\n", R"({"list":["a",{"b":[1,2]}]})"},
           Case{R"({"json": {"is": ["yaml", 1, null, true]}})", R"({"json":{"is":["yaml",1,null,true]}})"},
           Case{"", "null"},
           Case{"metadata:\n  annotations:\n    switchyard.io/pause: \"true\"\n", R"({"metadata":{"annotations":{"switchyard.io/pause":"true"}}})"},
       }) {
    INFO(yaml);
    rapidjson::Document out;
    auto error = yaml_to_json(yaml, out);
    INFO(error.value_or(""));
    REQUIRE_FALSE(error.has_value());
    REQUIRE_JSON_EQ(out, json_text);
  }
}

TEST_CASE("bad YAML is refused with a reason", "[devcluster][objects][yaml]") {
  struct Case { std::string yaml; const char* starts_with; };
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c)
    laughs += std::string(1, c) + ": &" + c + " [*" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) +
              ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + ", *" +
              char(c - 1) + ", *" + char(c - 1) + ", *" + char(c - 1) + "]\n";
  for (const auto& [yaml, starts_with] : {
           Case{"a: [1, 2", "invalid YAML at line"},
           Case{"a: 1\n---\nb: 2\n", "expected one YAML document, found more"},
           // A top-level "," that yaml-cpp 0.7 never consumes (found by the
           // request fuzzer): refused, not parsed forever.
           Case{",", "expected one YAML document"},
           Case{"'a',", "expected one YAML document"},
           Case{"[1], [2]", "expected one YAML document"},
           Case{"? [a]\n: 1\n", "YAML mapping key at line 1 is not a scalar"},
           Case{"a: .inf\n", "YAML value .inf at line 1 cannot be represented in JSON"},
           // Refused before yaml-cpp, whose scanner kept every token of
           // the unclosed collections (a 1 MB body of '[' cost 240 MB).
           Case{std::string(600, '[') + std::string(600, ']'), "YAML nesting deeper than 512 levels at line 1"},
           Case{"a:\n  b: " + std::string(5000, '{'), "YAML nesting deeper than 512 levels at line 2"},
           Case{laughs, "YAML expands to more than"},
       }) {
    rapidjson::Document out;
    auto error = yaml_to_json(yaml, out);
    REQUIRE(error.has_value());
    INFO(*error);
    REQUIRE(error->rfind(starts_with, 0) == 0);
  }
}

TEST_CASE("flow nesting is counted outside quotes and comments only", "[devcluster][objects][yaml]") {
  const std::string deep(513, '[');
  SECTION("brackets in quoted scalars and comments do not count") {
    CHECK_FALSE(flow_nesting_error("a: '" + deep + "'\nb: \"" + deep + "\\\"\"\n# " + deep + "\n"));
    CHECK_FALSE(flow_nesting_error("a: ['it''s " + deep + "', \"" + deep + "\"]\n"));
    CHECK_FALSE(flow_nesting_error(std::string(512, '[') + std::string(512, ']')));
  }
  SECTION("a quote inside a plain scalar hides nothing") {
    // yaml-cpp reads "a '" as a plain scalar, then the brackets as flow.
    CHECK(flow_nesting_error("[a '" + deep));
    CHECK(flow_nesting_error("x: don't " + deep));
    CHECK(flow_nesting_error("x: a#b " + deep));
  }
  SECTION("the error names the line") {
    CHECK(*flow_nesting_error("a: 1\nb: 2\nc: " + deep) == "YAML nesting deeper than 512 levels at line 3");
  }
}
