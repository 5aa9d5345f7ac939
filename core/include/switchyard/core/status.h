// The status block of a FailoverService (api.md "Status") as typed values,
// its JSON form for the status subresource, and what a hub restart recovers
// from it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/time.h"

namespace switchyard::core {

enum class FosState { Primary, FailedOver, NoHealthyBackend, Frozen, Invalid };
enum class Health { Healthy, Unhealthy, Unknown };

[[nodiscard]] const char* to_string(FosState state);
[[nodiscard]] const char* to_string(Health health);

struct ActiveBackend {
  std::string cluster, namespace_name, name;
  std::uint32_t weight = 0;
  bool operator==(const ActiveBackend&) const = default;
};

// A backend's data-plane evidence (rule 1a; docs/hub.md "Data-plane
// evidence"), shown only when the spec has data-plane checks.
// A custom check's evidence (spec.health.queries[]): its value against its
// threshold in the last round.
struct QueryEvidence {
  std::string name;
  std::optional<double> value;  // unset: Unknown (no value reported)
  std::string comparison;       // "<", "<=", ">", ">="
  double threshold = 0;
  std::string result;           // "Pass" | "Fail" | "Unknown"
  bool operator==(const QueryEvidence&) const = default;
};

struct DataPlaneEvidence {
  std::string verdict;     // "Passing" | "Failing": what the decision uses
  std::string last;        // the last evaluation: Pass | Fail | NotEnoughTraffic | Unknown
  std::uint32_t consecutive = 0;  // evaluations in a row with that outcome (capped at the threshold)
  std::optional<double> success_rate, min_success_rate, request_rate, latency_ms, max_latency_ms;
  std::string message;     // describe(): the last evaluation in words, or its error
  // The latency check's evidence when the agent measured the share within
  // max_latency_ms (the check passes while it is >= latency_quantile).
  std::optional<double> latency_within_share, latency_quantile;
  std::vector<QueryEvidence> queries;  // in spec order
  bool operator==(const DataPlaneEvidence&) const = default;
};

struct BackendStatus {
  std::string cluster, namespace_name, name;
  Health health = Health::Unknown;
  std::uint32_t ready_endpoints = 0;
  TimeMs last_transition_time = 0;
  std::optional<DataPlaneEvidence> data_plane;
  bool operator==(const BackendStatus&) const = default;
};

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True" | "False" | "Unknown"
  std::int64_t observed_generation = 0;
  TimeMs last_transition_time = 0;
  std::string reason;
  std::string message;
  bool operator==(const Condition&) const = default;
};

struct ConsumerStatus {
  std::string cluster;
  std::int64_t desired_revision = 0;
  std::int64_t applied_revision = 0;
  bool in_sync = false;
  std::optional<std::int32_t> active_priority;  // unset until a first decision
  std::optional<TimeMs> active_since;
  std::vector<std::string> active_backends;     // "east/emojivoto/web-svc": weight > 0 here
  std::vector<std::string> omitted_backends;    // "east/emojivoto/web-svc": mirror missing here
  std::string message;
  // spec.mode Observe only: the weights this consumer's route would get,
  // one per backend the route would list (wouldApply in JSON; docs/hub.md).
  struct WouldApply {
    std::string backend;  // "east/emojivoto/web-svc"
    std::uint32_t weight = 0;
    bool operator==(const WouldApply&) const = default;
  };
  std::vector<WouldApply> would_apply;
  // spec.mode Observe only: the route this consumer keeps, as it was last
  // enforced (heldBackends in JSON; docs/hub.md), so that a restarted hub or
  // a new leader publishes that route and not nothing. It names each
  // backend's Service in this cluster, as the route does, so that resuming
  // it rewrites nothing even when spec.backingServices changed meanwhile.
  struct Held {
    std::string backend;  // "west/emojivoto/web-svc"
    std::string service;  // "web-svc" here, "web-svc-west" in east
    std::uint32_t weight = 0;
    bool operator==(const Held&) const = default;
  };
  std::vector<Held> held_backends;
  // The route object written in this consumer ("TrafficSplit", "HTTPRoute",
  // "LinkerdHTTPRoute"; docs/outputs.md), empty before the hub chose one;
  // set by the hub, which makes the choice (core::choose_output).
  std::string output;
  // This consumer's own conditions (OutputUnavailable, RouteConflict), set
  // by the hub; the FailoverService's conditions summarise them.
  std::vector<Condition> conditions;
  bool operator==(const ConsumerStatus&) const = default;
};


struct FosStatus {
  std::int64_t observed_generation = 0;
  FosState state = FosState::Primary;
  std::string message;
  std::vector<ActiveBackend> active;
  std::vector<BackendStatus> backing_services;
  std::vector<ConsumerStatus> consumers;
  std::uint64_t failover_count = 0;
  std::optional<TimeMs> last_failover_time;
  std::vector<Condition> conditions;
  bool operator==(const FosStatus&) const = default;
};

// The JSON object for `.status` (keys as api.md names them).
[[nodiscard]] std::string status_to_json(const FosStatus& status);

// What a restarted hub takes back from a FailoverService's recorded status
// so that it resumes the decisions in force (rule 8): per consumer the active
// priority, the active backends, the last known health of each backend, the
// counters and the condition transition times. Unreadable parts are skipped:
// a status is the hub's own output, and a bad one only costs the memory.
[[nodiscard]] std::optional<FosStatus> status_from_json(const rapidjson::Value& status);

}  // namespace switchyard::core
