// Data-plane evidence (api.md rule 1a): what a backend's own agent measured
// of its traffic, judged against spec.health's checks, and the hysteresis
// that turns a run of judgements into a verdict.
//
// Pure: no clock, no I/O. The engine keeps one CheckStreak per backing
// service of each FailoverService (thresholds are per spec) and advances it
// once per evaluation its agent reports.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "switchyard/core/field_error.h"
#include "switchyard/core/status.h"
#include "switchyard/core/time.h"

#include <vector>

namespace switchyard::core {

struct SuccessRateCheck {
  double minimum = 0;                     // 0..1
  TimeMs window_ms = 30'000;
  double min_requests_per_second = 1;     // below it: not enough traffic, never a failure
  bool operator==(const SuccessRateCheck&) const = default;
};

struct LatencyCheck {
  double quantile = 0.99;  // 0.5, 0.9, 0.95 or 0.99
  TimeMs maximum_ms = 0;
  TimeMs window_ms = 30'000;
  bool operator==(const LatencyCheck&) const = default;
};

// A custom check (spec.health.queries[]): a PromQL template
// (query_template.h) whose value passes while `value comparison threshold`.
enum class Comparison : std::uint8_t { Less, LessOrEqual, Greater, GreaterOrEqual };

[[nodiscard]] const char* to_string(Comparison comparison);  // "<", "<=", ">", ">="
[[nodiscard]] bool passes(Comparison comparison, double value, double threshold);

struct QueryCheck {
  std::string name;  // unique in the spec; the report keys its value by it
  std::string query_template;
  Comparison comparison = Comparison::Less;
  double threshold = 0;
  TimeMs window_ms = 30'000;  // {window}
  bool operator==(const QueryCheck&) const = default;
};

inline constexpr std::size_t kMaxQueryChecks = 8;
inline constexpr std::size_t kMaxQueryTemplateLength = 4096;

// spec.health's data-plane part. No check: rule 1a does not apply.
struct DataPlanePolicy {
  std::optional<SuccessRateCheck> success_rate;
  std::optional<LatencyCheck> latency;
  std::vector<QueryCheck> queries;
  std::uint32_t failure_threshold = 2;  // consecutive failing evaluations before failing
  std::uint32_t success_threshold = 2;  // consecutive passing ones before passing again
  [[nodiscard]] bool any() const { return success_rate || latency || !queries.empty(); }
  // Linkerd's checks, which need a request rate: custom checks alone have
  // no "not enough traffic" (their metrics need not be Linkerd's).
  [[nodiscard]] bool built_in() const { return success_rate || latency; }
  // Traffic below this is "not enough traffic" (successRate's, else 1 rps).
  [[nodiscard]] double min_requests_per_second() const {
    return success_rate ? success_rate->min_requests_per_second : 1.0;
  }
  bool operator==(const DataPlanePolicy&) const = default;
};

// What the agent that measures a backend needs of its FailoverService's
// checks: the assignment's watch list carries it per local service
// (docs/protocol.md, "Data-plane checks"), so spec.health's windows and
// quantile are the ones measured, not the agent's flags.
struct MeasuredQuery {
  std::string name;
  std::string query_template;
  TimeMs window_ms = 30'000;
  auto operator<=>(const MeasuredQuery&) const = default;
};

struct MeasureRequest {
  std::optional<TimeMs> rate_window_ms;    // response_total: success and request rate; unset: custom checks only
  std::optional<double> latency_quantile;  // unset: no latency check
  TimeMs latency_window_ms = 30'000;
  // The latency check's maximum, so the agent can measure the share of
  // requests within it; unset when merged requests ask different maxima.
  std::optional<TimeMs> latency_maximum_ms;
  std::vector<MeasuredQuery> queries;      // by name
  auto operator<=>(const MeasureRequest&) const = default;
};

// The request for `policy` (one with any() checks). The request rate is
// measured over successRate's window, else over latency's.
[[nodiscard]] MeasureRequest measure_request(const DataPlanePolicy& policy);

// One request for a service that several FailoverServices check (one
// measurement per service): the shorter windows, the higher quantile, the
// custom checks of both (the first's, by name, where both name one), the
// latency maximum only when both ask the same (a share within one maximum
// says nothing of another; the quantile answers every maximum).
[[nodiscard]] MeasureRequest merge(const MeasureRequest& a, const MeasureRequest& b);

// One service's measurement, as the report carries it (rounded by the agent:
// docs/protocol.md). `error` non-empty: the query failed, nothing measured.
struct DataPlaneSample {
  std::optional<double> request_rate;  // requests per second
  std::optional<double> success_rate;  // 0..1
  std::optional<double> latency_ms;    // the quantile the agent measured
  std::map<std::string, double> queries;  // custom checks' values by name
  std::string error;
  // The share (0..1) of requests that took at most latency_within_ms: what
  // the agent measures instead of the quantile when the check's maximum is
  // a bucket bound. "Quantile q <= maximum" holds exactly when this share
  // >= q (histogram_quantile interpolates within a bucket, so the quantile
  // is at or below a bound exactly when the count at that bound reaches the
  // rank q x count).
  std::optional<double> latency_within_share;
  std::optional<TimeMs> latency_within_ms;
  bool operator==(const DataPlaneSample&) const = default;
};

enum class CheckOutcome : std::uint8_t {
  Pass,
  NotEnoughTraffic,  // counts as passing
  Fail,
  Unknown,           // cannot be evaluated: keeps the last verdict
};

[[nodiscard]] const char* to_string(CheckOutcome outcome);

// Judges one evaluation. A failing check fails the evaluation even if
// another is Unknown; otherwise any Unknown makes it Unknown. Missing
// sample (the agent measured nothing for the service): Unknown.
[[nodiscard]] CheckOutcome judge(const DataPlanePolicy& policy, const DataPlaneSample* sample);

// Consecutive outcomes of one backend's checks and the verdict they give.
struct CheckStreak {
  bool failing = false;
  std::uint32_t fails = 0;   // consecutive Fail evaluations
  std::uint32_t passes = 0;  // consecutive Pass / NotEnoughTraffic evaluations
  CheckOutcome last = CheckOutcome::Unknown;
  bool operator==(const CheckStreak&) const = default;
};

// Advances `streak` by one evaluation; returns true when `failing` flipped.
// Unknown neither counts nor breaks a run: it only records itself as last.
bool advance(CheckStreak& streak, CheckOutcome outcome, const DataPlanePolicy& policy);

// "success rate 41% < 95% over 30s at 12.3 rps", "latency p99 812ms > 500ms
// over 30s", "latency p99 over 500ms: 97.2% of requests within 500ms < 99%
// over 30s at 12.3 rps", "not enough traffic (0.2 rps < 1)", or the sample's error: the
// words of the last evaluation, for Events and status.
[[nodiscard]] std::string describe(const DataPlanePolicy& policy, const DataPlaneSample* sample);

// What status shows of one backend's checks.
[[nodiscard]] DataPlaneEvidence evidence(const DataPlanePolicy& policy, const CheckStreak& streak,
                                         const DataPlaneSample* sample);

// Reads spec.health's successRate, latency, failureThreshold and
// successThreshold (`health` may be null), each error naming its field.
// `path` names `health` in errors; fields it lacks keep `policy`'s values
// (a backing service's override starts from spec.health's).
void read_data_plane_policy(const rapidjson::Value* health, DataPlanePolicy& policy,
                            std::vector<FieldError>& errors, const std::string& path = "spec.health");

// "30s", "500ms", "1m30s", "2h" -> milliseconds; nothing for anything else
// (no sign, no fraction, units ms s m h).
[[nodiscard]] std::optional<TimeMs> parse_duration(std::string_view text);

}  // namespace switchyard::core
