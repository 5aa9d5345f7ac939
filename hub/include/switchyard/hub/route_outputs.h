// Which route objects the hub writes for one FailoverService in one consumer
// cluster (docs/outputs.md): the choice (core::choose_output) and the move
// between kinds (core::OutputTransition), and how they show in status
// (status.consumers[].output, an OutputUnavailable condition per consumer).
// Pure: the controller keeps one ConsumerOutput per FailoverService and
// consumer and feeds it what the reports and the objects say.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/core/output_choice.h"
#include "switchyard/core/status.h"
#include "switchyard/core/traffic_split.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::hub {

struct ConsumerOutput {
  core::OutputTransition transition;
  std::optional<core::OutputChoice> choice;  // the last one made
  core::TimeMs unavailable_since = 0;        // when the current Unavailable choice began
  // The agent's RouteConflict apply error about this FailoverService's
  // HTTPRoute (a user's route on the same parent), empty when none.
  std::string conflict;
  core::TimeMs conflict_since = 0;

  // Makes `choice`; a newly chosen kind will be carried from `revision` on.
  // True when the kinds to write changed.
  bool choose(const core::OutputChoice& choice, std::int64_t revision, core::TimeMs now);
  // The consumer's agent applied `revision` cleanly. True when the kinds to
  // write changed (the old kind leaves the assignment).
  bool applied(std::int64_t revision);
  [[nodiscard]] bool moving() const { return transition.kinds().size() > 1; }
  // What status.consumers[].output shows: the kind chosen (or being moved
  // to), else the kind held; empty when neither.
  [[nodiscard]] std::string shown() const;
};

// What a report's `outputs` says the cluster serves; nothing from an agent
// older than discovery is "reported: false" (TrafficSplits only).
[[nodiscard]] core::ServedOutputs served_outputs_of(const std::optional<protocol::ServedApis>& outputs);

// "TrafficSplit", "HTTPRoute", "LinkerdHTTPRoute" (a recorded status's
// consumers[].output) as the kind; nothing for anything else.
[[nodiscard]] std::optional<core::RouteKind> route_kind_named(std::string_view output);

// The decided route as the objects to write in the consumer: one per kind,
// in kind order (TrafficSplit, Gateway API HTTPRoute, Linkerd HTTPRoute).
[[nodiscard]] std::vector<core::TrafficSplit> routes_of(const std::optional<core::TrafficSplit>& decided,
                                                        const std::vector<core::RouteKind>& kinds);

// The order of a cluster's route objects in its assignment: namespace, name,
// then kind, which is also protocol::SplitName's order.
[[nodiscard]] bool route_before(const core::TrafficSplit& a, const core::TrafficSplit& b);

// The whole object as the assignment carries it.
[[nodiscard]] std::string route_object_json(const core::TrafficSplit& route);

// The agent's RouteConflict error (split_plan.cpp) about the HTTPRoute
// `namespace_name`/`name` among `apply_errors`, or empty.
[[nodiscard]] std::string route_conflict_in(const std::vector<std::string>& apply_errors,
                                            const std::string& namespace_name, const std::string& name);

// Sets consumer.output and its OutputUnavailable and RouteConflict conditions.
void show_output(core::ConsumerStatus& consumer, const ConsumerOutput& output, std::int64_t generation);

// The FailoverService's summary condition OutputUnavailable (status True)
// naming the consumers that lack their output; nothing when none does.
[[nodiscard]] std::optional<core::Condition> output_summary(const std::vector<core::ConsumerStatus>& consumers,
                                                            std::int64_t generation);

}  // namespace switchyard::hub
