#include "switchyard/devcluster/objects/strategic_merge.h"

#include <string>

#include <catch2/catch.hpp>
#include <rapidjson/pointer.h>

#include "test_json.h"

using namespace switchyard::devcluster::objects;
using objects_test::json;

namespace {

rapidjson::Document patched(const char* kind_group, const char* kind, const char* target, const char* patch) {
  auto document = json(target);
  PatchOutcome outcome = apply_strategic_merge_patch(document, json(patch), strategic_patch_meta(kind_group, kind));
  INFO((outcome.ok() ? std::string() : outcome.error->message));
  REQUIRE(outcome.ok());
  return document;
}

const char* kDeployment = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","finalizers":["a"]},
  "spec":{"replicas":1,"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
    "template":{"spec":{
      "containers":[
        {"name":"web","image":"web:1","ports":[{"containerPort":80,"name":"http"}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
        {"name":"sidecar","image":"proxy:1"}],
      "volumes":[{"name":"config","configMap":{"name":"cfg"}}]}}}})";

}  // namespace

TEST_CASE("strategic merge replays a real kubectl edit of a Service", "[devcluster][objects][strategic]") {
  // kubernetes/kubectl pkg/cmd/edit/testdata/testcase-list-errors: svc1 before,
  // the patch kubectl sent (9.request) and what the server returned (9.response).
  auto service = patched("", "Service",
      R"({"metadata":{"labels":{"app":"svc1"}},"spec":{"ports":[{"name":"80","protocol":"TCP","port":82,"targetPort":81}],"clusterIP":"10.0.0.248","type":"ClusterIP","sessionAffinity":"None"}})",
      R"({"metadata":{"labels":{"newvalue":"modified"}},"spec":{"$setElementOrder/ports":[{"port":83}],
          "ports":[{"name":"80","port":83,"protocol":"TCP","targetPort":81},{"$patch":"delete","port":82}]}})");
  REQUIRE_JSON_EQ(service,
      R"({"metadata":{"labels":{"app":"svc1","newvalue":"modified"}},"spec":{"ports":[{"name":"80","protocol":"TCP","port":83,"targetPort":81}],"clusterIP":"10.0.0.248","type":"ClusterIP","sessionAffinity":"None"}})");
  auto config_map = patched("", "ConfigMap", R"({"data":{"baz":"qux","foo":"changed-value"}})",
                            R"({"data":{"foo":"changed-value2"}})");
  REQUIRE_JSON_EQ(config_map, R"({"data":{"baz":"qux","foo":"changed-value2"}})");
}

TEST_CASE("strategic merge of Deployment lists and directives", "[devcluster][objects][strategic]") {
  struct Case { const char* name; const char* patch; const char* pointer; const char* expected; };
  for (auto [name, patch, pointer, expected] : {
           Case{"container merged by name, others kept",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"web","image":"web:2"}]}}}})",
                "/spec/template/spec/containers",
                R"([{"name":"web","image":"web:2","ports":[{"containerPort":80,"name":"http"}],"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"sidecar","image":"proxy:1"}])"},
           Case{"new container appended",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"extra","image":"x"}]}}}})",
                "/spec/template/spec/containers/2", R"({"name":"extra","image":"x"})"},
           Case{"env merged by name inside a container, null deletes a field",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":null,"valueFrom":{"fieldRef":{"fieldPath":"x"}}},{"name":"C","value":"3"}]}]}}}})",
                "/spec/template/spec/containers/0/env",
                R"([{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"x"}}},{"name":"C","value":"3"}])"},
           Case{"ports by containerPort",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"web","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}]}]}}}})",
                "/spec/template/spec/containers/0/ports",
                R"([{"containerPort":80,"name":"http","protocol":"TCP"},{"containerPort":443}])"},
           Case{"$patch delete removes a container",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}})",
                "/spec/template/spec/containers/1", "null"},
           Case{"$patch replace item replaces the list",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"only","image":"o"},{"$patch":"replace"}]}}}})",
                "/spec/template/spec/containers", R"([{"name":"only","image":"o"}])"},
           Case{"$patch replace on a map",
                R"({"spec":{"strategy":{"$patch":"replace","type":"Recreate"}}})",
                "/spec/strategy", R"({"type":"Recreate"})"},
           Case{"$patch delete on a map removes it",
                R"({"spec":{"strategy":{"$patch":"delete"}}})", "/spec/strategy", "null"},
           Case{"$retainKeys drops keys not listed",
                R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})",
                "/spec/strategy", R"({"type":"Recreate"})"},
           Case{"volumes with retainKeys switch source",
                R"({"spec":{"template":{"spec":{"volumes":[{"name":"config","$retainKeys":["name","secret"],"secret":{"secretName":"s"}}]}}}})",
                "/spec/template/spec/volumes", R"([{"name":"config","secret":{"secretName":"s"}}])"},
           Case{"finalizers merge as a set",
                R"({"metadata":{"finalizers":["b","a"]}})", "/metadata/finalizers", R"(["a","b"])"},
           Case{"$deleteFromPrimitiveList",
                R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"]}})", "/metadata/finalizers", "[]"},
           Case{"$setElementOrder reorders by merge key",
                R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"}],"containers":[{"name":"sidecar","image":"proxy:2"}]}}}})",
                "/spec/template/spec/containers/0", R"({"name":"sidecar","image":"proxy:2"})"},
           Case{"lists without metadata are replaced",
                R"({"spec":{"template":{"spec":{"containers":[{"name":"web","args":["x"]}]}}},"metadata":{"labels":{"a":"b"}}})",
                "/spec/template/spec/containers/0/args", R"(["x"])"},
       }) {
    INFO(name);
    auto deployment = patched("apps", "Deployment", kDeployment, patch);
    rapidjson::Pointer pointer_path(pointer);
    const rapidjson::Value* actual = pointer_path.Get(deployment);
    if (std::string(expected) == "null") {
      REQUIRE(actual == nullptr);
    } else {
      REQUIRE(actual != nullptr);
      REQUIRE_JSON_EQ(*actual, expected);
    }
  }
}

TEST_CASE("strategic merge refusals", "[devcluster][objects][strategic]") {
  SECTION("custom resources get the 415 message") {
    auto object = json(R"({"spec":{}})");
    PatchOutcome outcome = apply_strategic_merge_patch(object, json(R"({"spec":{"a":1}})"),
                                                       strategic_patch_meta("switchyard.io", "FailoverService"));
    REQUIRE(outcome.error->kind == PatchErrorKind::kUnsupported);
    REQUIRE(outcome.error->message.rfind("the body of the request was in an unknown format", 0) == 0);
  }
  struct Case { const char* patch; PatchErrorKind kind; const char* message; };
  for (auto [patch, kind, message] : {
           Case{"[]", PatchErrorKind::kMalformed, "strategic merge patch must be a JSON object, got array"},
           Case{R"({"spec":{"$patch":"explode"}})", PatchErrorKind::kMalformed, "unknown patch type: explode in map at spec"},
           Case{R"({"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}})", PatchErrorKind::kMalformed,
                R"(map: map[string]interface {}{"image":"x"} does not contain declared merge key: name (in spec.template.spec.containers))"},
           Case{R"({"spec":{"template":{"spec":{"containers":["web"]}}}})", PatchErrorKind::kMalformed,
                "list spec.template.spec.containers merges by name but an item is not a map"},
           Case{R"({"metadata":{"finalizers":[{"a":1}]}})", PatchErrorKind::kMalformed,
                "merging a list of primitives at metadata.finalizers: found a non-primitive item"},
           Case{R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})", PatchErrorKind::kNotApplicable,
                "The patch has keys that are not in $retainKeys at spec.strategy: rollingUpdate"},
           Case{R"({"spec":{"strategy":{"$retainKeys":"type"}}})", PatchErrorKind::kMalformed,
                "$retainKeys at spec.strategy must be a list of strings"},
           Case{R"({"metadata":{"$deleteFromPrimitiveList/finalizers":"a"}})", PatchErrorKind::kMalformed,
                "$deleteFromPrimitiveList/finalizers at metadata must be a list"},
       }) {
    INFO(patch);
    auto object = json(kDeployment);
    PatchOutcome outcome = apply_strategic_merge_patch(object, json(patch), strategic_patch_meta("apps", "Deployment"));
    REQUIRE_FALSE(outcome.ok());
    REQUIRE(outcome.error->kind == kind);
    REQUIRE(outcome.error->message == message);
    REQUIRE_JSON_EQ(object, kDeployment);
  }
}

TEST_CASE("strategic merge on built-ins without list metadata acts as merge patch", "[devcluster][objects][strategic]") {
  for (auto [group, kind] : {std::pair{"", "ConfigMap"}, std::pair{"coordination.k8s.io", "Lease"},
                             std::pair{"discovery.k8s.io", "EndpointSlice"}, std::pair{"rbac.authorization.k8s.io", "Role"}}) {
    REQUIRE(strategic_patch_meta(group, kind) != nullptr);
  }
  auto slice = patched("discovery.k8s.io", "EndpointSlice",
                       R"({"endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"port":80}]})",
                       R"({"endpoints":[{"addresses":["10.0.0.2"],"conditions":{"ready":true}}]})");
  REQUIRE_JSON_EQ(slice, R"({"endpoints":[{"addresses":["10.0.0.2"],"conditions":{"ready":true}}],"ports":[{"port":80}]})");
  REQUIRE(strategic_patch_meta("apps", "StatefulSet") == nullptr);
}

TEST_CASE("strategic merge on large lists", "[devcluster][objects][strategic]") {
  std::string target = R"({"spec":{"ports":[)";
  std::string patch = R"({"spec":{"ports":[)";
  for (int i = 0; i < 2000; ++i) {
    target += std::string(i ? "," : "") + R"({"port":)" + std::to_string(i) + "}";
    patch += std::string(i ? "," : "") + R"({"port":)" + std::to_string(i * 2) + R"(,"name":"p"})";
  }
  target += "]}}";
  patch += "]}}";
  auto service = patched("", "Service", target.c_str(), patch.c_str());
  REQUIRE(service["spec"]["ports"].Size() == 3000);
  REQUIRE(service["spec"]["ports"][2]["name"] == "p");
  REQUIRE_FALSE(service["spec"]["ports"][1].HasMember("name"));
}
