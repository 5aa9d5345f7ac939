#include "switchyard/agent/data_plane.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "switchyard/core/query_template.h"
#include <utility>

namespace switchyard::agent {
namespace {

using Key = std::pair<std::string, std::string>;  // namespace, workload

std::string label(const PromSample& sample, const std::string& name) {
  const auto found = sample.labels.find(name);
  return found == sample.labels.end() ? std::string() : found->second;
}

struct Rates {
  double success = 0;
  double failure = 0;
  std::string error;  // a NaN or an unknown classification in the answer
};

std::map<Key, Rates> rates_by_workload(const PromVector& vector, const std::string& workload_label) {
  std::map<Key, Rates> rates;
  for (const auto& sample : vector.samples) {
    auto& rate = rates[{label(sample, "namespace"), label(sample, workload_label)}];
    const auto classification = label(sample, "classification");
    if (!std::isfinite(sample.value) || sample.value < 0) {
      rate.error = "response_total rate is " + std::to_string(sample.value);
    } else if (classification == "success") {
      rate.success += sample.value;
    } else if (classification == "failure") {
      rate.failure += sample.value;
    } else {
      rate.error = "response_total has classification \"" + classification + "\" (expected success or failure)";
    }
  }
  return rates;
}

std::string error_text(const PromError& error, const char* which) { return std::string(which) + ": " + error.message; }

std::map<Key, double> latencies_by_workload(const PromVector& vector, const std::string& workload_label) {
  std::map<Key, double> latencies;
  for (const auto& sample : vector.samples) {
    latencies[{label(sample, "namespace"), label(sample, workload_label)}] = sample.value;
  }
  return latencies;
}

// Request and success rate of `m` from the rates query's answer (`rates`
// decoded from it when it is a vector).
void fill_rates(DataPlaneMeasurement& m, const PromQueryResult& answer, const std::map<Key, Rates>& rates,
                const std::string& workload_label) {
  const auto& w = m.watched;
  if (const auto* error = std::get_if<PromError>(&answer)) {
    m.success_rate.error = error_text(*error, "success rate query");
  } else if (const auto found = rates.find({w.namespace_, w.workload}); found == rates.end()) {
    m.success_rate.error = "no response_total series for " + workload_label + " " + w.namespace_ + "/" + w.workload;
  } else if (!found->second.error.empty()) {
    m.success_rate.error = found->second.error;
  } else {
    const double total = found->second.success + found->second.failure;
    m.request_rate = total;
    if (total > 0) m.success_rate.value = found->second.success / total;
  }
}

// Latency of `m` (after fill_rates: no traffic makes NaN expected).
// `answer` null: the query was not run.
void fill_latency(DataPlaneMeasurement& m, const PromQueryResult* answer, const std::map<Key, double>& latencies,
                  const std::string& workload_label) {
  const auto& w = m.watched;
  if (answer == nullptr) {
    m.latency_ms.error = "latency query not run";
  } else if (const auto* error = std::get_if<PromError>(answer)) {
    m.latency_ms.error = error_text(*error, "latency query");
  } else if (const auto found = latencies.find({w.namespace_, w.workload}); found == latencies.end()) {
    m.latency_ms.error = "no response_latency_ms series for " + workload_label + " " + w.namespace_ + "/" + w.workload;
  } else if (std::isnan(found->second)) {
    // histogram_quantile of no requests is NaN: with no traffic that is
    // "not enough traffic", otherwise the histogram is broken.
    if (!m.request_rate || *m.request_rate > 0) m.latency_ms.error = "latency quantile is NaN";
  } else {
    // Past the last finite bucket Prometheus answers that bucket's bound
    // (50000 ms for Linkerd), a real number; +Inf only for a quantile > 1.
    m.latency_ms.value = found->second;
  }
}

// The share within `bound_ms` of `m` from the bucket's and the count's
// answers (`buckets`, `counts` decoded from them); after fill_rates: no
// traffic makes 0/0 expected.
void fill_share(DataPlaneMeasurement& m, const PromQueryResult& bucket_answer, const PromQueryResult& count_answer,
                const std::map<Key, double>& buckets, const std::map<Key, double>& counts, std::int64_t bound_ms,
                const std::string& workload_label) {
  const auto& w = m.watched;
  const Key key{w.namespace_, w.workload};
  m.latency_within_ms = bound_ms;
  const auto bucket = buckets.find(key);
  const auto count = counts.find(key);
  if (const auto* error = std::get_if<PromError>(&bucket_answer)) {
    m.latency_within_share.error = error_text(*error, "latency bucket query");
  } else if (const auto* count_error = std::get_if<PromError>(&count_answer)) {
    m.latency_within_share.error = error_text(*count_error, "latency count query");
  } else if (count == counts.end()) {
    m.latency_within_share.error = "no response_latency_ms series for " + workload_label + " " + w.namespace_ + "/" +
                                   w.workload;
  } else if (bucket == buckets.end()) {
    // The proxy's histogram has no bucket at this bound.
    m.latency_within_share.error = "no response_latency_ms_bucket series with le=\"" + std::to_string(bound_ms) +
                                   "\" for " + workload_label + " " + w.namespace_ + "/" + w.workload;
  } else if (const bool finite = std::isfinite(bucket->second) && std::isfinite(count->second);
             !finite || count->second <= 0) {
    // No requests in the window is "not enough traffic" (no error) when the
    // rates query counted none either; anything else is a broken histogram.
    const bool no_traffic = finite && m.request_rate && *m.request_rate <= 0;
    if (!no_traffic) {
      m.latency_within_share.error = "share of requests within " + std::to_string(bound_ms) + "ms is " +
                                     std::to_string(bucket->second) + " / " + std::to_string(count->second);
    }
  } else {
    // rate() extrapolates each series on its own: a bucket's rate may pass
    // the count's by a rounding error; a share is at most 1.
    m.latency_within_share.value = std::clamp(bucket->second / count->second, 0.0, 1.0);
  }
}

// The share within `bound_ms` of `m` from the bucket's answer over the
// request rate fill_rates found for `m` in this round (the same window):
// no request rate is an error, a zero one is "not enough traffic".
void fill_share_over_requests(DataPlaneMeasurement& m, const PromQueryResult& bucket_answer,
                              const std::map<Key, double>& buckets, std::int64_t bound_ms,
                              const std::string& workload_label) {
  const auto& w = m.watched;
  m.latency_within_ms = bound_ms;
  const auto bucket = buckets.find({w.namespace_, w.workload});
  if (const auto* error = std::get_if<PromError>(&bucket_answer)) {
    m.latency_within_share.error = error_text(*error, "latency bucket query");
  } else if (bucket == buckets.end()) {
    m.latency_within_share.error = m.request_rate ? "no response_latency_ms_bucket series with le=\"" +
                                                        std::to_string(bound_ms) + "\" for " + workload_label + " " +
                                                        w.namespace_ + "/" + w.workload
                                                  : "no response_latency_ms series for " + workload_label + " " +
                                                        w.namespace_ + "/" + w.workload;
  } else if (!m.request_rate) {
    // The rates query failed or found no response_total: its error is the
    // success rate's, said once in the report.
    m.latency_within_share.error = "no request rate to divide by";
  } else if (!std::isfinite(bucket->second) || !std::isfinite(*m.request_rate)) {
    m.latency_within_share.error = "share of requests within " + std::to_string(bound_ms) + "ms is " +
                                   std::to_string(bucket->second) + " / " + std::to_string(*m.request_rate);
  } else if (*m.request_rate > 0) {
    m.latency_within_share.value = std::clamp(bucket->second / *m.request_rate, 0.0, 1.0);
  }
}

std::map<Key, Rates> rates_of(const PromQueryResult& answer, const std::string& workload_label) {
  const auto* vector = std::get_if<PromVector>(&answer);
  return vector ? rates_by_workload(*vector, workload_label) : std::map<Key, Rates>{};
}

std::map<Key, double> latencies_of(const PromQueryResult& answer, const std::string& workload_label) {
  const auto* vector = std::get_if<PromVector>(&answer);
  return vector ? latencies_by_workload(*vector, workload_label) : std::map<Key, double>{};
}

// A custom check's value: its query must answer exactly one finite number.
CheckValue custom_value(const PromQueryResult& answer, const std::string& name) {
  if (const auto* error = std::get_if<PromError>(&answer)) return {std::nullopt, "query " + name + ": " + error->message};
  const auto& samples = std::get<PromVector>(answer).samples;
  if (samples.size() != 1) {
    return {std::nullopt, "query " + name + " answered " + std::to_string(samples.size()) +
                              " series (a custom check's query must answer one; aggregate it, e.g. sum(...))"};
  }
  if (!std::isfinite(samples.front().value)) {
    return {std::nullopt, "query " + name + " answered " + std::to_string(samples.front().value)};
  }
  return {samples.front().value, {}};
}

// A custom check's query for `members`, its template expanded for `watched`.
PlannedQuery custom_query(const std::string& name, const std::string& query_template, std::int64_t window_ms,
                          std::vector<std::size_t> members, const WatchedWorkload& watched) {
  PlannedQuery planned{PlannedQuery::Kind::Custom, {}, std::move(members), name, {}, 0, {}};
  auto expanded = expand_query_template(query_template, watched, std::chrono::milliseconds(window_ms));
  if (auto* text = std::get_if<std::string>(&expanded)) {
    planned.promql = std::move(*text);
  } else {
    planned.error = std::get<TemplateError>(expanded).message;
  }
  return planned;
}

}  // namespace

ResolvedChecks resolve_checks(const WatchedWorkload& watched, const DataPlaneQueries& defaults) {
  if (!watched.checks) return {defaults.options.window, defaults.latency_quantile, defaults.options.window, {}, {}};
  const auto& checks = *watched.checks;
  ResolvedChecks resolved{std::nullopt, checks.latency_quantile, std::chrono::milliseconds(checks.latency_window_ms),
                          checks.queries, std::nullopt};
  if (checks.window_ms) resolved.window = std::chrono::milliseconds(*checks.window_ms);
  if (checks.latency_maximum_ms && is_linkerd_latency_bound(*checks.latency_maximum_ms)) {
    resolved.latency_share_bound_ms = checks.latency_maximum_ms;
  }
  return resolved;
}

std::vector<PlannedQuery> plan_queries(const std::vector<WatchedWorkload>& watched, const DataPlaneQueries& defaults) {
  std::map<std::chrono::milliseconds, std::vector<std::size_t>> by_window;
  std::map<std::pair<double, std::chrono::milliseconds>, std::vector<std::size_t>> by_quantile;
  // (bound, window, denominator from the rates query of that window)
  std::map<std::tuple<std::int64_t, std::chrono::milliseconds, bool>, std::vector<std::size_t>> by_bound;
  // A template naming no service: one query for all, keyed by what it asks.
  std::map<std::tuple<std::string, std::string, std::int64_t>, std::vector<std::size_t>> shared;
  std::vector<PlannedQuery> per_service;
  for (std::size_t i = 0; i < watched.size(); ++i) {
    const auto checks = resolve_checks(watched[i], defaults);
    if (checks.window) by_window[*checks.window].push_back(i);
    if (checks.latency_quantile && checks.latency_share_bound_ms) {
      const bool over_rates = checks.window == checks.latency_window;
      by_bound[{*checks.latency_share_bound_ms, checks.latency_window, over_rates}].push_back(i);
    } else if (checks.latency_quantile) {
      by_quantile[{*checks.latency_quantile, checks.latency_window}].push_back(i);
    }
    for (const auto& query : checks.queries) {
      if (!core::query_template_names_service(query.query_template)) {
        shared[{query.name, query.query_template, query.window_ms}].push_back(i);
        continue;
      }
      per_service.push_back(custom_query(query.name, query.query_template, query.window_ms, {i}, watched[i]));
    }
  }
  const auto members_of = [&watched](const std::vector<std::size_t>& indexes) {
    std::vector<WatchedWorkload> members;
    for (const auto i : indexes) members.push_back(watched[i]);
    return members;
  };
  // Rates first: a latency's NaN is read against the request rate.
  std::vector<PlannedQuery> planned;
  for (auto& [window, indexes] : by_window) {
    auto options = defaults.options;
    options.window = window;
    planned.push_back({PlannedQuery::Kind::Rates, success_rate_query(members_of(indexes), options), indexes, {}, {}, 0, {}});
  }
  for (auto& [key, indexes] : by_bound) {
    const auto& [bound_ms, window, over_rates] = key;
    auto options = defaults.options;
    options.window = window;
    const auto members = members_of(indexes);
    planned.push_back({PlannedQuery::Kind::LatencyShare, latency_bucket_query(members, bound_ms, options), indexes,
                       {}, {}, bound_ms, over_rates ? std::string() : latency_count_query(members, options)});
  }
  for (auto& [key, indexes] : by_quantile) {
    auto options = defaults.options;
    options.window = key.second;
    planned.push_back(
        {PlannedQuery::Kind::Latency, latency_query(members_of(indexes), key.first, options), indexes, {}, {}, 0, {}});
  }
  for (auto& [key, indexes] : shared) {
    const auto& [name, query_template, window_ms] = key;
    planned.push_back(custom_query(name, query_template, window_ms, indexes, watched[indexes.front()]));
  }
  for (auto& query : per_service) planned.push_back(std::move(query));
  return planned;
}

std::vector<DataPlaneMeasurement> measurements_from(const std::vector<WatchedWorkload>& watched,
                                                    const DataPlaneQueries& queries, const PromQueryResult& success,
                                                    const PromQueryResult* latency,
                                                    std::chrono::system_clock::time_point evaluated_at) {
  const auto& workload_label = queries.options.workload_label;
  const auto rates = rates_of(success, workload_label);
  const auto latencies = latency ? latencies_of(*latency, workload_label) : std::map<Key, double>{};
  std::vector<DataPlaneMeasurement> out;
  out.reserve(watched.size());
  for (const auto& w : watched) {
    DataPlaneMeasurement m{w, std::nullopt, {}, {}, {}, std::nullopt, {}, evaluated_at};
    fill_rates(m, success, rates, workload_label);
    if (queries.latency_quantile) fill_latency(m, latency, latencies, workload_label);
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<DataPlaneMeasurement> evaluate_data_plane(PrometheusApi& prometheus,
                                                      const std::vector<WatchedWorkload>& watched,
                                                      const DataPlaneQueries& queries,
                                                      std::chrono::system_clock::time_point now) {
  std::vector<DataPlaneMeasurement> out;
  out.reserve(watched.size());
  for (const auto& w : watched) out.push_back({w, std::nullopt, {}, {}, {}, std::nullopt, {}, now});
  const auto& workload_label = queries.options.workload_label;
  const auto planned_queries = plan_queries(watched, queries);
  // Every query of the round at once; each plan's answers in plan order.
  std::vector<std::string> promqls;
  for (const auto& planned : planned_queries) {
    if (planned.kind == PlannedQuery::Kind::Custom && !planned.error.empty()) continue;
    promqls.push_back(planned.promql);
    if (!planned.count_promql.empty()) promqls.push_back(planned.count_promql);
  }
  const auto answers = prometheus.query_all(promqls, now);
  std::size_t next = 0;
  for (const auto& planned : planned_queries) {
    if (planned.kind == PlannedQuery::Kind::Custom && !planned.error.empty()) {
      for (const auto i : planned.members) out[i].queries[planned.name].error = planned.error;
      continue;
    }
    const auto& answer = answers[next++];
    if (planned.kind == PlannedQuery::Kind::Custom) {
      const auto value = custom_value(answer, planned.name);
      for (const auto i : planned.members) out[i].queries[planned.name] = value;
    } else if (planned.kind == PlannedQuery::Kind::Rates) {
      const auto rates = rates_of(answer, workload_label);
      for (const auto i : planned.members) fill_rates(out[i], answer, rates, workload_label);
    } else if (planned.kind == PlannedQuery::Kind::LatencyShare && planned.count_promql.empty()) {
      // The rates plans come first: fill_rates has set each request rate.
      const auto buckets = latencies_of(answer, workload_label);
      for (const auto i : planned.members) {
        fill_share_over_requests(out[i], answer, buckets, planned.bound_ms, workload_label);
      }
    } else if (planned.kind == PlannedQuery::Kind::LatencyShare) {
      const auto& count_answer = answers[next++];
      // One number per workload each, as the quantile's answer.
      const auto buckets = latencies_of(answer, workload_label);
      const auto counts = latencies_of(count_answer, workload_label);
      for (const auto i : planned.members) {
        fill_share(out[i], answer, count_answer, buckets, counts, planned.bound_ms, workload_label);
      }
    } else {
      const auto latencies = latencies_of(answer, workload_label);
      for (const auto i : planned.members) fill_latency(out[i], &answer, latencies, workload_label);
    }
  }
  return out;
}

}  // namespace switchyard::agent
