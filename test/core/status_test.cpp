// The status block as api.md names it: every field, under its JSON name,
// with the values the decisions imply.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "engine_fixture.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using R = ServiceRole;

namespace {

rapidjson::Document parse_status(const FosStatus& status) {
  rapidjson::Document document;
  document.Parse(status_to_json(status).c_str());
  REQUIRE_FALSE(document.HasParseError());
  REQUIRE(document.IsObject());
  return document;
}

const rapidjson::Value& member(const rapidjson::Value& object, const char* name) {
  INFO("field " << name);
  REQUIRE(object.IsObject());
  const auto found = object.FindMember(name);
  REQUIRE(found != object.MemberEnd());
  return found->value;
}

std::string text(const rapidjson::Value& object, const char* name) {
  const auto& value = member(object, name);
  REQUIRE(value.IsString());
  return value.GetString();
}

std::int64_t number(const rapidjson::Value& object, const char* name) {
  const auto& value = member(object, name);
  REQUIRE(value.IsInt64());
  return value.GetInt64();
}

const rapidjson::Value& condition(const rapidjson::Value& status, const char* type) {
  for (const auto& entry : member(status, "conditions").GetArray()) {
    if (text(entry, "type") == type) return entry;
  }
  FAIL("no condition " << type);
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("status JSON carries every field of api.md under its name", "[core][status]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kTwoClusterSpec);
  all_healthy(fleet);
  fleet.advance(5);
  fleet.report("west", {{"web-svc", 0}});  // west fails over to east
  const auto failed_at = fleet.now;
  fleet.revisions["west"] = {4, 4};
  fleet.revisions["east"] = {3, 3};
  auto document = parse_status(fleet.status());
  const auto& status = document;

  CHECK(number(status, "observedGeneration") == 1);
  CHECK(text(status, "state") == "FailedOver");
  CHECK_THAT(text(status, "message"), Catch::Contains("west/emojivoto/web-svc has 0 ready endpoints (needs 1)"));
  CHECK(number(status, "failoverCount") == 1);
  CHECK(text(status, "lastFailoverTime") == format_rfc3339(failed_at));

  const auto& active = member(status, "active");
  REQUIRE(active.IsArray());
  REQUIRE(active.Size() == 1);
  CHECK(text(active[0], "cluster") == "east");
  CHECK(text(active[0], "namespace") == "emojivoto");
  CHECK(text(active[0], "name") == "web-svc");
  CHECK(number(active[0], "weight") == 1);

  const auto& backings = member(status, "backingServices");
  REQUIRE(backings.IsArray());
  REQUIRE(backings.Size() == 2);
  CHECK(text(backings[0], "cluster") == "west");
  CHECK(text(backings[0], "namespace") == "emojivoto");
  CHECK(text(backings[0], "name") == "web-svc");
  CHECK(text(backings[0], "health") == "Unhealthy");
  CHECK(number(backings[0], "readyEndpoints") == 0);
  CHECK(text(backings[0], "lastTransitionTime") == format_rfc3339(failed_at));
  CHECK(text(backings[1], "health") == "Healthy");
  CHECK(number(backings[1], "readyEndpoints") == 2);
  CHECK(text(backings[1], "lastTransitionTime") == format_rfc3339(kStart));

  const auto& consumers = member(status, "consumers");
  REQUIRE(consumers.IsArray());
  REQUIRE(consumers.Size() == 2);
  CHECK(text(consumers[0], "cluster") == "west");
  CHECK(number(consumers[0], "desiredRevision") == 4);
  CHECK(number(consumers[0], "appliedRevision") == 4);
  REQUIRE(member(consumers[0], "inSync").IsBool());
  CHECK(member(consumers[0], "inSync").GetBool());

  const auto& accepted = condition(status, "Accepted");
  CHECK(text(accepted, "status") == "True");
  CHECK(number(accepted, "observedGeneration") == 1);
  CHECK_FALSE(text(accepted, "reason").empty());
  CHECK_FALSE(text(accepted, "message").empty());
  CHECK_FALSE(text(accepted, "lastTransitionTime").empty());
  CHECK(text(condition(status, "Ready"), "status") == "True");
  CHECK(text(condition(status, "FailedOver"), "status") == "True");

  SECTION("a consumer behind on its assignment is not in sync, and Ready says which") {
    fleet.revisions["east"] = {5, 3};
    auto behind = parse_status(fleet.status());
    CHECK_FALSE(member(member(behind, "consumers")[1], "inSync").GetBool());
    CHECK(text(condition(behind, "Ready"), "status") == "False");
    CHECK(text(condition(behind, "Ready"), "message") == "waiting for east to apply the current decision");
  }
  SECTION("back on the primary: state Primary, FailedOver=False, the count stays") {
    fleet.report("west", {{"web-svc", 2}});
    fleet.advance(30);
    auto back = parse_status(fleet.status());
    CHECK(text(back, "state") == "Primary");
    CHECK(text(condition(back, "FailedOver"), "status") == "False");
    CHECK(number(back, "failoverCount") == 1);
    CHECK(text(member(back, "active")[0], "cluster") == "west");
  }
}

TEST_CASE("every state is written as api.md spells it", "[core][status]") {
  CHECK(std::string(to_string(FosState::Primary)) == "Primary");
  CHECK(std::string(to_string(FosState::FailedOver)) == "FailedOver");
  CHECK(std::string(to_string(FosState::NoHealthyBackend)) == "NoHealthyBackend");
  CHECK(std::string(to_string(FosState::Frozen)) == "Frozen");
  CHECK(std::string(to_string(FosState::Invalid)) == "Invalid");
  CHECK(std::string(to_string(Health::Healthy)) == "Healthy");
  CHECK(std::string(to_string(Health::Unhealthy)) == "Unhealthy");
  CHECK(std::string(to_string(Health::Unknown)) == "Unknown");
}

TEST_CASE("an invalid spec shows Invalid, Accepted=False naming the field, and Ready=False", "[core][status]") {
  Fleet fleet({"west", "east"});
  fleet.apply(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
              R"({"cluster":"eest","namespace":"emojivoto","name":"web-svc"}]})");
  auto status = parse_status(fleet.status());
  CHECK(text(status, "state") == "Invalid");
  const auto& accepted = condition(status, "Accepted");
  CHECK(text(accepted, "status") == "False");
  CHECK_THAT(text(accepted, "message"),
             Catch::StartsWith(R"(failoverservice emojivoto/web-svc: spec.backingServices[1].cluster: unknown cluster "eest" (no MemberCluster of that name))"));
  CHECK(text(status, "message") == text(accepted, "message"));
  CHECK(text(condition(status, "Ready"), "status") == "False");
  CHECK(fleet.engine.assignment_for("west").splits.empty());  // no TrafficSplit anywhere
}
