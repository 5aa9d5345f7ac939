// Which object each consumer cluster gets (api.md spec.output): the spec's
// kind, else the consumer's MemberCluster default, else TrafficSplit; Auto
// takes what the consumer's cluster serves, as its agent discovered.
// Pure: the hub calls it per consumer with what it knows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/core/failover_service.h"
#include "switchyard/core/traffic_split.h"

namespace switchyard::core {

// The route APIs a cluster serves, as its agent's report says.
struct ServedOutputs {
  // False: the agent predates discovery (its reports carry no "outputs"); it
  // only ever wrote TrafficSplits, so that is all it is asked for.
  bool reported = false;
  bool traffic_split = false;       // split.smi-spec.io trafficsplits
  bool gateway_http_route = false;  // gateway.networking.k8s.io/v1 httproutes
  bool linkerd_http_route = false;  // policy.linkerd.io (kLinkerdHttpRouteApiVersion) httproutes
  bool operator==(const ServedOutputs&) const = default;
};

struct OutputChoice {
  enum class Outcome : std::uint8_t {
    Chosen,       // `kind` is what to write
    Waiting,      // Auto (or an HTTPRoute) before the consumer's agent said what it serves: no choice yet
    Unavailable,  // the consumer cannot get what was asked: `reason` says why (OutputUnavailable)
  };
  Outcome outcome = Outcome::Chosen;
  RouteKind kind = RouteKind::TrafficSplit;
  std::string reason;
  bool operator==(const OutputChoice&) const = default;
};

// `served` is nothing while the consumer's agent has not reported since the
// hub started. An explicit TrafficSplit is chosen without a report (as
// before discovery existed); HTTPRoutes need the spec's port and at most
// kMaxHttpRouteBackends backing services.
[[nodiscard]] OutputChoice choose_output(const FailoverSpec& spec, const std::string& consumer,
                                         std::optional<OutputKind> member_default,
                                         const std::optional<ServedOutputs>& served);

// One consumer's route objects across a change of output (issue 16, point 3):
// the new kind is written beside the old one, and the old one is dropped only
// once the consumer's agent has applied the revision that carries the new
// one, so there is no moment without routing. When the choice is Waiting or
// Unavailable, the consumer keeps what it holds (its current routing).
class OutputTransition {
 public:
  // The choice made now; `revision` is the consumer cluster's assignment
  // revision that will carry a newly chosen kind.
  void choose(const OutputChoice& choice, std::int64_t revision);
  // The consumer's agent applied `revision` (cleanly).
  void applied(std::int64_t revision);
  // The kinds to write now, the current one first: none, one, or the old and
  // the new one during a change.
  [[nodiscard]] std::vector<RouteKind> kinds() const;
  [[nodiscard]] std::optional<RouteKind> current() const { return current_; }

 private:
  std::optional<RouteKind> current_;  // what the consumer holds (or is being given, the first time)
  std::optional<RouteKind> next_;     // written beside current_ until next_revision_ is applied
  std::int64_t next_revision_ = 0;
};

// "TrafficSplit", "HTTPRoute" or "LinkerdHTTPRoute": the status's name for a choice.
[[nodiscard]] const char* output_name(RouteKind kind);

}  // namespace switchyard::core
