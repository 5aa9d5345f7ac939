// The messages agents and the hub exchange (docs/protocol.md), as typed
// values. Everything past the JSON codecs works on these; nothing else in the
// project sees the wire form.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::protocol {

// A local service is one that runs in the reporting cluster; a mirror is the
// copy Linkerd multicluster makes of a remote cluster's service, whose ready
// endpoints say whether that cluster's gateway is reachable from here.
enum class ServiceRole { Local, Mirror };

[[nodiscard]] const char* to_string(ServiceRole role);

struct ServiceKey {
  std::string namespace_name;
  std::string name;
  ServiceRole role = ServiceRole::Local;

  auto operator<=>(const ServiceKey&) const = default;
  bool operator==(const ServiceKey&) const = default;
};

// What the agent's last data-plane evaluation measured of one local service
// (api.md rule 1a), rounded by round_data_plane so that noise does not make
// every evaluation a change. `error` non-empty: nothing could be measured
// (Prometheus unreachable, a query error, no series): the check is Unknown.
// Numbers unset without error: no traffic to measure.
struct DataPlaneMeasurement {
  std::optional<double> request_rate;  // requests per second, >= 0
  std::optional<double> success_rate;  // 0..1
  std::optional<double> latency_ms;    // the quantile the agent measures (histogram_quantile)
  std::map<std::string, double> queries;  // custom checks' values by name (at most kMaxCustomQueries)
  std::string error;                   // at most kMaxDataPlaneErrorLength characters
  // "latencyWithinShare" / "latencyWithinMs": the share (0..1) of requests
  // that took at most `latency_within_ms`, measured instead of latency_ms
  // when the hub sent a maximum that is a bucket bound of Linkerd's
  // histogram (docs/agent.md, "Latency as a share"). Both or neither.
  std::optional<double> latency_within_share;
  std::optional<std::int64_t> latency_within_ms;

  bool operator==(const DataPlaneMeasurement&) const = default;
};

inline constexpr std::size_t kMaxDataPlaneErrorLength = 512;

// Rounds what is reported (docs/protocol.md, "Data-plane measurements"):
// success rate and the share within the latency maximum down to 0.001,
// request rate and latency to two significant digits, custom values to three, the error cut to kMaxDataPlaneErrorLength.
[[nodiscard]] DataPlaneMeasurement round_data_plane(DataPlaneMeasurement measured);

// What one agent measured of one service in its cluster.
struct ServiceHealth {
  ServiceKey key;
  bool exists = false;
  std::uint32_t ready_endpoints = 0;
  std::uint32_t total_endpoints = 0;
  // "dataPlane": only from an agent that evaluates data-plane checks, and
  // only for services it measured.
  std::optional<DataPlaneMeasurement> data_plane;

  bool operator==(const ServiceHealth&) const = default;
};

// The assignment revision an agent last applied, and what went wrong applying
// it (empty when it applied cleanly).
struct AppliedState {
  std::int64_t revision = 0;
  std::vector<std::string> errors;

  bool operator==(const AppliedState&) const = default;
};

// The route APIs the agent found its cluster serving (API discovery), so the
// hub can choose each consumer's output (spec.output.kind Auto).
struct ServedApis {
  bool traffic_split = false;       // split.smi-spec.io trafficsplits
  bool gateway_http_route = false;  // gateway.networking.k8s.io/v1 httproutes
  bool linkerd_http_route = false;  // policy.linkerd.io/v1beta3 httproutes

  bool operator==(const ServedApis&) const = default;
};

// PUT /v1/clusters/{cluster}/report. `agent_id` is random per agent process
// start and `seq` grows by one per report from it, so the hub can tell a gap
// or a restart and ask for a full snapshot (409). A delta (`full == false`)
// carries only the services that changed.
//
// `seq` is at most kMaxReportSeq: one report a second would take 285 million
// years to reach it, and a forged seq near 2^64 made `last + 1` wrap, after
// which the hub took every delta of the real agent for a resend. It is also
// the largest integer every JSON parser (JavaScript's too) reads exactly.
inline constexpr std::uint64_t kMaxReportSeq = (std::uint64_t{1} << 53) - 1;
inline constexpr std::size_t kMaxAgentIdLength = 128;
inline constexpr std::size_t kMaxAgentVersionLength = 128;

struct Report {
  std::string agent_id;
  std::uint64_t seq = 0;
  bool full = false;
  std::string agent_version;
  std::vector<ServiceHealth> services;
  AppliedState applied;
  // "outputs": what the cluster serves, from an agent that discovers it. A
  // full report without it comes from an agent older than discovery (it
  // writes TrafficSplits only); a delta without it changes nothing.
  std::optional<ServedApis> outputs;
  // "dataPlane": the agent's latest data-plane evaluation round. `evaluation`
  // grows by one per evaluation of this agent process; the hub counts one
  // evaluation (rule 1a's thresholds) whenever it changes, for every service
  // of the cluster, with the last measurement each one reported. Absent:
  // an agent that evaluates nothing (or one older than the checks).
  struct DataPlaneRound {
    std::uint64_t evaluation = 0;   // at most kMaxReportSeq
    std::int64_t evaluated_at = 0;  // ms since the epoch, the agent's clock (shown, never compared)
    bool operator==(const DataPlaneRound&) const = default;
  };
  std::optional<DataPlaneRound> data_plane;

  bool operator==(const Report&) const = default;
};

// The hub's answer to a report (200): whether it applied it, or took it for
// a resend of the report it accepted last (then only as a heartbeat). An
// agent never resends a delta, so two such answers in a row mean the hub's
// sequence is not this agent's (a forged report moved it): it sends a full
// snapshot. An older hub answers `{}`, which reads as Applied.
enum class ReportOutcome { Applied, Duplicate };

[[nodiscard]] const char* to_string(ReportOutcome outcome);

// The API groups of the route objects an assignment carries; each group
// holds one kind (TrafficSplit, or HTTPRoute in both HTTPRoute groups).
inline constexpr const char* kSmiGroup = "split.smi-spec.io";
inline constexpr const char* kGatewayGroup = "gateway.networking.k8s.io";
inline constexpr const char* kLinkerdPolicyGroup = "policy.linkerd.io";

// "split.smi-spec.io" of "split.smi-spec.io/v1alpha2". Versions of one group
// are views of the same stored objects, groups are distinct objects: a
// route's identity is its group, namespace and name.
[[nodiscard]] std::string api_group_of(const std::string& api_version);

// One route object the hub wants in the agent's cluster: a TrafficSplit, or
// (docs/outputs.md) an HTTPRoute of the Gateway API or of Linkerd. The
// identity fields are typed so the agent can diff and collect garbage;
// `object_json` is the complete object (compact JSON) the agent applies as is.
struct DesiredTrafficSplit {
  std::string api_version;
  std::string namespace_name;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string object_json;

  bool operator==(const DesiredTrafficSplit&) const = default;
};

// A route object by identity: what a delta assignment names as removed.
// `api_version` empty: a TrafficSplit (a hub before HTTPRoutes named no
// version; the agent removes it under the version it was assigned).
struct SplitName {
  std::string namespace_name;
  std::string name;
  std::string api_version;

  auto operator<=>(const SplitName&) const = default;
  bool operator==(const SplitName&) const = default;
};

// What the hub asks the agent to measure of one watched local service
// (docs/protocol.md, "Data-plane checks"): the windows and quantile of the
// FailoverService's spec.health. A watch entry without it (from a hub older
// than these, or for a service no check covers) is measured with the
// agent's flags.
struct CustomQuery {
  std::string name;            // the report's key for its value
  std::string query_template;  // PromQL with {namespace} {service} {workload} {window}
  std::int64_t window_ms = 30'000;

  bool operator==(const CustomQuery&) const = default;
};

struct DataPlaneChecks {
  // rate() window of response_total: success and request rate; unset: not
  // measured (custom checks only).
  std::optional<std::int64_t> window_ms;
  std::optional<double> latency_quantile;  // unset: no latency measured
  std::int64_t latency_window_ms = 30'000;
  // "latency.maximumMs": the latency check's maximum, so the agent can
  // measure the share of requests within it (one histogram bucket) rather
  // than the quantile (every bucket). Unset from a hub older than it, or
  // when FailoverServices checking the service ask different maxima: the
  // agent then measures the quantile.
  std::optional<std::int64_t> latency_maximum_ms;
  std::vector<CustomQuery> queries;

  bool operator==(const DataPlaneChecks&) const = default;
};

inline constexpr std::int64_t kMaxCheckWindowMs = 3'600'000;
inline constexpr std::size_t kMaxCustomQueries = 8;
inline constexpr std::size_t kMaxQueryTemplateBytes = 4096;

// GET /v1/clusters/{cluster}/assignment (docs/protocol.md, "Revisions").
//
// Complete (`full`): the whole desired state for the cluster, so an agent
// that missed anything converges from one answer. A delta (`!full`) is
// what changed since the revision the agent asked `after`, of the same
// hub process (`epoch`): the TrafficSplits added or changed, the ones
// removed, and the watch list only when it changed (`watch_changed`). The
// hub sends a delta only when it holds every change since that revision;
// otherwise, and to an agent that names no epoch, the complete state.
struct Assignment {
  std::int64_t revision = 0;
  std::string epoch;  // the hub process that numbered `revision`; empty from a hub without deltas
  bool full = true;
  bool watch_changed = true;  // always true when full
  std::vector<ServiceKey> watch;
  std::map<ServiceKey, DataPlaneChecks> checks;  // the watch entries that carried "checks"
  std::vector<DesiredTrafficSplit> traffic_splits;
  std::vector<SplitName> removed_traffic_splits;  // deltas only

  bool operator==(const Assignment&) const = default;
};

// Bodies larger than this are refused with 413 before they are parsed.
inline constexpr std::size_t kMaxBodyBytes = 1 << 20;

}  // namespace switchyard::protocol
