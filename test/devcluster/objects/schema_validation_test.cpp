#include "switchyard/devcluster/objects/schema_validation.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "crd_schemas.h"
#include "switchyard/devcluster/objects/merge_patch.h"
#include "switchyard/devcluster/objects/schema_defaulting.h"
#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

namespace {

const char* kValidFailoverService = R"({
  "apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
  "metadata": {"name": "web", "namespace": "demo"},
  "spec": {
    "service": "web",
    "backingServices": [
      {"cluster": "east", "namespace": "demo", "name": "web", "priority": 0, "weight": 1},
      {"cluster": "west", "namespace": "demo", "name": "web", "priority": 1}
    ],
    "consumers": ["east", "west"],
    "output": {"kind": "TrafficSplit", "apiVersion": "split.smi-spec.io/v1alpha2"}
  },
  "status": {"state": "Primary", "lastFailoverTime": "2026-11-25T03:00:00Z",
             "active": [{"cluster": "east", "namespace": "demo", "name": "web"}]}
})";

// The valid object with `patch` merged in.
rapidjson::Document failover_service_with(const char* patch) {
  rapidjson::Document object = json(kValidFailoverService);
  merge_patch_value(object, json(patch), object.GetAllocator());
  return object;
}

std::string consumers(int count, bool duplicate) {
  std::string list = "[";
  for (int i = 0; i < count; ++i) list += std::string(i ? "," : "") + "\"c" + std::to_string(duplicate ? 0 : i) + "\"";
  return list + "]";
}

}  // namespace

TEST_CASE("valid objects of every project CRD pass", "[devcluster][objects][schema]") {
  auto failover = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  REQUIRE(validate_against_schema(*failover.root, json(kValidFailoverService)).empty());

  auto member = objects_test::crd_schema("membercluster.yaml", "v1alpha1");
  auto member_object = json(R"({"apiVersion":"switchyard.io/v1alpha1","kind":"MemberCluster",
      "metadata":{"name":"east"},
      "spec":{"tokenSecretRef":{"namespace":"switchyard-system","name":"east-token"}}})");
  auto member_causes = validate_against_schema(*member.root, member_object);
  INFO((member_causes.empty() ? "" : member_causes.front().text()));
  REQUIRE(member_causes.empty());

  auto split = objects_test::crd_schema("trafficsplit.yaml", "v1alpha2");
  auto split_object = json(R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit",
      "metadata":{"name":"web","namespace":"demo"},
      "spec":{"service":"web","backends":[{"service":"web","weight":90},{"service":"web-west","weight":10}]}})");
  REQUIRE(validate_against_schema(*split.root, split_object).empty());
}

TEST_CASE("FailoverService violations are reported like the API server", "[devcluster][objects][schema]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  struct Case {
    const char* name;
    std::string patch;
    CauseReason reason;
    const char* field;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"required at the root", R"({"spec":null})", CauseReason::kRequired, "spec", "Required value"},
      {"required in a list item", R"({"spec":{"backingServices":[{"namespace":"demo","name":"web"}]}})",
       CauseReason::kRequired, "spec.backingServices[0].cluster", "Required value"},
      {"minimum", R"({"spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web","priority":-1}]}})",
       CauseReason::kInvalid, "spec.backingServices[0].priority",
       "Invalid value: -1: spec.backingServices[0].priority in body should be greater than or equal to 0"},
      {"maximum prints like Go", R"({"spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web","weight":1000001}]}})",
       CauseReason::kInvalid, "spec.backingServices[0].weight",
       "Invalid value: 1000001: spec.backingServices[0].weight in body should be less than or equal to 1e+06"},
      {"type", R"({"spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web","priority":"high"}]}})",
       CauseReason::kTypeInvalid, "spec.backingServices[0].priority",
       R"(Invalid value: "string": spec.backingServices[0].priority in body must be of type integer: "string")"},
      {"non-integral number for integer", R"({"spec":{"health":{"minReadyEndpoints":1.5}}})",
       CauseReason::kTypeInvalid, "spec.health.minReadyEndpoints",
       R"(Invalid value: "number": spec.health.minReadyEndpoints in body must be of type integer: "number")"},
      {"null for a non-nullable field", R"({"spec":{"service":null}})", CauseReason::kRequired, "", ""},
      {"boolean", R"({"spec":{"health":{"requireMirrorReady":"yes"}}})", CauseReason::kTypeInvalid,
       "spec.health.requireMirrorReady",
       R"(Invalid value: "string": spec.health.requireMirrorReady in body must be of type boolean: "string")"},
      {"maxLength", R"({"spec":{"service":")" + std::string(64, 'a') + R"("}})", CauseReason::kTooLong,
       "spec.service", "Too long: may not be more than 63 bytes"},
      {"pattern", R"({"spec":{"backingServices":[{"cluster":"East","namespace":"demo","name":"web"}]}})",
       CauseReason::kInvalid, "spec.backingServices[0].cluster",
       R"(Invalid value: "East": spec.backingServices[0].cluster in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')"},
      {"minItems", R"({"spec":{"backingServices":[]}})", CauseReason::kInvalid, "spec.backingServices",
       "Invalid value: 0: spec.backingServices in body should have at least 1 items"},
      {"minItems of consumers", R"({"spec":{"consumers":[]}})", CauseReason::kInvalid, "spec.consumers",
       "Invalid value: 0: spec.consumers in body should have at least 1 items"},
      {"maxItems", R"({"spec":{"consumers":)" + consumers(65, false) + "}}", CauseReason::kTooMany,
       "spec.consumers", "Too many: 65: must have at most 64 items"},
      {"list-type set", R"({"spec":{"consumers":["east","west","east"]}})", CauseReason::kDuplicate,
       "spec.consumers[2]", R"(Duplicate value: "east")"},
      {"list-type map keys", R"({"spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web"},{"cluster":"east","namespace":"demo","name":"web","priority":3}]}})",
       CauseReason::kDuplicate, "spec.backingServices[1]",
       R"(Duplicate value: map[string]interface {}{"cluster":"east", "name":"web", "namespace":"demo"})"},
      {"enum", R"({"status":{"state":"Up"}})", CauseReason::kNotSupported, "status.state",
       R"(Unsupported value: "Up": supported values: "Primary", "FailedOver", "NoHealthyBackend", "Frozen", "Invalid")"},
      {"format date-time", R"({"status":{"lastFailoverTime":"yesterday"}})", CauseReason::kInvalid,
       "status.lastFailoverTime",
       R"(Invalid value: "yesterday": status.lastFailoverTime in body must be of type date-time: "yesterday")"},
      {"conditions map by type", R"({"status":{"conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z","reason":"a","message":""},{"type":"Ready","status":"Maybe","lastTransitionTime":"2026-01-01T00:00:00Z","reason":"a","message":""}]}})",
       CauseReason::kNotSupported, "status.conditions[1].status",
       R"(Unsupported value: "Maybe": supported values: "True", "False", "Unknown")"},
  };
  for (const Case& test : cases) {
    INFO(test.name);
    auto object = failover_service_with(test.patch.c_str());
    auto causes = validate_against_schema(*schema.root, object);
    if (std::string(test.name) == "null for a non-nullable field") {
      // A merge patch null deletes; set null explicitly instead.
      object["spec"].AddMember("service", rapidjson::Value(), object.GetAllocator());
      causes = validate_against_schema(*schema.root, object);
      REQUIRE(causes.size() == 1);
      REQUIRE(causes[0].reason == CauseReason::kTypeInvalid);
      REQUIRE(causes[0].message == R"(Invalid value: "null": spec.service in body must be of type string: "null")");
      continue;
    }
    REQUIRE(!causes.empty());
    INFO(causes.front().text());
    REQUIRE(causes.front().reason == test.reason);
    REQUIRE(causes.front().field == test.field);
    REQUIRE(causes.front().message == test.message);
  }
}

TEST_CASE("several causes aggregate into one Status message", "[devcluster][objects][schema]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  auto object = failover_service_with(
      R"({"spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web","priority":-1},{"namespace":"x","name":"y"}]}})");
  auto causes = validate_against_schema(*schema.root, object);
  REQUIRE(causes.size() == 2);
  REQUIRE(cause_reason_name(causes[0].reason) == "FieldValueInvalid");
  REQUIRE(cause_reason_name(causes[1].reason) == "FieldValueRequired");
  REQUIRE(invalid_status_message("FailoverService.switchyard.io", "web", causes) ==
          "FailoverService.switchyard.io \"web\" is invalid: [spec.backingServices[0].priority: Invalid value: -1: "
          "spec.backingServices[0].priority in body should be greater than or equal to 0, "
          "spec.backingServices[1].cluster: Required value]");
  REQUIRE(invalid_status_message("FailoverService.switchyard.io", "x", {causes[0]}) ==
          "FailoverService.switchyard.io \"x\" is invalid: spec.backingServices[0].priority: Invalid value: -1: "
          "spec.backingServices[0].priority in body should be greater than or equal to 0");
}

TEST_CASE("TrafficSplit keywords: int-or-string, minLength", "[devcluster][objects][schema]") {
  auto v1alpha1 = objects_test::crd_schema("trafficsplit.yaml", "v1alpha1");
  auto ok = json(R"({"spec":{"service":"web","backends":[{"service":"a","weight":"500m"},{"service":"b","weight":1}]}})");
  REQUIRE(validate_against_schema(*v1alpha1.root, ok).empty());
  auto bad = json(R"({"spec":{"service":"","backends":[{"service":"a","weight":true}]}})");
  auto causes = validate_against_schema(*v1alpha1.root, bad);
  REQUIRE(causes.size() == 2);
  REQUIRE(causes[0].message == R"(Invalid value: "": spec.service in body should be at least 1 chars long)");
  REQUIRE(causes[1].reason == CauseReason::kTypeInvalid);
  REQUIRE(causes[1].field == "spec.backends[0].weight");
}

TEST_CASE("keywords the project CRDs do not use", "[devcluster][objects][schema]") {
  auto compiled = compile_schema(json(R"({
    "type": "object",
    "properties": {
      "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true},
      "step": {"type": "integer", "multipleOf": 5},
      "tags": {"type": "array", "uniqueItems": true, "items": {"type": "string"}},
      "labels": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}, "maxProperties": 2},
      "maybe": {"type": "string", "nullable": true},
      "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
      "anything": {"x-kubernetes-preserve-unknown-fields": true},
      "port": {"x-kubernetes-int-or-string": true, "pattern": "^[a-z]+$"},
      "day": {"type": "string", "format": "date"},
      "few": {"type": "object", "minProperties": 1}
    }})"));
  REQUIRE(compiled.ok());
  struct Case { const char* object; CauseReason reason; const char* field; const char* message; };
  for (auto [object, reason, field, message] : {
           Case{R"({"ratio":0})", CauseReason::kInvalid, "ratio", "Invalid value: 0: ratio in body should be greater than 0"},
           Case{R"({"ratio":1})", CauseReason::kInvalid, "ratio", "Invalid value: 1: ratio in body should be less than 1"},
           Case{R"({"step":7})", CauseReason::kInvalid, "step", "Invalid value: 7: step in body should be a multiple of 5"},
           Case{R"({"tags":["a","b","a"]})", CauseReason::kDuplicate, "tags", R"(Duplicate value: "a")"},
           Case{R"({"labels":{"a":"long"}})", CauseReason::kTooLong, "labels[a]", "Too long: may not be more than 3 bytes"},
           Case{R"({"labels":{"a":"1","b":"2","c":"3"}})", CauseReason::kInvalid, "labels", "Invalid value: 3: labels in body should have at most 2 properties"},
           Case{R"({"labels":{"a":1}})", CauseReason::kTypeInvalid, "labels[a]", R"(Invalid value: "integer": labels[a] in body must be of type string: "integer")"},
           Case{R"({"port":"HTTP"})", CauseReason::kInvalid, "port", R"(Invalid value: "HTTP": port in body should match '^[a-z]+$')"},
           Case{R"({"port":1.5})", CauseReason::kTypeInvalid, "port", R"(Invalid value: "number": port in body must be of type integer,string: "number")"},
           Case{R"({"day":"2026-13"})", CauseReason::kInvalid, "day", R"(Invalid value: "2026-13": day in body must be of type date: "2026-13")"},
           Case{R"({"few":{}})", CauseReason::kInvalid, "few", "Invalid value: 0: few in body should have at least 1 properties"},
       }) {
    INFO(object);
    auto causes = validate_against_schema(*compiled.root, json(object));
    REQUIRE(causes.size() == 1);
    CHECK(causes[0].reason == reason);
    CHECK(causes[0].field == field);
    CHECK(causes[0].message == message);
  }
  for (const char* valid : {R"({"ratio":0.5,"step":10,"tags":["a","b"],"labels":{"a":"x"}})",
                            R"({"maybe":null,"free":{"x":{"y":1}},"anything":[1,"a",null]})",
                            R"({"port":8080})", R"({"port":"http"})", R"({"day":"2026-11-25"})"}) {
    INFO(valid);
    REQUIRE(validate_against_schema(*compiled.root, json(valid)).empty());
  }
}

TEST_CASE("compile_schema refuses broken schemas with their path", "[devcluster][objects][schema]") {
  struct Case { const char* schema; const char* error; };
  for (auto [schema, error] : {
           Case{R"({"type":"object","properties":{"a":{"type":"string","pattern":"("}}})", "properties.a.pattern: invalid regular expression"},
           Case{R"({"type":"strange"})", "type: unsupported type \"strange\""},
           Case{R"({"type":"object","properties":{"a":{"maxLength":-1}}})", "properties.a.maxLength: must be a non-negative integer"},
           Case{R"({"type":"object","required":"a"})", "required: must be a list of strings"},
           Case{R"([])", "schema: must be an object"},
       }) {
    auto compiled = compile_schema(json(schema));
    REQUIRE_FALSE(compiled.ok());
    INFO(compiled.error);
    REQUIRE(compiled.error.rfind(error, 0) == 0);
  }
}

TEST_CASE("defaults fill absent and null fields, recursively", "[devcluster][objects][schema]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  auto object = json(R"({"spec":{"backingServices":[{"cluster":"a","namespace":"b","name":"c"}],
                          "health":{"unknownAfterSeconds":10,"minReadyEndpoints":null},"output":{}}})");
  apply_schema_defaults(*schema.root, object);
  REQUIRE_JSON_EQ(object["spec"]["health"],
                  R"({"unknownAfterSeconds":10,"minReadyEndpoints":1,"requireMirrorReady":true,"silentFailoverSeconds":120,
                      "failureThreshold":2,"successThreshold":2})");
  // output.kind has no default (the consumer's MemberCluster decides), its SMI version has one.
  REQUIRE_JSON_EQ(object["spec"]["output"], R"({"apiVersion":"split.smi-spec.io/v1alpha2"})");
  // No default for an absent parent object: failback stays absent.
  REQUIRE_FALSE(object["spec"].HasMember("failback"));
  REQUIRE(validate_against_schema(*schema.root, object).empty());

  auto member = objects_test::crd_schema("membercluster.yaml", "v1alpha1");
  auto cluster = json(R"({"spec":{"tokenSecretRef":{"namespace":"a","name":"b"}}})");
  apply_schema_defaults(*member.root, cluster);
  REQUIRE(cluster["spec"]["tokenSecretRef"]["key"] == "token");

  auto nested = compile_schema(json(R"({"type":"object","properties":{"a":{"type":"object","default":{},
      "properties":{"b":{"type":"integer","default":3}}},
      "list":{"type":"array","items":{"type":"object","properties":{"c":{"type":"string","default":"x"}}}}}})"));
  REQUIRE(nested.ok());
  auto value = json(R"({"list":[{},{"c":"y"}]})");
  apply_schema_defaults(*nested.root, value);
  REQUIRE_JSON_EQ(value, R"({"list":[{"c":"x"},{"c":"y"}],"a":{"b":3}})");
}

TEST_CASE("pruning drops unknown fields and keeps resource fields", "[devcluster][objects][schema]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  auto object = failover_service_with(
      R"({"metadata":{"labels":{"a":"b"}},"spec":{"colour":"red","backingServices":[{"cluster":"east","namespace":"demo","name":"web","extra":1}]},"top":1})");
  auto pruned = prune_unknown_fields(*schema.root, object);
  REQUIRE(pruned == std::vector<std::string>{"spec.backingServices[0].extra", "spec.colour", "top"});
  REQUIRE_FALSE(object["spec"].HasMember("colour"));
  REQUIRE_FALSE(object.HasMember("top"));
  REQUIRE(object["metadata"]["labels"]["a"] == "b");
  REQUIRE(object["apiVersion"] == "switchyard.io/v1alpha1");

  auto preserving = compile_schema(json(R"({"type":"object","properties":{
      "free":{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"known":{"type":"object","properties":{}}}},
      "map":{"type":"object","additionalProperties":{"type":"object","properties":{"x":{"type":"integer"}}}},
      "embedded":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}}}})"));
  REQUIRE(preserving.ok());
  auto value = json(R"({"free":{"anything":1,"known":{"gone":2}},"map":{"k":{"x":1,"y":2}},
                        "embedded":{"apiVersion":"v1","kind":"ConfigMap","metadata":{},"data":{}}})");
  auto removed = prune_unknown_fields(*preserving.root, value);
  REQUIRE(removed == std::vector<std::string>{"free.known.gone", "map[k].y", "embedded.data"});
  REQUIRE_JSON_EQ(value, R"({"free":{"anything":1,"known":{}},"map":{"k":{"x":1}},
                             "embedded":{"apiVersion":"v1","kind":"ConfigMap","metadata":{}}})");
}

TEST_CASE("validation copes with huge arrays, long strings and deep objects", "[devcluster][objects][schema]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  SECTION("a 100000-entry consumers list is reported once as too many") {
    auto object = failover_service_with(R"({"spec":{"consumers":null}})");
    rapidjson::Value list(rapidjson::kArrayType);
    for (int i = 0; i < 100000; ++i) {
      std::string name = "c" + std::to_string(i);
      list.PushBack(rapidjson::Value(name.c_str(), object.GetAllocator()), object.GetAllocator());
    }
    object["spec"].AddMember("consumers", list, object.GetAllocator());
    auto causes = validate_against_schema(*schema.root, object);
    REQUIRE(causes.size() == 1);
    REQUIRE(causes[0].message == "Too many: 100000: must have at most 64 items");
  }
  SECTION("a 1 MiB string against a pattern does not overflow the stack") {
    std::string patch = R"({"spec":{"mirror":{"nameTemplate":")" + std::string(1 << 20, 'a') + R"("}}})";
    auto causes = validate_against_schema(*schema.root, failover_service_with(patch.c_str()));
    REQUIRE(causes.size() == 2);
    REQUIRE(causes[0].reason == CauseReason::kTooLong);
    REQUIRE(causes[1].message.find("too long to match against") != std::string::npos);
  }
  SECTION("deep unknown nesting under preserve-unknown-fields") {
    auto compiled = compile_schema(json(R"({"type":"object","x-kubernetes-preserve-unknown-fields":true})"));
    std::string deep;
    for (int i = 0; i < 500; ++i) deep += R"({"a":)";
    deep += "1" + std::string(500, '}');
    REQUIRE(validate_against_schema(*compiled.root, json(deep)).empty());
  }
}
