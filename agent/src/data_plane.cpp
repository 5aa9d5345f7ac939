#include "switchyard/agent/data_plane.h"

#include <cmath>
#include <map>
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

}  // namespace

std::vector<DataPlaneMeasurement> measurements_from(const std::vector<WatchedWorkload>& watched,
                                                    const DataPlaneQueries& queries, const PromQueryResult& success,
                                                    const PromQueryResult* latency,
                                                    std::chrono::system_clock::time_point evaluated_at) {
  const auto& workload_label = queries.options.workload_label;
  const auto* success_vector = std::get_if<PromVector>(&success);
  const auto rates = success_vector ? rates_by_workload(*success_vector, workload_label) : std::map<Key, Rates>{};

  std::map<Key, double> latencies;
  const PromVector* latency_vector = nullptr;
  if (queries.latency_quantile && latency != nullptr) {
    latency_vector = std::get_if<PromVector>(latency);
    if (latency_vector) {
      for (const auto& sample : latency_vector->samples) {
        latencies[{label(sample, "namespace"), label(sample, workload_label)}] = sample.value;
      }
    }
  }

  std::vector<DataPlaneMeasurement> out;
  out.reserve(watched.size());
  for (const auto& w : watched) {
    DataPlaneMeasurement m{w, std::nullopt, {}, {}, evaluated_at};
    const Key key{w.namespace_, w.workload};
    if (!success_vector) {
      m.success_rate.error = error_text(std::get<PromError>(success), "success rate query");
    } else if (const auto found = rates.find(key); found == rates.end()) {
      m.success_rate.error = "no response_total series for " + workload_label + " " + w.namespace_ + "/" + w.workload;
    } else if (!found->second.error.empty()) {
      m.success_rate.error = found->second.error;
    } else {
      const double total = found->second.success + found->second.failure;
      m.request_rate = total;
      if (total > 0) m.success_rate.value = found->second.success / total;
    }

    if (!queries.latency_quantile) {
      // no latency check asked: neither a value nor an error
    } else if (latency == nullptr || latency_vector == nullptr) {
      m.latency_ms.error = latency == nullptr ? "latency query not run"
                                              : error_text(std::get<PromError>(*latency), "latency query");
    } else if (const auto found = latencies.find(key); found == latencies.end()) {
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
    out.push_back(std::move(m));
  }
  return out;
}

std::vector<DataPlaneMeasurement> evaluate_data_plane(PrometheusApi& prometheus,
                                                      const std::vector<WatchedWorkload>& watched,
                                                      const DataPlaneQueries& queries,
                                                      std::chrono::system_clock::time_point now) {
  if (watched.empty()) return {};
  const auto success = prometheus.query(success_rate_query(watched, queries.options));
  std::optional<PromQueryResult> latency;
  if (queries.latency_quantile) {
    latency = prometheus.query(latency_query(watched, *queries.latency_quantile, queries.options));
  }
  return measurements_from(watched, queries, success, latency ? &*latency : nullptr, now);
}

}  // namespace switchyard::agent
