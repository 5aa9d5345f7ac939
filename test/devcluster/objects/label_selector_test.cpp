#include "switchyard/devcluster/objects/label_selector.h"

#include <string>

#include <catch2/catch.hpp>

#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

TEST_CASE("label selectors parse into requirements", "[devcluster][objects][selector]") {
  using Op = LabelOperator;
  struct Case { const char* text; std::vector<LabelRequirement> expected; };
  for (const auto& [text, expected] : std::vector<Case>{
           {"", {}},
           {"app=web", {{"app", Op::kEquals, {"web"}}}},
           {"app == web", {{"app", Op::kEquals, {"web"}}}},
           {"app!=web", {{"app", Op::kNotEquals, {"web"}}}},
           {"app=", {{"app", Op::kEquals, {""}}}},
           {"tier in (front, back),app", {{"app", Op::kExists, {}}, {"tier", Op::kIn, {"front", "back"}}}},
           {"tier notin (x)", {{"tier", Op::kNotIn, {"x"}}}},
           {"!canary", {{"canary", Op::kDoesNotExist, {}}}},
           {" switchyard.io/owner = hub , ! legacy", {{"legacy", Op::kDoesNotExist, {}}, {"switchyard.io/owner", Op::kEquals, {"hub"}}}},
           {"gen>3,gen<10", {{"gen", Op::kGreaterThan, {"3"}}, {"gen", Op::kLessThan, {"10"}}}},
           {"a in ()", {{"a", Op::kIn, {""}}}},
       }) {
    INFO(text);
    auto parsed = parse_label_selector(text);
    INFO(parsed.error);
    REQUIRE(parsed.ok());
    REQUIRE(parsed.selector->requirements == expected);
  }
}

TEST_CASE("label selector errors read like the API server's", "[devcluster][objects][selector]") {
  struct Case { const char* text; const char* error; };
  for (auto [text, error] : {
           Case{"app in web", "unable to parse requirement: found 'web', expected: '('"},
           Case{"app in (a b)", "unable to parse requirement: found 'b', expected: ',', or ')'"},
           Case{"app in (a", "unable to parse requirement: found '', expected: ',', or ')'"},
           Case{"app,", "unable to parse requirement: found '', expected: identifier after ','"},
           Case{"=web", "unable to parse requirement: found '=', expected: !, identifier, or 'end of string'"},
           Case{"app web", "unable to parse requirement: found 'web', expected: in, notin, =, ==, !=, gt, lt"},
           Case{"!app=web", "unable to parse requirement: found '=', expected: ',' or 'end of string'"},
           Case{"app=a=b", "unable to parse requirement: found '=', expected: ',' or 'end of string'"},
           Case{"gen>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer"},
           Case{"-app=x", "unable to parse requirement: key: Invalid value: \"-app\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"},
           Case{"app=-x", "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"},
           Case{"Bad_Prefix/app", "unable to parse requirement: key: Invalid value: \"Bad_Prefix/app\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
       }) {
    INFO(text);
    auto parsed = parse_label_selector(text);
    REQUIRE_FALSE(parsed.ok());
    REQUIRE(parsed.error == error);
  }
  SECTION("too long names and values") {
    auto key = parse_label_selector(std::string(64, 'a') + "=b");
    REQUIRE(key.error.find("name part must be no more than 63 characters") != std::string::npos);
    auto value = parse_label_selector("a=" + std::string(64, 'b'));
    REQUIRE(value.error.find("must be no more than 63 characters") != std::string::npos);
  }
}

TEST_CASE("label selectors match metadata.labels", "[devcluster][objects][selector]") {
  auto object = json(R"({"metadata":{"name":"x","labels":{"app":"web","tier":"front","gen":"5"}}})");
  auto unlabelled = json(R"({"metadata":{"name":"y"}})");
  struct Case { const char* selector; bool labelled; bool bare; };
  for (auto [selector, labelled, bare] : {
           Case{"", true, true}, Case{"app=web", true, false}, Case{"app==db", false, false},
           Case{"app!=db", true, true}, Case{"app!=web", false, true}, Case{"tier in (back,front)", true, false},
           Case{"tier notin (front)", false, true}, Case{"app", true, false}, Case{"!app", false, true},
           Case{"app=web,tier=back", false, false}, Case{"gen>4", true, false}, Case{"gen<5", false, false},
           Case{"app in (web),!canary", true, false},
       }) {
    INFO(selector);
    auto parsed = parse_label_selector(selector);
    REQUIRE(parsed.ok());
    CHECK(parsed.selector->matches(object_labels(object)) == labelled);
    CHECK(parsed.selector->matches(object_labels(unlabelled)) == bare);
  }
}
