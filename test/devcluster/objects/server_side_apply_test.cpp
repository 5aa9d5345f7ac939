#include "switchyard/devcluster/objects/server_side_apply.h"

#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/pointer.h>

#include "crd_schemas.h"
#include "switchyard/devcluster/objects/yaml_json.h"
#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

namespace {

ApplyOptions options_for(const char* manager, const ApplyListTypes* types) {
  ApplyOptions options;
  options.manager = manager;
  options.api_version = "switchyard.io/v1alpha1";
  options.now = "2026-11-25T04:00:00Z";
  options.list_types = types;
  return options;
}

void apply_ok(rapidjson::Document& live, const char* applied, const ApplyOptions& options) {
  PatchOutcome outcome = server_side_apply(live, json(applied), options);
  INFO((outcome.ok() ? std::string() : outcome.error->message));
  REQUIRE(outcome.ok());
}

const rapidjson::Value& entry_of(const rapidjson::Document& live, const char* manager) {
  for (const auto& entry : live["metadata"]["managedFields"].GetArray())
    if (entry["manager"] == manager) return entry;
  FAIL("no managedFields entry for " << manager);
  return live;
}

const char* kApplied = R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService",
  "metadata":{"name":"web","namespace":"demo","labels":{"app":"web"}},
  "spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web"},{"cluster":"west","namespace":"demo","name":"web","priority":1}],
          "consumers":["east","west"]}})";

}  // namespace

TEST_CASE("apply creates an object and records FieldsV1 ownership", "[devcluster][objects][apply]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  ApplyListTypes types = apply_list_types(*schema.root);
  REQUIRE(types.lists.at("spec.backingServices") == std::vector<std::string>{"cluster", "namespace", "name"});
  REQUIRE(types.lists.at("spec.consumers").empty());
  rapidjson::Document live(rapidjson::kObjectType);
  apply_ok(live, kApplied, options_for("kubectl", &types));
  REQUIRE(live["spec"]["backingServices"].Size() == 2);
  REQUIRE(live["metadata"]["labels"]["app"] == "web");
  const auto& entry = entry_of(live, "kubectl");
  REQUIRE(entry["operation"] == "Apply");
  REQUIRE(entry["apiVersion"] == "switchyard.io/v1alpha1");
  REQUIRE(entry["time"] == "2026-11-25T04:00:00Z");
  REQUIRE(entry["fieldsType"] == "FieldsV1");
  REQUIRE_FALSE(entry.HasMember("subresource"));
  REQUIRE_JSON_EQ(entry["fieldsV1"], R"({
    "f:metadata":{"f:labels":{"f:app":{}}},
    "f:spec":{
      "f:backingServices":{
        "k:{\"cluster\":\"east\",\"name\":\"web\",\"namespace\":\"demo\"}":{".":{},"f:cluster":{},"f:name":{},"f:namespace":{}},
        "k:{\"cluster\":\"west\",\"name\":\"web\",\"namespace\":\"demo\"}":{".":{},"f:cluster":{},"f:name":{},"f:namespace":{},"f:priority":{}}},
      "f:consumers":{"v:\"east\"":{},"v:\"west\"":{}}}})");
}

TEST_CASE("re-applying without a field removes it unless another manager owns it", "[devcluster][objects][apply]") {
  auto schema = objects_test::crd_schema("failoverservice.yaml", "v1alpha1");
  ApplyListTypes types = apply_list_types(*schema.root);
  rapidjson::Document live(rapidjson::kObjectType);
  apply_ok(live, kApplied, options_for("kubectl", &types));
  // Another manager (an Update, e.g. kubectl label) owns an extra label.
  live["metadata"]["labels"].AddMember("team", "a", live.GetAllocator());
  live["metadata"]["managedFields"].PushBack(
      rapidjson::Value(json(R"({"manager":"kubectl-label","operation":"Update","apiVersion":"v1","time":"2026-11-25T04:00:01Z",
                                  "fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:team":{},"f:app":{}}}}})"),
                       live.GetAllocator()),
      live.GetAllocator());
  apply_ok(live, R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService","metadata":{"name":"web"},
                     "spec":{"backingServices":[{"cluster":"east","namespace":"demo","name":"web","weight":5}]}})",
           options_for("kubectl", &types));
  // The west entry and consumers went; app stays because kubectl-label owns it too.
  REQUIRE_JSON_EQ(live["spec"], R"({"backingServices":[{"cluster":"east","namespace":"demo","name":"web","weight":5}]})");
  REQUIRE_JSON_EQ(live["metadata"]["labels"], R"({"app":"web","team":"a"})");
  REQUIRE(live["metadata"]["managedFields"].Size() == 2);
  REQUIRE_JSON_EQ(entry_of(live, "kubectl")["fieldsV1"], R"({"f:spec":{"f:backingServices":{
      "k:{\"cluster\":\"east\",\"name\":\"web\",\"namespace\":\"demo\"}":{".":{},"f:cluster":{},"f:name":{},"f:namespace":{},"f:weight":{}}}}})");
}

TEST_CASE("conflicts with other managers, and force", "[devcluster][objects][apply]") {
  const char* live_text = R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService",
    "metadata":{"name":"web","managedFields":[{"manager":"kubectl-client-side-apply","operation":"Update","apiVersion":"switchyard.io/v1alpha1",
      "time":"2026-11-25T03:00:00Z","fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:service":{},"f:targetNamespace":{}}}}]},
    "spec":{"service":"web","targetNamespace":"demo"}})";
  auto live = json(live_text);
  SECTION("same value: shared, no conflict") {
    apply_ok(live, R"({"spec":{"service":"web"}})", options_for("kubectl", nullptr));
    REQUIRE(live["metadata"]["managedFields"].Size() == 2);
  }
  SECTION("one conflict") {
    PatchOutcome outcome = server_side_apply(live, json(R"({"spec":{"service":"api"}})"), options_for("kubectl", nullptr));
    REQUIRE(outcome.error->kind == PatchErrorKind::kConflict);
    REQUIRE(outcome.error->message ==
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using switchyard.io/v1alpha1: .spec.service");
    REQUIRE_JSON_EQ(live, live_text);
  }
  SECTION("two conflicts") {
    PatchOutcome outcome = server_side_apply(live, json(R"({"spec":{"service":"api","targetNamespace":"x"}})"),
                                             options_for("kubectl", nullptr));
    REQUIRE(outcome.error->message ==
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using switchyard.io/v1alpha1:\n"
            "- .spec.service\n- .spec.targetNamespace");
  }
  SECTION("force takes ownership") {
    ApplyOptions options = options_for("kubectl", nullptr);
    options.force = true;
    apply_ok(live, R"({"spec":{"service":"api","targetNamespace":"x"}})", options);
    REQUIRE(live["spec"]["service"] == "api");
    // The other manager lost every field, so its entry is gone.
    REQUIRE(live["metadata"]["managedFields"].Size() == 1);
    REQUIRE(live["metadata"]["managedFields"][0]["manager"] == "kubectl");
  }
}

TEST_CASE("apply merges Deployment containers by name and finalizers as a set", "[devcluster][objects][apply]") {
  ApplyListTypes types = apply_list_types(*strategic_patch_meta("apps", "Deployment"));
  rapidjson::Document live(rapidjson::kObjectType);
  ApplyOptions options = options_for("ci", &types);
  options.api_version = "apps/v1";
  apply_ok(live, R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","finalizers":["a"]},
      "spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:1"},{"name":"sidecar","image":"p:1"}]}}}})", options);
  // Someone else adds a container the apply never mentioned.
  rapidjson::Pointer("/spec/template/spec/containers/-").Set(live, json(R"({"name":"debug","image":"d"})"));
  apply_ok(live, R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","finalizers":["a","b"]},
      "spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:2"}]}}}})", options);
  REQUIRE_JSON_EQ(live["spec"]["template"]["spec"]["containers"],
                  R"([{"name":"web","image":"web:2"},{"name":"debug","image":"d"}])");
  REQUIRE_JSON_EQ(live["metadata"]["finalizers"], R"(["a","b"])");
  REQUIRE(entry_of(live, "ci")["fieldsV1"]["f:metadata"]["f:finalizers"].HasMember("v:\"b\""));
}

TEST_CASE("apply from YAML, status subresource and refusals", "[devcluster][objects][apply]") {
  rapidjson::Document body;
  REQUIRE_FALSE(yaml_to_json("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n", body).has_value());
  rapidjson::Document live(rapidjson::kObjectType);
  ApplyOptions options = options_for("kubectl", nullptr);
  options.subresource = "status";
  REQUIRE(server_side_apply(live, body, options).ok());
  REQUIRE(live["data"]["a"] == "1");
  REQUIRE(live["metadata"]["managedFields"][0]["subresource"] == "status");

  options.manager.clear();
  auto missing = server_side_apply(live, body, options);
  REQUIRE(missing.error->kind == PatchErrorKind::kMalformed);
  REQUIRE(missing.error->message == "PATCH, application/apply-patch+yaml requests must have a fieldManager");
  auto not_object = server_side_apply(live, json("[1]"), options_for("kubectl", nullptr));
  REQUIRE(not_object.error->message == "apply configuration must be an object, got array");
}
