// Translating the objects the Kubernetes API serves into the hub's inputs.
#include "hub_fixture.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace switchyard::hub::testing;

TEST_CASE("base64 of Secret data decodes, and anything else is refused", "[hub]") {
  CHECK(decode_base64("") == std::string());
  CHECK(decode_base64("dG9rZW4=") == std::string("token"));
  CHECK(decode_base64("dG9rZW4td2VzdA==") == std::string("token-west"));
  CHECK(decode_base64(base64("a\nb\xff")) == std::string("a\nb\xff"));
  CHECK_FALSE(decode_base64("dG9rZW4"));      // length not a multiple of 4
  CHECK_FALSE(decode_base64("dG9r*W4="));     // not in the alphabet
  CHECK_FALSE(decode_base64("dG9=ZW4="));     // padding in the middle
}

TEST_CASE("a FailoverService object becomes a key, a spec or its errors, and its recorded status", "[hub]") {
  SECTION("valid, no status yet") {
    const auto object = fos_object(kTwoClusterSpec);
    CHECK(object.key == core::ObjectKey{"emojivoto", "web-svc"});
    CHECK(object.uid == "uid-web-svc");
    REQUIRE(object.spec.ok());
    CHECK(object.spec.value->spec.consumers == std::vector<std::string>{"west", "east"});
    CHECK_FALSE(object.recorded);
  }
  SECTION("invalid spec keeps the key and names the field") {
    const auto object = fos_object(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto"}]})");
    CHECK(object.key.name == "web-svc");
    REQUIRE_FALSE(object.spec.ok());
    CHECK_THAT(object.spec.message(), Catch::Contains("spec.backingServices[0].name"));
  }
  SECTION("recorded status is kept in canonical form") {
    const auto object = fos_object(kTwoClusterSpec, R"({"state":"FailedOver","failoverCount":2,"message":"m"})");
    REQUIRE(object.recorded);
    CHECK(object.recorded->state == core::FosState::FailedOver);
    CHECK(object.recorded->failover_count == 2);
    CHECK(object.recorded_json == core::status_to_json(*object.recorded));
  }
  SECTION("no metadata: nothing to act on") {
    auto document = parse(R"({"spec":{}})");
    CHECK_FALSE(read_failover_service(*document));
  }
}

TEST_CASE("a MemberCluster object yields its token reference, or the field that is wrong", "[hub]") {
  SECTION("complete") {
    const auto object = member_object("east");
    REQUIRE(object.token_ref);
    CHECK(*object.token_ref == SecretRef{"switchyard-system", "agent-east", "token"});
    CHECK(object.problem.empty());
    CHECK_FALSE(object.recorded);
  }
  SECTION("missing tokenSecretRef") {
    auto document = parse(R"({"metadata":{"name":"east"},"spec":{}})");
    auto object = read_member_cluster(*document);
    REQUIRE(object);
    CHECK_FALSE(object->token_ref);
    CHECK(object->problem == "membercluster east: spec.tokenSecretRef: required object is missing");
  }
  SECTION("missing name in the reference") {
    auto document = parse(R"({"metadata":{"name":"east"},"spec":{"tokenSecretRef":{"namespace":"x"}}})");
    auto object = read_member_cluster(*document);
    REQUIRE(object);
    CHECK(object->problem == "membercluster east: spec.tokenSecretRef.name: required string is missing");
  }
  SECTION("spec.output: the default output kind, or the field that is wrong") {
    CHECK_FALSE(member_object("east").output);
    const std::string ref = R"("tokenSecretRef":{"namespace":"s","name":"t"})";
    auto document = parse(R"({"metadata":{"name":"east"},"spec":{)" + ref + R"(,"output":"Auto"}})");
    auto object = read_member_cluster(*document);
    REQUIRE(object);
    CHECK(object->output == core::OutputKind::Auto);
    CHECK(object->output_problem.empty());
    document = parse(R"({"metadata":{"name":"east"},"spec":{)" + ref + R"(,"output":{"kind":"HTTPRoute"}}})");
    object = read_member_cluster(*document);
    REQUIRE(object);
    CHECK_FALSE(object->output);
    CHECK(object->output_problem ==
          "membercluster east: spec.output: must be TrafficSplit, HTTPRoute, LinkerdHTTPRoute or Auto; "
          "FailoverServices that name no output get TrafficSplits in this cluster");
    CHECK(object->token_ref);  // the cluster itself stays usable
  }
  SECTION("recorded status round-trips through what the hub writes") {
    MemberStatusView view{true, "0.1.0", 3, 7, "", ""};
    const auto json = member_status_to_json(view, kStart + 5000, kStart, 1);
    const auto object = member_object("east", json);
    REQUIRE(object.recorded);
    CHECK(*object.recorded == view);
    CHECK(object.connected_since_ms == kStart);
  }
}

TEST_CASE("a Secret object yields its decoded data", "[hub]") {
  const auto secret = secret_object("agent-east", "s3cret");
  CHECK(secret.namespace_name == "switchyard-system");
  CHECK(secret.name == "agent-east");
  CHECK(secret.data.at("token") == "s3cret");
}
