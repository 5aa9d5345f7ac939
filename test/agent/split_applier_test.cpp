// apply_once against an in-memory cluster: what it writes, what it refuses,
// and how it explains failures.
#include <catch2/catch.hpp>

#include "agent_fakes.h"
#include "switchyard/agent/split_applier.h"

using namespace switchyard;
using namespace switchyard::agent;
using namespace switchyard::agent::testing;

namespace {

protocol::DesiredTrafficSplit desired(const std::string& name, int local, int remote,
                                      const std::string& version = "split.smi-spec.io/v1alpha2",
                                      bool with_label = true) {
  protocol::DesiredTrafficSplit split;
  split.api_version = version;
  split.namespace_name = "emojivoto";
  split.name = name;
  const std::string labels =
      with_label ? R"({"app.kubernetes.io/managed-by":"switchyard","switchyard.io/failover-service":"emojivoto.)" +
                       name + R"("})"
                 : R"({"switchyard.io/failover-service":"emojivoto.)" + name + R"("})";
  split.labels = {{"switchyard.io/failover-service", "emojivoto." + name}};
  if (with_label) split.labels["app.kubernetes.io/managed-by"] = "switchyard";
  split.object_json = R"({"apiVersion":")" + version + R"(","kind":"TrafficSplit","metadata":{"name":")" + name +
                      R"(","namespace":"emojivoto","labels":)" + labels + R"(},"spec":{"service":")" + name +
                      R"(","backends":[{"service":")" + name + R"(","weight":)" + std::to_string(local) +
                      R"(},{"service":")" + name + R"(-east","weight":)" + std::to_string(remote) + "}]}}";
  return split;
}

std::string weights_of(FakeSplitApi& api, const std::string& name) {
  auto json = api.get("emojivoto", name);
  REQUIRE(json);
  rapidjson::Document object;
  object.Parse(json->c_str());
  std::string weights;
  for (const auto& backend : object["spec"]["backends"].GetArray()) {
    weights += std::to_string(backend["weight"].GetInt()) + ",";
  }
  return weights;
}

}  // namespace

TEST_CASE("the applier creates, then writes nothing while the cluster matches, then patches a change",
          "[agent][applier]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  auto pass = apply_once(api, {1, {desired("web-svc", 1, 0)}}, versions);
  CHECK(pass.clean);
  CHECK(pass.writes == 1);
  CHECK(api.creates() == 1);
  CHECK(weights_of(api, "web-svc") == "1,0,");

  pass = apply_once(api, {1, {desired("web-svc", 1, 0)}}, versions);
  CHECK(pass.clean);
  CHECK(pass.writes == 0);
  CHECK(api.writes() == 1);

  pass = apply_once(api, {2, {desired("web-svc", 0, 1)}}, versions);
  CHECK(pass.clean);
  CHECK(api.patches() == 1);
  CHECK(weights_of(api, "web-svc") == "0,1,");
}

TEST_CASE("the applier labels what it creates even when the hub's object lacks the label", "[agent][applier]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  auto pass = apply_once(api, {1, {desired("web-svc", 1, 0, "split.smi-spec.io/v1alpha2", false)}}, versions);
  REQUIRE(pass.clean);
  CHECK_THAT(*api.get("emojivoto", "web-svc"), Catch::Contains(R"("app.kubernetes.io/managed-by":"switchyard")"));
  // And recognises it as its own afterwards: unassigned, it is deleted.
  pass = apply_once(api, {2, {}}, versions);
  CHECK(pass.clean);
  CHECK(api.deletes() == 1);
}

TEST_CASE("a foreign TrafficSplit is never overwritten and the conflict is reported", "[agent][applier]") {
  FakeSplitApi api;
  const std::string foreign =
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"web-svc","namespace":"emojivoto","labels":{"team":"payments"}},"spec":{"service":"web-svc","backends":[{"service":"web-svc","weight":5}]}})";
  api.put("emojivoto", "web-svc", foreign);
  std::set<std::string> versions;
  const auto pass = apply_once(api, {3, {desired("web-svc", 0, 1), desired("other", 1, 0)}}, versions);
  CHECK_FALSE(pass.clean);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::Contains("emojivoto/web-svc") && Catch::Contains("not managed by switchyard"));
  CHECK(*api.get("emojivoto", "web-svc") == foreign);
  CHECK(api.get("emojivoto", "other"));  // the rest is applied regardless
}

TEST_CASE("managed TrafficSplits no longer assigned are deleted, foreign ones kept", "[agent][applier]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  REQUIRE(apply_once(api, {1, {desired("a", 1, 0), desired("b", 1, 0)}}, versions).clean);
  api.put("emojivoto", "mine-not",
          R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"mine-not","namespace":"emojivoto"},"spec":{}})");
  const auto pass = apply_once(api, {2, {desired("b", 1, 0)}}, versions);
  CHECK(pass.clean);
  CHECK_FALSE(api.get("emojivoto", "a"));
  CHECK(api.get("emojivoto", "b"));
  CHECK(api.get("emojivoto", "mine-not"));
  SECTION("an empty assignment deletes every managed one, listed under the version used before") {
    api.served_versions = {"split.smi-spec.io/v1alpha4"};
    std::set<std::string> v4;
    REQUIRE(apply_once(api, {3, {desired("b", 1, 0, "split.smi-spec.io/v1alpha4")}}, v4).clean);
    CHECK(apply_once(api, {4, {}}, v4).clean);
    CHECK_FALSE(api.get("emojivoto", "b"));
    CHECK(api.get("emojivoto", "mine-not"));
  }
}

TEST_CASE("a missing TrafficSplit CRD is reported as such and nothing is written", "[agent][applier]") {
  FakeSplitApi api;
  api.served_versions.clear();
  std::set<std::string> versions;
  auto pass = apply_once(api, {1, {desired("web-svc", 1, 0)}}, versions);
  CHECK_FALSE(pass.clean);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::Contains("TrafficSplit CRD missing") &&
                                 Catch::Contains("split.smi-spec.io/v1alpha2") && Catch::Contains("404"));
  CHECK(api.writes() == 0);
  SECTION("but a CRD missing with nothing assigned is no error: there is nothing to collect") {
    CHECK(apply_once(api, {2, {}}, versions).clean);
  }
}

TEST_CASE("an RBAC denial names the permission to grant", "[agent][applier]") {
  FakeSplitApi api;
  api.fail_with(ApiFailure{403, "Forbidden", "trafficsplits.split.smi-spec.io is forbidden: User cannot list"});
  std::set<std::string> versions;
  const auto pass = apply_once(api, {1, {desired("web-svc", 1, 0)}}, versions);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::Contains("forbidden (HTTP 403)") && Catch::Contains("RBAC") &&
                                 Catch::Contains("deploy/agent/rbac.yaml"));
}

TEST_CASE("an unreachable API server is reported and nothing is deleted", "[agent][applier]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  REQUIRE(apply_once(api, {1, {desired("a", 1, 0)}}, versions).clean);
  api.fail_with(ApiFailure{0, "", "connection refused"});
  const auto pass = apply_once(api, {2, {}}, versions);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::Contains("unreachable") && Catch::Contains("connection refused"));
  api.fail_with(std::nullopt);
  CHECK(api.get("emojivoto", "a"));
}

TEST_CASE("an assigned split whose version cannot be listed is not garbage-collected through another version",
          "[agent][applier]") {
  FakeSplitApi api;
  std::set<std::string> versions;
  REQUIRE(apply_once(api, {1, {desired("a", 1, 0)}}, versions).clean);
  api.served_versions = {"split.smi-spec.io/v1alpha2"};
  const auto pass = apply_once(api, {2, {desired("a", 0, 1, "split.smi-spec.io/v1alpha4")}}, versions);
  CHECK_FALSE(pass.clean);
  CHECK(api.get("emojivoto", "a"));
  CHECK(api.deletes() == 0);
}

namespace {

// A cluster in which a full pass has applied `splits`; `applied` holds what it found.
struct Applied {
  explicit Applied(std::vector<protocol::DesiredTrafficSplit> splits) {
    auto pass = apply_once(api, {1, std::move(splits)}, versions, applied);
    REQUIRE(pass.clean);
  }
  // Revision 2 moves TrafficSplit "a" to its backup, as one delta.
  ApplyPass fail_over_a() {
    const auto failed_over = desired("a", 0, 1);
    return apply_changes(api, 2, {{{"split.smi-spec.io", "emojivoto", "a"}, &failed_over, failed_over.api_version}}, applied);
  }
  FakeSplitApi api;
  std::set<std::string> versions;
  AppliedSplits applied;
};

}  // namespace

TEST_CASE("a delta pass patches only the changed TrafficSplit, once, without listing or reading",
          "[agent][applier]") {
  Applied cluster({desired("a", 1, 0), desired("b", 1, 0), desired("c", 1, 0)});
  const int lists = cluster.api.lists();
  const int writes = cluster.api.writes();
  const auto failed_over = desired("b", 0, 1);
  auto pass = apply_changes(cluster.api, 2, {{{"split.smi-spec.io", "emojivoto", "b"}, &failed_over, failed_over.api_version}},
                            cluster.applied);
  CHECK(pass.clean);
  CHECK(pass.writes == 1);
  CHECK(cluster.api.writes() == writes + 1);
  CHECK(cluster.api.patches() == 1);
  CHECK(cluster.api.lists() == lists);
  CHECK(cluster.api.gets() == 0);
  CHECK(weights_of(cluster.api, "b") == "0,1,");
  CHECK(weights_of(cluster.api, "a") == "1,0,");

  SECTION("the same change again writes nothing") {
    pass = apply_changes(cluster.api, 3, {{{"split.smi-spec.io", "emojivoto", "b"}, &failed_over, failed_over.api_version}},
                         cluster.applied);
    CHECK(pass.clean);
    CHECK(pass.writes == 0);
    CHECK(cluster.api.patches() == 1);
  }
  SECTION("a change after it patches against the version it wrote") {
    const auto back = desired("b", 1, 0);
    pass = apply_changes(cluster.api, 3, {{{"split.smi-spec.io", "emojivoto", "b"}, &back, back.api_version}}, cluster.applied);
    CHECK(pass.clean);
    CHECK(cluster.api.patches() == 2);
    CHECK(cluster.api.gets() == 0);
    CHECK(weights_of(cluster.api, "b") == "1,0,");
  }
}

TEST_CASE("a delta pass reads a TrafficSplit edited since it was applied and puts it right", "[agent][applier]") {
  Applied cluster({desired("a", 1, 0)});
  // A hand edit: another writer, so another resourceVersion.
  cluster.api.put("emojivoto", "a", desired("a", 5, 5).object_json);
  auto pass = cluster.fail_over_a();
  CHECK(pass.clean);
  CHECK(cluster.api.gets() == 1);  // the conditional patch was refused: it looked
  CHECK(weights_of(cluster.api, "a") == "0,1,");
}

TEST_CASE("a delta pass never overwrites a foreign TrafficSplit that took an assigned name", "[agent][applier]") {
  Applied cluster({desired("a", 1, 0)});
  const std::string foreign =
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"a",)"
      R"("namespace":"emojivoto","labels":{"team":"payments"}},"spec":{"service":"a","backends":[]}})";
  cluster.api.put("emojivoto", "a", foreign);
  auto pass = cluster.fail_over_a();
  CHECK_FALSE(pass.clean);
  CHECK(pass.failed.count({"split.smi-spec.io", "emojivoto", "a"}) == 1);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::Contains("not managed by switchyard"));
  CHECK(*cluster.api.get("emojivoto", "a") == foreign);
}

TEST_CASE("a delta pass creates a new TrafficSplit and deletes a removed managed one", "[agent][applier]") {
  Applied cluster({desired("a", 1, 0)});
  const auto added = desired("b", 1, 0);
  auto pass = apply_changes(cluster.api, 2,
                            {{{"split.smi-spec.io", "emojivoto", "b"}, &added, added.api_version},
                             {{"split.smi-spec.io", "emojivoto", "a"}, nullptr, "split.smi-spec.io/v1alpha2"}},
                            cluster.applied);
  CHECK(pass.clean);
  CHECK(cluster.api.creates() == 2);
  CHECK(cluster.api.deletes() == 1);
  CHECK_FALSE(cluster.api.get("emojivoto", "a"));
  CHECK(cluster.api.get("emojivoto", "b"));

  SECTION("a removed name now held by a foreign TrafficSplit is left alone") {
    const std::string foreign =
        R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"c",)"
        R"("namespace":"emojivoto"},"spec":{"service":"c","backends":[]}})";
    cluster.api.put("emojivoto", "c", foreign);
    pass = apply_changes(cluster.api, 3, {{{"split.smi-spec.io", "emojivoto", "c"}, nullptr, "split.smi-spec.io/v1alpha2"}},
                         cluster.applied);
    CHECK(pass.clean);
    CHECK(cluster.api.deletes() == 1);
    CHECK(cluster.api.get("emojivoto", "c"));
  }
}

TEST_CASE("a delta pass reports an unreachable API server per TrafficSplit, to be tried again",
          "[agent][applier]") {
  Applied cluster({desired("a", 1, 0)});
  cluster.api.fail_with(ApiFailure{0, "", "connection refused"});
  auto pass = cluster.fail_over_a();
  CHECK_FALSE(pass.clean);
  CHECK(pass.failed.count({"split.smi-spec.io", "emojivoto", "a"}) == 1);
  REQUIRE(pass.errors.size() == 1);
  CHECK_THAT(pass.errors[0], Catch::Contains("unreachable"));
  cluster.api.fail_with(std::nullopt);
  CHECK(weights_of(cluster.api, "a") == "1,0,");
}
