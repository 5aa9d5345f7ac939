// One evaluation of the built-in Linkerd data-plane checks for every
// watched service of this cluster: batched queries (success/request rate;
// latency as a quantile, or as the share of requests within the check's
// maximum when that is a bucket bound), turned into one measurement per
// service.
//
// A value is only ever a number Prometheus computed from series of that
// workload. Prometheus unreachable, a query error, a NaN where traffic
// exists, or no series at all: the measurement carries the error and no
// number, which the decision (api.md rule 1a) reads as Unknown.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/agent/prometheus_client.h"
#include "switchyard/agent/promql.h"

namespace switchyard::agent {

struct CheckValue {
  std::optional<double> value;  // set only when `error` is empty and there was traffic to measure
  std::string error;            // why there is no value: query failed, no series, NaN
};

struct DataPlaneMeasurement {
  WatchedWorkload watched;
  // Requests per second over the window; unset when the query failed or no
  // series exist. 0 (series, but no requests): success rate and latency stay
  // unset without error, "not enough traffic".
  std::optional<double> request_rate;
  CheckValue success_rate;  // 0..1
  CheckValue latency_ms;    // the quantile asked for; unset when no latency check was asked or the share was
  // The share (0..1) of requests within `latency_within_ms`, measured
  // instead of the quantile when the hub sent a maximum that is a bucket
  // bound (is_linkerd_latency_bound).
  CheckValue latency_within_share;
  std::optional<std::int64_t> latency_within_ms;
  std::map<std::string, CheckValue> queries;  // custom checks by name, those asked only
  std::chrono::system_clock::time_point evaluated_at;
};

struct DataPlaneQueries {
  LinkerdQueryOptions options;
  std::optional<double> latency_quantile;  // unset: no latency query
};

// What one workload is measured with: the checks the hub sent for it, else
// the agent's flags (`defaults`).
struct ResolvedChecks {
  std::optional<std::chrono::milliseconds> window;  // response_total rate(); unset: not measured
  std::optional<double> latency_quantile;           // unset: no latency
  std::chrono::milliseconds latency_window{30000};
  std::vector<protocol::CustomQuery> queries;
  // The check's maximum when the hub sent one that is a Linkerd bucket
  // bound: the share within it is measured instead of the quantile.
  // Unset: the quantile (a maximum between bounds needs interpolation
  // across its bucket, which only histogram_quantile does).
  std::optional<std::int64_t> latency_share_bound_ms;
};
[[nodiscard]] ResolvedChecks resolve_checks(const WatchedWorkload& watched, const DataPlaneQueries& defaults);

// One query of a round and the workloads (indexes into `watched`) it covers.
struct PlannedQuery {
  enum class Kind { Rates, Latency, LatencyShare, Custom } kind = Kind::Rates;
  std::string promql;
  std::vector<std::size_t> members;
  std::string name;   // Custom: the check's name
  std::string error;  // Custom: the template could not be expanded (promql empty, nothing asked)
  std::int64_t bound_ms = 0;  // LatencyShare: the bucket bound
  // LatencyShare: the denominator (`promql` is the bucket). Empty when every
  // member's rates query has the latency's window: the share is then the
  // bucket's rate over the request rate that query measured (the proxy
  // counts each response in response_total and in response_latency_ms), one
  // query of 20,000 series less for Prometheus at 10,000 workloads.
  std::string count_promql;
};

// Pure: the queries of one round: one rates query per distinct window, one
// latency share query per distinct (bound, window, whether the rates query
// of that window gives its denominator) and one latency quantile
// query per distinct (quantile, window), each batched over
// every workload that asks for it; a custom check's template once per
// service, or once for all when it names no service variable
// (core/query_template.h): its one answer is then every service's.
[[nodiscard]] std::vector<PlannedQuery> plan_queries(const std::vector<WatchedWorkload>& watched,
                                                     const DataPlaneQueries& defaults);

// Pure: the measurements from the two answers. `latency` is ignored when
// `queries.latency_quantile` is unset.
[[nodiscard]] std::vector<DataPlaneMeasurement> measurements_from(const std::vector<WatchedWorkload>& watched,
                                                                  const DataPlaneQueries& queries,
                                                                  const PromQueryResult& success,
                                                                  const PromQueryResult* latency,
                                                                  std::chrono::system_clock::time_point evaluated_at);

// Runs the planned queries through `prometheus` (blocking; all at once, by
// query_all) and decodes them.
[[nodiscard]] std::vector<DataPlaneMeasurement> evaluate_data_plane(PrometheusApi& prometheus,
                                                                    const std::vector<WatchedWorkload>& watched,
                                                                    const DataPlaneQueries& queries,
                                                                    std::chrono::system_clock::time_point now);

}  // namespace switchyard::agent
