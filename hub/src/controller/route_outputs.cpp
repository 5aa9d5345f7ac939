#include "switchyard/hub/route_outputs.h"

#include <algorithm>
#include <tuple>

#include "switchyard/core/http_route.h"

namespace switchyard::hub {

using Outcome = core::OutputChoice::Outcome;

bool ConsumerOutput::choose(const core::OutputChoice& made, std::int64_t revision, core::TimeMs now) {
  const auto before = transition.kinds();
  if (made.outcome == Outcome::Unavailable &&
      (!choice || choice->outcome != Outcome::Unavailable || choice->reason != made.reason)) {
    unavailable_since = now;
  }
  choice = made;
  transition.choose(made, revision);
  return transition.kinds() != before;
}

bool ConsumerOutput::applied(std::int64_t revision) {
  const auto before = transition.kinds();
  transition.applied(revision);
  return transition.kinds() != before;
}

std::string ConsumerOutput::shown() const {
  if (choice && choice->outcome == Outcome::Chosen) return core::output_name(choice->kind);
  if (auto held = transition.current()) return core::output_name(*held);
  return {};
}

core::ServedOutputs served_outputs_of(const std::optional<protocol::ServedApis>& outputs) {
  core::ServedOutputs served;
  if (!outputs) return served;
  served.reported = true;
  served.traffic_split = outputs->traffic_split;
  served.gateway_http_route = outputs->gateway_http_route;
  served.linkerd_http_route = outputs->linkerd_http_route;
  return served;
}

std::optional<core::RouteKind> route_kind_named(std::string_view output) {
  for (auto kind : {core::RouteKind::TrafficSplit, core::RouteKind::GatewayHTTPRoute, core::RouteKind::LinkerdHTTPRoute}) {
    if (output == core::output_name(kind)) return kind;
  }
  return std::nullopt;
}

std::vector<core::TrafficSplit> routes_of(const std::optional<core::TrafficSplit>& decided,
                                          const std::vector<core::RouteKind>& kinds) {
  std::vector<core::TrafficSplit> routes;
  if (!decided) return routes;
  for (auto kind : kinds) {
    routes.push_back(*decided);
    routes.back().kind = kind;
  }
  std::sort(routes.begin(), routes.end(), route_before);
  return routes;
}

bool route_before(const core::TrafficSplit& a, const core::TrafficSplit& b) {
  return std::tie(a.namespace_name, a.name, a.kind) < std::tie(b.namespace_name, b.name, b.kind);
}

std::string route_object_json(const core::TrafficSplit& route) { return core::route_to_json(route); }

std::string route_conflict_in(const std::vector<std::string>& apply_errors, const std::string& namespace_name,
                              const std::string& name) {
  const std::string ours = "; HTTPRoute " + namespace_name + "/" + name + " (";
  for (const auto& error : apply_errors) {
    if (error.rfind("RouteConflict: ", 0) == 0 && error.find(ours) != std::string::npos) {
      return error.substr(std::string("RouteConflict: ").size());
    }
  }
  return {};
}

void show_output(core::ConsumerStatus& consumer, const ConsumerOutput& output, std::int64_t generation) {
  consumer.output = output.shown();
  if (!output.conflict.empty()) {
    consumer.conditions.push_back(
        {"RouteConflict", "True", generation, output.conflict_since, "RouteConflict", output.conflict});
  }
  if (!output.choice || output.choice->outcome != Outcome::Unavailable) return;
  const auto held = output.transition.current();
  consumer.conditions.push_back(
      {"OutputUnavailable", "True", generation, output.unavailable_since, "OutputUnavailable",
       output.choice->reason + (held ? std::string("; keeps its ") + core::output_name(*held)
                                     : std::string("; nothing is written in this cluster"))});
}

std::optional<core::Condition> output_summary(const std::vector<core::ConsumerStatus>& consumers,
                                              std::int64_t generation) {
  std::string lacking;
  core::TimeMs since = 0;
  for (const auto& consumer : consumers) {
    for (const auto& condition : consumer.conditions) {
      if (condition.type != "OutputUnavailable") continue;
      lacking += (lacking.empty() ? "" : ", ") + consumer.cluster;
      since = std::max(since, condition.last_transition_time);
    }
  }
  if (lacking.empty()) return std::nullopt;
  return core::Condition{"OutputUnavailable", "True", generation, since, "OutputUnavailable",
                         "consumers without their chosen output (routing kept as it was; other consumers "
                         "unaffected): " + lacking + "; see status.consumers[].conditions"};
}

}  // namespace switchyard::hub
