#include <catch2/catch.hpp>

#include "switchyard/agent/split_plan.h"

using namespace switchyard;
using namespace switchyard::agent;

namespace {

protocol::DesiredTrafficSplit desired(const std::string& name, int local_weight, int remote_weight) {
  protocol::DesiredTrafficSplit split;
  split.api_version = "split.smi-spec.io/v1alpha2";
  split.namespace_name = "emojivoto";
  split.name = name;
  split.labels = {{"app.kubernetes.io/managed-by", "switchyard"},
                  {"switchyard.io/failover-service", "emojivoto." + name}};
  split.object_json = R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":")" +
                      name +
                      R"(","namespace":"emojivoto","labels":{"app.kubernetes.io/managed-by":"switchyard","switchyard.io/failover-service":"emojivoto.)" +
                      name + R"("}},"spec":{"service":")" + name + R"(","backends":[{"service":")" + name +
                      R"(","weight":)" + std::to_string(local_weight) + R"(},{"service":")" + name +
                      R"(-east","weight":)" + std::to_string(remote_weight) + "}]}}";
  return split;
}

ExistingTrafficSplit existing(const std::string& name, bool managed, std::string spec_json) {
  ExistingTrafficSplit split;
  split.namespace_name = "emojivoto";
  split.name = name;
  split.spec_json = std::move(spec_json);
  if (managed) {
    split.labels = {{"app.kubernetes.io/managed-by", "switchyard"},
                    {"switchyard.io/failover-service", "emojivoto." + name}};
  }
  return split;
}

}  // namespace

TEST_CASE("a missing TrafficSplit is created with the object as assigned", "[agent]") {
  const auto want = desired("web-svc", 1, 0);
  const auto actions = plan_split_actions({want}, {});
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].action == SplitAction::Create);
  CHECK(actions[0].body == want.object_json);
}

TEST_CASE("a matching TrafficSplit is left alone, whatever its member order", "[agent]") {
  const auto actions = plan_split_actions(
      {desired("web-svc", 1, 0)},
      {existing("web-svc", true,
                R"({"backends":[{"weight":1,"service":"web-svc"},{"weight":0,"service":"web-svc-east"}],"service":"web-svc"})")});
  CHECK(actions.empty());
}

TEST_CASE("a TrafficSplit with other weights is merge-patched", "[agent]") {
  const auto actions = plan_split_actions(
      {desired("web-svc", 0, 1)},
      {existing("web-svc", true,
                R"({"service":"web-svc","backends":[{"service":"web-svc","weight":1},{"service":"web-svc-east","weight":0}]})")});
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].action == SplitAction::Patch);
  CHECK_THAT(actions[0].body, Catch::Contains(R"("backends":[{"service":"web-svc","weight":0},{"service":"web-svc-east","weight":1}])"));
  CHECK_THAT(actions[0].body, Catch::Contains(R"("app.kubernetes.io/managed-by":"switchyard")"));
}

TEST_CASE("a TrafficSplit switchyard does not manage is never overwritten", "[agent]") {
  const auto actions = plan_split_actions(
      {desired("web-svc", 1, 0)},
      {existing("web-svc", false, R"({"service":"web-svc","backends":[{"service":"web-svc","weight":1}]})")});
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].action == SplitAction::ForeignConflict);
  CHECK_THAT(actions[0].reason, Catch::Contains("is not managed by switchyard"));
}

TEST_CASE("managed TrafficSplits no longer assigned are deleted, foreign ones are not", "[agent]") {
  const auto actions = plan_split_actions(
      {}, {existing("old-svc", true, "{}"), existing("someone-elses", false, "{}")});
  REQUIRE(actions.size() == 1);
  CHECK(actions[0].action == SplitAction::Delete);
  CHECK(actions[0].name == "old-svc");
}

TEST_CASE("an existing TrafficSplit decodes from the API's JSON", "[agent]") {
  std::string error;
  const auto split = decode_existing_traffic_split(
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"web-svc",)"
      R"("namespace":"emojivoto","resourceVersion":"12","labels":{"app.kubernetes.io/managed-by":"switchyard"}},)"
      R"("spec":{"service":"web-svc","backends":[]}})",
      error);
  REQUIRE(split);
  CHECK(split->managed());
  CHECK(split->spec_json == R"({"service":"web-svc","backends":[]})");
  CHECK_FALSE(decode_existing_traffic_split(R"({"metadata":{"name":"x"}})", error));
  CHECK(error == "route object: metadata.name and metadata.namespace are required");
}
