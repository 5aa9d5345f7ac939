#include <catch2/catch.hpp>

#include "engine_fixture.h"
#include "switchyard/core/parse.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;

namespace {

const std::set<std::string, std::less<>> kClusters{"west", "east", "north"};

// Every error (parse, then validation) as "field: message".
std::vector<std::string> problems(const std::string& spec) {
  std::vector<std::string> out;
  auto parsed = parse_failover_service(fos_json(spec));
  for (const auto& error : parsed.errors) out.push_back(error.to_string());
  if (parsed.ok()) {
    for (const auto& error : validate_failover_service(*parsed.value, kClusters)) out.push_back(error.to_string());
  }
  return out;
}

std::string backing(const std::string& cluster, const std::string& extra = "") {
  return R"({"cluster":")" + cluster + R"(","namespace":"emojivoto","name":"web-svc")" + extra + "}";
}

}  // namespace

TEST_CASE("a minimal FailoverService gets every default of the API", "[core]") {
  const auto fos = parse_ok(fos_json(R"({"backingServices":[)" + backing("west") + "," + backing("east") + "]}"));
  const auto& spec = fos.spec;
  CHECK(fos.key == ObjectKey{"emojivoto", "web-svc"});
  CHECK(spec.service == "web-svc");
  CHECK(spec.target_namespace == "emojivoto");
  CHECK(spec.consumers == std::vector<std::string>{"west", "east"});
  CHECK(spec.backing_services[0].priority == 0);
  CHECK(spec.backing_services[1].priority == 1);
  CHECK(spec.backing_services[1].weight == 1);
  CHECK(spec.health == HealthPolicy{1, true, 40, 120, {}});
  CHECK(spec.failback_delay_seconds == 30);
  CHECK(spec.mirror_name_template == "{name}-{cluster}");
  CHECK(spec.output_version == SplitApiVersion::V1Alpha2);
  CHECK_FALSE(spec.output_kind);  // the consumer's MemberCluster decides, else TrafficSplit
  CHECK(spec.output_port == 0);
  CHECK(validate_failover_service(fos, kClusters).empty());
}

TEST_CASE("consumers default to each backing cluster once, in order of first appearance", "[core]") {
  const auto fos = parse_ok(fos_json(R"({"backingServices":[)" + backing("east") + "," +
                                     R"({"cluster":"west","namespace":"emojivoto","name":"other"},)" +
                                     R"({"cluster":"east","namespace":"emojivoto","name":"other"}]})"));
  CHECK(fos.spec.consumers == std::vector<std::string>{"east", "west"});
}

TEST_CASE("every kind of invalid spec is refused with its field named", "[core]") {
  using P = std::vector<std::string>;
  SECTION("unknown cluster") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + "," + backing("eest") + "]}") ==
          P{R"(spec.backingServices[1].cluster: unknown cluster "eest" (no MemberCluster of that name))",
            R"(spec.consumers[1]: unknown cluster "eest" (no MemberCluster of that name))"});
  }
  SECTION("unknown consumer") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"consumers":["west","south"]})") ==
          P{R"(spec.consumers[1]: unknown cluster "south" (no MemberCluster of that name))"});
  }
  SECTION("duplicate backing service") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + "," + backing("east") + "," + backing("west") + "]}") ==
          P{"spec.backingServices[2]: duplicates spec.backingServices[0] (west/emojivoto/web-svc)"});
  }
  SECTION("duplicate consumer") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"consumers":["west","west"]})") ==
          P{R"(spec.consumers[1]: lists "west" twice)"});
  }
  SECTION("empty consumer list") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"consumers":[]})") ==
          P{"spec.consumers: must name at least one cluster (or be left out to mean every backing cluster)"});
  }
  SECTION("empty list") {
    CHECK(problems(R"({"backingServices":[]})") == P{"spec.backingServices: must list at least one backing service"});
  }
  SECTION("missing list") {
    CHECK(problems(R"({"service":"web-svc"})") == P{"spec.backingServices: required"});
  }
  SECTION("more than 64 backing services") {
    std::string list;
    for (int i = 0; i < 65; ++i) list += (i ? "," : "") + backing("west", "");
    CHECK(problems(R"({"backingServices":[)" + list + "]}") ==
          P{"spec.backingServices: at most 64 backing services, got 65"});
  }
  SECTION("template with an unknown token") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"mirror":{"nameTemplate":"{name}-{region}"}})") ==
          P{"spec.mirror.nameTemplate: unknown token {region}; the tokens are {name}, {cluster} and {namespace}"});
  }
  SECTION("template with an unbalanced brace") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"mirror":{"nameTemplate":"{name-{cluster}"}})") ==
          P{"spec.mirror.nameTemplate: unknown token {name-{cluster}; the tokens are {name}, {cluster} and {namespace}"});
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"mirror":{"nameTemplate":"{name}}"}})") ==
          P{"spec.mirror.nameTemplate: unbalanced '}' at offset 6"});
  }
  SECTION("template that gives an invalid Service name") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + "," + backing("east") +
                   R"(],"mirror":{"nameTemplate":"{namespace}-{name}-{cluster}-mirrored-from-a-very-far-away-place-indeed"}})") ==
          P{R"(spec.mirror.nameTemplate: gives the mirror name "emojivoto-web-svc-west-mirrored-from-a-very-far-away-place-indeed" for spec.backingServices[0], which is not a valid Service name (a DNS-1035 label of at most 63 characters))",
            R"(spec.mirror.nameTemplate: gives the mirror name "emojivoto-web-svc-east-mirrored-from-a-very-far-away-place-indeed" for spec.backingServices[1], which is not a valid Service name (a DNS-1035 label of at most 63 characters))"});
  }
  SECTION("out-of-range numbers") {
    CHECK(problems(R"({"backingServices":[)" + backing("west", R"(,"priority":-1,"weight":0)") +
                   R"(],"health":{"minReadyEndpoints":0,"unknownAfterSeconds":0,"silentFailoverSeconds":100000},)"
                   R"("failback":{"delaySeconds":-5}})") ==
          P{"spec.backingServices[0].priority: must be between 0 and 2147483647, got -1",
            "spec.backingServices[0].weight: must be between 1 and 1000000, got 0",
            "spec.health.minReadyEndpoints: must be between 1 and 1000000, got 0",
            "spec.health.unknownAfterSeconds: must be between 1 and 86400, got 0",
            "spec.health.silentFailoverSeconds: must be between 1 and 86400, got 100000",
            "spec.failback.delaySeconds: must be between 0 and 86400, got -5"});
  }
  SECTION("numbers over their maximum") {
    CHECK(problems(R"({"backingServices":[)" + backing("west", R"(,"weight":1000001)") +
                   R"(],"health":{"minReadyEndpoints":1000001,"unknownAfterSeconds":86401,"silentFailoverSeconds":86401},)"
                   R"("failback":{"delaySeconds":86401}})") ==
          P{"spec.backingServices[0].weight: must be between 1 and 1000000, got 1000001",
            "spec.health.minReadyEndpoints: must be between 1 and 1000000, got 1000001",
            "spec.health.unknownAfterSeconds: must be between 1 and 86400, got 86401",
            "spec.health.silentFailoverSeconds: must be between 1 and 86400, got 86401",
            "spec.failback.delaySeconds: must be between 0 and 86400, got 86401"});
  }
  SECTION("a backing service without its name") {
    CHECK(problems(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto"}]})") ==
          P{"spec.backingServices[0].name: required"});
  }
  SECTION("silentFailoverSeconds below unknownAfterSeconds") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") +
                   R"(],"health":{"unknownAfterSeconds":60,"silentFailoverSeconds":30}})") ==
          P{"spec.health.silentFailoverSeconds: is 30, less than unknownAfterSeconds 60"});
  }
  SECTION("wrong types") {
    CHECK(problems(R"({"backingServices":[{"cluster":7,"namespace":"emojivoto","name":"web-svc","weight":"1"}],)"
                   R"("health":{"requireMirrorReady":"yes"},"consumers":"west"})") ==
          P{"spec.backingServices[0].cluster: must be a string", "spec.backingServices[0].weight: must be an integer",
            "spec.consumers: must be a list", "spec.health.requireMirrorReady: must be true or false"});
  }
  SECTION("names that Kubernetes would refuse") {
    CHECK(problems(R"({"backingServices":[{"cluster":"West","namespace":"emojivoto","name":"9web"}],"service":"web_svc"})") ==
          P{R"(spec.backingServices[0].cluster: "West" may contain only lower-case letters, digits and '-')",
            R"(spec.backingServices[0].name: "9web" must start with a letter (a Service name is a DNS-1035 label))",
            R"(spec.service: "web_svc" may contain only lower-case letters, digits and '-')"});
  }
  SECTION("a backing service outside the TrafficSplit's namespace") {
    CHECK(problems(R"({"targetNamespace":"shop","backingServices":[)" + backing("west") + "]}") ==
          P{R"(spec.backingServices[0].namespace: is "emojivoto" but the TrafficSplit goes to namespace "shop" (spec.targetNamespace): a TrafficSplit's backends are Services in its own namespace)"});
  }
  SECTION("output") {
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"output":{"kind":"GRPCRoute"}})") ==
          P{R"(spec.output.kind: must be TrafficSplit, HTTPRoute, LinkerdHTTPRoute or Auto, got "GRPCRoute")"});
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"output":{"apiVersion":"split.smi-spec.io/v1alpha3"}})") ==
          P{R"(spec.output.apiVersion: must be split.smi-spec.io/v1alpha1, v1alpha2 or v1alpha4, got "split.smi-spec.io/v1alpha3")"});
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"output":{"kind":"HTTPRoute"}})") ==
          P{"spec.output.port: required with kind HTTPRoute: Linkerd and the Gateway API route to a Service "
            "backendRef only with its port"});
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"output":{"kind":"LinkerdHTTPRoute","port":0}})") ==
          P{"spec.output.port: must be between 1 and 65535, got 0",
            "spec.output.port: required with kind LinkerdHTTPRoute: Linkerd and the Gateway API route to a Service "
            "backendRef only with its port"});
    CHECK(problems(R"({"backingServices":[)" + backing("west") + R"(],"output":{"kind":"Auto","port":"80"}})") ==
          P{"spec.output.port: must be an integer"});
    std::string seventeen;
    for (int i = 0; i < 17; ++i) {
      seventeen += std::string(i ? "," : "") + R"({"cluster":"west","namespace":"emojivoto","name":"web-)" + std::to_string(i) + R"("})";
    }
    CHECK(problems(R"({"backingServices":[)" + seventeen + R"(],"output":{"kind":"HTTPRoute","port":80}})") ==
          P{"spec.backingServices: has 17 entries, but an HTTPRoute rule (spec.output.kind HTTPRoute) holds at most 16 "
            "backendRefs"});
    CHECK(problems(R"({"backingServices":[)" + seventeen + R"(],"output":{"kind":"Auto","port":80}})").empty());
  }
  SECTION("no spec at all, or not an object") {
    CHECK(parse_failover_service(R"({"metadata":{"name":"a","namespace":"b"}})").message() == "spec: required");
    CHECK(parse_failover_service("[]").message() == "body must be a JSON object");
  }
}

TEST_CASE("errors are described with the object they belong to", "[core]") {
  const std::vector<FieldError> errors{{"spec.backingServices[2].cluster", "unknown cluster \"eest\""},
                                       {"spec.consumers", "must be a list"}};
  CHECK(describe({"emojivoto", "web-svc"}, errors) ==
        "failoverservice emojivoto/web-svc: spec.backingServices[2].cluster: unknown cluster \"eest\"; "
        "failoverservice emojivoto/web-svc: spec.consumers: must be a list");
}

TEST_CASE("mirror names follow the template's tokens", "[core]") {
  const BackingService east{"east", "emojivoto", "web-svc", 0, 1, {}};
  CHECK(mirror_name("{name}-{cluster}", east) == "web-svc-east");
  CHECK(mirror_name("{cluster}-{namespace}-{name}", east) == "east-emojivoto-web-svc");
  CHECK(mirror_name("mirror-{name}", east) == "mirror-web-svc");
}

TEST_CASE("spec.output names the kind, the SMI version and the port", "[core]") {
  const auto route = parse_ok(fos_json(R"({"backingServices":[)" + backing("west") +
                                       R"(],"output":{"kind":"LinkerdHTTPRoute","port":8080}})"));
  CHECK(route.spec.output_kind == OutputKind::LinkerdHTTPRoute);
  CHECK(route.spec.output_port == 8080);
  const auto split = parse_ok(fos_json(R"({"backingServices":[)" + backing("west") +
                                       R"(],"output":{"kind":"TrafficSplit","apiVersion":"split.smi-spec.io/v1alpha4"}})"));
  CHECK(split.spec.output_kind == OutputKind::TrafficSplit);
  CHECK(split.spec.output_version == SplitApiVersion::V1Alpha4);
  for (auto kind : {OutputKind::TrafficSplit, OutputKind::HTTPRoute, OutputKind::LinkerdHTTPRoute, OutputKind::Auto}) {
    CHECK(output_kind_from(to_string(kind)) == kind);
  }
  CHECK_FALSE(output_kind_from("httproute"));
}
