// Which output each consumer gets (core/src/output_choice.cpp).
#include <catch2/catch.hpp>

#include "engine_fixture.h"
#include "switchyard/core/output_choice.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using Outcome = OutputChoice::Outcome;

namespace {

FailoverSpec spec_with(const std::string& output) {
  return parse_ok(fos_json(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"}])" +
                           (output.empty() ? "" : R"(,"output":)" + output) + "}"))
      .spec;
}

constexpr ServedOutputs kOld{false, false, false, false};        // an agent older than discovery
constexpr ServedOutputs kSmiOnly{true, true, false, false};
constexpr ServedOutputs kGateway{true, false, true, false};
constexpr ServedOutputs kLinkerd{true, true, false, true};
constexpr ServedOutputs kEverything{true, true, true, true};
constexpr ServedOutputs kNothing{true, false, false, false};

OutputChoice chosen(RouteKind kind) { return {Outcome::Chosen, kind, {}}; }

}  // namespace

TEST_CASE("an explicit or defaulted TrafficSplit behaves as before discovery", "[core]") {
  for (const auto& output : {std::string(), std::string(R"({"kind":"TrafficSplit"})")}) {
    const auto spec = spec_with(output);
    CHECK(choose_output(spec, "west", std::nullopt, std::nullopt) == chosen(RouteKind::TrafficSplit));
    CHECK(choose_output(spec, "west", std::nullopt, kOld) == chosen(RouteKind::TrafficSplit));
    CHECK(choose_output(spec, "west", std::nullopt, kEverything) == chosen(RouteKind::TrafficSplit));
  }
  CHECK(choose_output(spec_with(""), "west", std::nullopt, kNothing) ==
        OutputChoice{Outcome::Unavailable, RouteKind::TrafficSplit, "cluster west does not serve split.smi-spec.io trafficsplits"});
}

TEST_CASE("the MemberCluster's default applies only when the spec names no kind", "[core]") {
  const auto port_only = spec_with(R"({"port":80})");
  CHECK(choose_output(port_only, "west", OutputKind::HTTPRoute, kEverything) == chosen(RouteKind::GatewayHTTPRoute));
  CHECK(choose_output(port_only, "west", OutputKind::LinkerdHTTPRoute, kEverything) == chosen(RouteKind::LinkerdHTTPRoute));
  CHECK(choose_output(spec_with(R"({"kind":"TrafficSplit","port":80})"), "west", OutputKind::HTTPRoute, kEverything) ==
        chosen(RouteKind::TrafficSplit));
  // A default HTTPRoute for a spec without a port cannot be written.
  CHECK(choose_output(spec_with(""), "west", OutputKind::HTTPRoute, kEverything) ==
        OutputChoice{Outcome::Unavailable, RouteKind::TrafficSplit,
                     "spec.output.port is not set: an HTTPRoute routes to a Service backendRef only with its port"});
}

TEST_CASE("Auto picks the Gateway API's HTTPRoute, else Linkerd's, else TrafficSplit", "[core]") {
  const auto spec = spec_with(R"({"kind":"Auto","port":80})");
  CHECK(choose_output(spec, "west", std::nullopt, std::nullopt) == OutputChoice{Outcome::Waiting, RouteKind::TrafficSplit, {}});
  CHECK(choose_output(spec, "west", std::nullopt, kEverything) == chosen(RouteKind::GatewayHTTPRoute));
  CHECK(choose_output(spec, "west", std::nullopt, kGateway) == chosen(RouteKind::GatewayHTTPRoute));
  CHECK(choose_output(spec, "west", std::nullopt, kLinkerd) == chosen(RouteKind::LinkerdHTTPRoute));
  CHECK(choose_output(spec, "west", std::nullopt, kSmiOnly) == chosen(RouteKind::TrafficSplit));
  CHECK(choose_output(spec, "west", std::nullopt, kOld) == chosen(RouteKind::TrafficSplit));
  CHECK(choose_output(spec, "west", std::nullopt, kNothing) ==
        OutputChoice{Outcome::Unavailable, RouteKind::TrafficSplit,
                     "cluster west serves none of gateway.networking.k8s.io/v1 httproutes, policy.linkerd.io/v1beta3 "
                     "httproutes and split.smi-spec.io trafficsplits"});
  SECTION("without a port, HTTPRoutes are passed over and the status says why when nothing else is served") {
    const auto no_port = spec_with(R"({"kind":"Auto"})");
    CHECK(choose_output(no_port, "west", std::nullopt, kEverything) == chosen(RouteKind::TrafficSplit));
    CHECK(choose_output(no_port, "west", std::nullopt, kGateway) ==
          OutputChoice{Outcome::Unavailable, RouteKind::TrafficSplit,
                       "cluster west does not serve split.smi-spec.io trafficsplits; gateway.networking.k8s.io/v1 "
                       "httproutes are served but spec.output.port is not set: an HTTPRoute routes to a Service "
                       "backendRef only with its port"});
  }
}

TEST_CASE("an explicit HTTPRoute waits for discovery and is unavailable where not served", "[core]") {
  const auto gateway = spec_with(R"({"kind":"HTTPRoute","port":80})");
  CHECK(choose_output(gateway, "east", std::nullopt, std::nullopt).outcome == Outcome::Waiting);
  CHECK(choose_output(gateway, "east", std::nullopt, kLinkerd) ==
        OutputChoice{Outcome::Unavailable, RouteKind::TrafficSplit,
                     "cluster east does not serve gateway.networking.k8s.io/v1 httproutes"});
  CHECK(choose_output(gateway, "east", std::nullopt, kOld) ==
        OutputChoice{Outcome::Unavailable, RouteKind::TrafficSplit,
                     "cluster east's agent does not report which route APIs it serves (older than discovery); it "
                     "writes TrafficSplits only"});
  const auto linkerd = spec_with(R"({"kind":"LinkerdHTTPRoute","port":80})");
  CHECK(choose_output(linkerd, "east", std::nullopt, kLinkerd) == chosen(RouteKind::LinkerdHTTPRoute));
  CHECK(choose_output(linkerd, "east", std::nullopt, kGateway).outcome == Outcome::Unavailable);
}

TEST_CASE("changing a consumer's output writes the new route first and drops the old one once applied", "[core]") {
  using K = RouteKind;
  OutputTransition transition;
  CHECK(transition.kinds().empty());
  transition.choose({Outcome::Waiting, K::TrafficSplit, {}}, 1);
  CHECK(transition.kinds().empty());  // nothing chosen yet: nothing written
  transition.choose(chosen(K::TrafficSplit), 2);
  CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit});

  SECTION("the old route stays until the revision carrying the new one is applied") {
    transition.choose(chosen(K::GatewayHTTPRoute), 5);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit, K::GatewayHTTPRoute});
    transition.choose(chosen(K::GatewayHTTPRoute), 6);  // re-decided later: still from revision 5
    transition.applied(4);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit, K::GatewayHTTPRoute});
    transition.applied(5);
    CHECK(transition.kinds() == std::vector<K>{K::GatewayHTTPRoute});
    CHECK(transition.current() == K::GatewayHTTPRoute);
  }
  SECTION("a change taken back before it was applied leaves only the old route") {
    transition.choose(chosen(K::LinkerdHTTPRoute), 5);
    transition.choose(chosen(K::TrafficSplit), 6);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit});
    transition.applied(6);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit});
  }
  SECTION("an unavailable output keeps the consumer's current routing") {
    transition.choose({Outcome::Unavailable, K::TrafficSplit, "cluster west does not serve it"}, 5);
    transition.applied(9);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit});
  }
  SECTION("a second change during a change replaces the pending kind and waits for its own revision") {
    transition.choose(chosen(K::LinkerdHTTPRoute), 5);
    transition.choose(chosen(K::GatewayHTTPRoute), 7);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit, K::GatewayHTTPRoute});
    transition.applied(6);
    CHECK(transition.kinds() == std::vector<K>{K::TrafficSplit, K::GatewayHTTPRoute});
    transition.applied(7);
    CHECK(transition.kinds() == std::vector<K>{K::GatewayHTTPRoute});
  }
}
