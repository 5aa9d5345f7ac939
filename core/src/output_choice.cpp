#include "switchyard/core/output_choice.h"

#include "switchyard/core/http_route.h"

namespace switchyard::core {
namespace {

using Outcome = OutputChoice::Outcome;

OutputChoice chosen(RouteKind kind) { return {Outcome::Chosen, kind, {}}; }
OutputChoice unavailable(std::string reason) { return {Outcome::Unavailable, RouteKind::TrafficSplit, std::move(reason)}; }

const char* resource_of(RouteKind kind) {
  switch (kind) {
    case RouteKind::TrafficSplit: return "split.smi-spec.io trafficsplits";
    case RouteKind::GatewayHTTPRoute: return "gateway.networking.k8s.io/v1 httproutes";
    case RouteKind::LinkerdHTTPRoute: return "policy.linkerd.io/v1beta3 httproutes";
  }
  return "";
}

bool serves(const ServedOutputs& served, RouteKind kind) {
  if (!served.reported) return kind == RouteKind::TrafficSplit;
  switch (kind) {
    case RouteKind::TrafficSplit: return served.traffic_split;
    case RouteKind::GatewayHTTPRoute: return served.gateway_http_route;
    case RouteKind::LinkerdHTTPRoute: return served.linkerd_http_route;
  }
  return false;
}

// Why the spec itself rules an HTTPRoute out, or nothing.
std::optional<std::string> http_route_problem(const FailoverSpec& spec) {
  if (spec.output_port == 0) {
    return std::string("spec.output.port is not set: an HTTPRoute routes to a Service backendRef only with its port");
  }
  if (spec.backing_services.size() > kMaxHttpRouteBackends) {
    return "spec.backingServices has " + std::to_string(spec.backing_services.size()) +
           " entries: an HTTPRoute rule holds at most " + std::to_string(kMaxHttpRouteBackends) + " backendRefs";
  }
  return std::nullopt;
}

std::string not_served(const std::string& consumer, const ServedOutputs& served, RouteKind kind) {
  if (!served.reported) {
    return "cluster " + consumer + "'s agent does not report which route APIs it serves (older than discovery); it "
           "writes TrafficSplits only";
  }
  return "cluster " + consumer + " does not serve " + resource_of(kind);
}

}  // namespace

const char* output_name(RouteKind kind) {
  switch (kind) {
    case RouteKind::TrafficSplit: return "TrafficSplit";
    case RouteKind::GatewayHTTPRoute: return "HTTPRoute";
    case RouteKind::LinkerdHTTPRoute: return "LinkerdHTTPRoute";
  }
  return "TrafficSplit";
}

OutputChoice choose_output(const FailoverSpec& spec, const std::string& consumer,
                           std::optional<OutputKind> member_default, const std::optional<ServedOutputs>& served) {
  const auto wanted = spec.output_kind.value_or(member_default.value_or(OutputKind::TrafficSplit));
  if (wanted == OutputKind::TrafficSplit) {
    if (served && served->reported && !served->traffic_split) {
      return unavailable(not_served(consumer, *served, RouteKind::TrafficSplit));
    }
    return chosen(RouteKind::TrafficSplit);
  }
  if (wanted == OutputKind::HTTPRoute || wanted == OutputKind::LinkerdHTTPRoute) {
    const auto kind = wanted == OutputKind::HTTPRoute ? RouteKind::GatewayHTTPRoute : RouteKind::LinkerdHTTPRoute;
    if (auto problem = http_route_problem(spec)) return unavailable(*problem);
    if (!served) return {Outcome::Waiting, kind, {}};
    if (!serves(*served, kind)) return unavailable(not_served(consumer, *served, kind));
    return chosen(kind);
  }
  // Auto.
  if (!served) return {Outcome::Waiting, RouteKind::TrafficSplit, {}};
  const auto spec_problem = http_route_problem(spec);
  std::string why;
  for (auto kind : {RouteKind::GatewayHTTPRoute, RouteKind::LinkerdHTTPRoute}) {
    if (!serves(*served, kind)) continue;
    if (!spec_problem) return chosen(kind);
    why = "; " + std::string(resource_of(kind)) + " are served but " + *spec_problem;
  }
  if (serves(*served, RouteKind::TrafficSplit)) return chosen(RouteKind::TrafficSplit);
  if (!why.empty()) return unavailable("cluster " + consumer + " does not serve split.smi-spec.io trafficsplits" + why);
  return unavailable("cluster " + consumer + " serves none of gateway.networking.k8s.io/v1 httproutes, "
                     "policy.linkerd.io/v1beta3 httproutes and split.smi-spec.io trafficsplits");
}

void OutputTransition::choose(const OutputChoice& choice, std::int64_t revision) {
  if (choice.outcome != OutputChoice::Outcome::Chosen) return;  // keep what the consumer holds
  if (!current_ || *current_ == choice.kind) {
    current_ = choice.kind;
    next_.reset();  // also a change taken back before it was applied
    return;
  }
  if (next_ == choice.kind) return;  // already on its way, at its first revision
  next_ = choice.kind;
  next_revision_ = revision;
}

void OutputTransition::applied(std::int64_t revision) {
  if (next_ && revision >= next_revision_) {
    current_ = next_;
    next_.reset();
  }
}

std::vector<RouteKind> OutputTransition::kinds() const {
  std::vector<RouteKind> out;
  if (current_) out.push_back(*current_);
  if (next_) out.push_back(*next_);
  return out;
}

}  // namespace switchyard::core
