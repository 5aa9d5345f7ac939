#include "switchyard/devcluster/objects/json_patch.h"

#include <string>

#include <catch2/catch.hpp>

#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

TEST_CASE("json patch operations", "[devcluster][objects][jsonpatch]") {
  struct Case { const char* name; const char* target; const char* patch; const char* result; };
  for (auto [name, target, patch, result] : {
           Case{"add member", R"({"a":1})", R"([{"op":"add","path":"/b","value":2}])", R"({"a":1,"b":2})"},
           Case{"add replaces existing member", R"({"a":1})", R"([{"op":"add","path":"/a","value":[1]}])", R"({"a":[1]})"},
           Case{"add inserts into array", R"({"a":[1,3]})", R"([{"op":"add","path":"/a/1","value":2}])", R"({"a":[1,2,3]})"},
           Case{"add at end index", R"({"a":[1]})", R"([{"op":"add","path":"/a/1","value":2}])", R"({"a":[1,2]})"},
           Case{"add dash appends", R"({"a":[1]})", R"([{"op":"add","path":"/a/-","value":{"x":1}}])", R"({"a":[1,{"x":1}]})"},
           Case{"add root", R"({"a":1})", R"([{"op":"add","path":"","value":{"b":2}}])", R"({"b":2})"},
           Case{"remove member", R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])", R"({"b":2})"},
           Case{"remove array item", R"({"a":[1,2,3]})", R"([{"op":"remove","path":"/a/0"}])", R"({"a":[2,3]})"},
           Case{"replace", R"({"spec":{"x":1}})", R"([{"op":"replace","path":"/spec/x","value":"y"}])", R"({"spec":{"x":"y"}})"},
           Case{"replace null value", R"({"a":null})", R"([{"op":"replace","path":"/a","value":1}])", R"({"a":1})"},
           Case{"move", R"({"a":{"b":1},"c":{}})", R"([{"op":"move","from":"/a/b","path":"/c/d"}])", R"({"a":{},"c":{"d":1}})"},
           Case{"move within array", R"({"a":[1,2,3]})", R"([{"op":"move","from":"/a/0","path":"/a/2"}])", R"({"a":[2,3,1]})"},
           Case{"copy", R"({"a":{"b":[1]}})", R"([{"op":"copy","from":"/a/b","path":"/c"}])", R"({"a":{"b":[1]},"c":[1]})"},
           Case{"test then replace", R"({"a":"x"})", R"([{"op":"test","path":"/a","value":"x"},{"op":"replace","path":"/a","value":"y"}])", R"({"a":"y"})"},
           Case{"escaped tokens", R"({"metadata":{"labels":{"a/b":"1","c~d":"2"}}})",
                R"([{"op":"remove","path":"/metadata/labels/a~1b"},{"op":"replace","path":"/metadata/labels/c~0d","value":"3"}])",
                R"({"metadata":{"labels":{"c~d":"3"}}})"},
           Case{"annotation key with slash", R"({"metadata":{}})",
                R"([{"op":"add","path":"/metadata/annotations","value":{}},{"op":"add","path":"/metadata/annotations/switchyard.io~1pause","value":"true"}])",
                R"({"metadata":{"annotations":{"switchyard.io/pause":"true"}}})"},
           Case{"empty patch", R"({"a":1})", "[]", R"({"a":1})"},
           Case{"test numbers compare by value", R"({"a":1})", R"([{"op":"test","path":"/a","value":1.0}])", R"({"a":1})"},
       }) {
    INFO(name);
    auto document = json(target);
    PatchOutcome outcome = apply_json_patch(document, json(patch));
    INFO((outcome.ok() ? std::string() : outcome.error->message));
    REQUIRE(outcome.ok());
    REQUIRE_JSON_EQ(document, result);
  }
}

TEST_CASE("json patch errors leave the target untouched", "[devcluster][objects][jsonpatch]") {
  struct Case { const char* name; const char* patch; PatchErrorKind kind; const char* message; };
  const char* target = R"({"spec":{"x":1,"list":[1,2]}})";
  for (auto [name, patch, kind, message] : {
           Case{"not an array", R"({"op":"add"})", PatchErrorKind::kMalformed, "json patch must be a JSON array of operations, got object"},
           Case{"operation not an object", R"([1])", PatchErrorKind::kMalformed, "operation 0: must be a JSON object"},
           Case{"unknown op", R"([{"op":"frobnicate","path":"/a"}])", PatchErrorKind::kMalformed, "operation 0: unexpected op \"frobnicate\""},
           Case{"missing op", R"([{"path":"/a"}])", PatchErrorKind::kMalformed, "operation 0: missing or non-string \"op\""},
           Case{"missing path", R"([{"op":"add","value":1}])", PatchErrorKind::kMalformed, "operation 0 (add): missing \"path\""},
           Case{"missing value", R"([{"op":"add","path":"/a"}])", PatchErrorKind::kMalformed, "operation 0 (add /a): missing \"value\""},
           Case{"bad pointer", R"([{"op":"remove","path":"spec"}])", PatchErrorKind::kMalformed, "operation 0: invalid JSON pointer \"spec\""},
           Case{"bad escape", R"([{"op":"remove","path":"/a~2"}])", PatchErrorKind::kMalformed, "operation 0: invalid JSON pointer \"/a~2\""},
           Case{"move without from", R"([{"op":"move","path":"/a"}])", PatchErrorKind::kMalformed, "operation 0 (move): missing or invalid \"from\""},
           Case{"remove missing", R"([{"op":"remove","path":"/spec/y"}])", PatchErrorKind::kNotApplicable, "unable to remove nonexistent key: /spec/y: missing value"},
           Case{"remove root", R"([{"op":"remove","path":""}])", PatchErrorKind::kNotApplicable, "unable to remove nonexistent key: : missing value"},
           Case{"replace missing", R"([{"op":"replace","path":"/spec/y","value":1}])", PatchErrorKind::kNotApplicable, "replace operation does not apply: doc is missing key: /spec/y: missing value"},
           Case{"add under missing parent", R"([{"op":"add","path":"/status/state","value":"x"}])", PatchErrorKind::kNotApplicable, "add operation does not apply: doc is missing path: \"/status/state\": missing value"},
           Case{"add past array end", R"([{"op":"add","path":"/spec/list/5","value":1}])", PatchErrorKind::kNotApplicable, "unable to access invalid index: 5 in /spec/list/5: invalid index referenced"},
           Case{"leading zero index", R"([{"op":"add","path":"/spec/list/01","value":1}])", PatchErrorKind::kNotApplicable, "unable to access invalid index: 01 in /spec/list/01: invalid index referenced"},
           Case{"dash outside add", R"([{"op":"remove","path":"/spec/list/-"}])", PatchErrorKind::kNotApplicable, "unable to remove nonexistent key: /spec/list/-: missing value"},
           Case{"move into itself", R"([{"op":"move","from":"/spec","path":"/spec/x/y"}])", PatchErrorKind::kNotApplicable, "move operation does not apply: /spec/x/y is inside /spec"},
           Case{"move from missing", R"([{"op":"move","from":"/nope","path":"/a"}])", PatchErrorKind::kNotApplicable, "move operation does not apply: doc is missing from path: /nope: missing value"},
           Case{"copy from missing", R"([{"op":"copy","from":"/nope","path":"/a"}])", PatchErrorKind::kNotApplicable, "copy operation does not apply: doc is missing from path: /nope: missing value"},
           Case{"test fails", R"([{"op":"test","path":"/spec/x","value":2}])", PatchErrorKind::kTestFailed, "testing value /spec/x failed: test failed"},
           Case{"later op fails after earlier succeeded", R"([{"op":"replace","path":"/spec/x","value":9},{"op":"test","path":"/spec/x","value":1}])", PatchErrorKind::kTestFailed, "testing value /spec/x failed: test failed"},
       }) {
    INFO(name);
    auto document = json(target);
    PatchOutcome outcome = apply_json_patch(document, json(patch));
    REQUIRE_FALSE(outcome.ok());
    REQUIRE(outcome.error->kind == kind);
    REQUIRE(outcome.error->message == message);
    REQUIRE_JSON_EQ(document, target);
  }
}

TEST_CASE("json patch limits and large inputs", "[devcluster][objects][jsonpatch]") {
  SECTION("more than 10000 operations is refused") {
    std::string patch = "[";
    for (int i = 0; i <= 10000; ++i) patch += std::string(i ? "," : "") + R"({"op":"test","path":"","value":{}})";
    patch += "]";
    auto document = json("{}");
    PatchOutcome outcome = apply_json_patch(document, json(patch));
    REQUIRE_FALSE(outcome.ok());
    REQUIRE(outcome.error->message == "The allowed maximum operations in a JSON patch is 10000, got 10001");
  }
  SECTION("10000 appends to one array") {
    std::string patch = "[";
    for (int i = 0; i < 10000; ++i)
      patch += std::string(i ? "," : "") + R"({"op":"add","path":"/a/-","value":)" + std::to_string(i) + "}";
    patch += "]";
    auto document = json(R"({"a":[]})");
    REQUIRE(apply_json_patch(document, json(patch)).ok());
    REQUIRE(document["a"].Size() == 10000);
    REQUIRE(document["a"][9999].GetInt() == 9999);
  }
  SECTION("deep path") {
    std::string target;
    std::string path;
    for (int i = 0; i < 300; ++i) { target += R"({"n":)"; path += "/n"; }
    target += "0" + std::string(300, '}');
    auto document = json(target);
    REQUIRE(apply_json_patch(document, json(R"([{"op":"replace","path":")" + path + R"(","value":7}])")).ok());
    const rapidjson::Value* node = &document;
    for (int i = 0; i < 300; ++i) node = &(*node)["n"];
    REQUIRE(node->GetInt() == 7);
  }
}
