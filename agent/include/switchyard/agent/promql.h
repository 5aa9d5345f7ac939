// PromQL for the data-plane checks, built as pure functions of what is
// watched. The built-in Linkerd checks read the proxies' inbound metrics
// with the labels Linkerd's Prometheus scrape config adds: `namespace`, and
// the workload label (`deployment` from the pod label
// linkerd.io/proxy-deployment; `statefulset`, `daemonset` likewise).
//
// Batched: ONE query per check kind covers every watched workload (`sum by`
// keeps them apart), so the cost per evaluation does not grow in queries
// with the number of services.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

// A backing service of this cluster whose data plane is measured, and the
// workload whose proxies serve it.
struct WatchedWorkload {
  std::string namespace_;
  std::string service;
  std::string workload;
  // What the hub asked measured (its FailoverServices' windows and
  // quantile); unset: the agent's flags (an older hub, or no check asked).
  std::optional<protocol::DataPlaneChecks> checks;
};

struct LinkerdQueryOptions {
  std::string workload_label = "deployment";  // label the scrape sets from linkerd.io/proxy-<kind>
  std::chrono::milliseconds window{30000};    // rate() range
};

// "30s", "1m30s" -> "90s", "1500ms": Prometheus's duration syntax.
[[nodiscard]] std::string promql_duration(std::chrono::milliseconds duration);

// sum by (namespace, <workload>, classification) (rate(response_total{direction="inbound", ...}[window])):
// per workload its success and failure rates, so success rate and request
// rate come from one query. Empty `watched`: an empty string (nothing to ask).
[[nodiscard]] std::string success_rate_query(const std::vector<WatchedWorkload>& watched,
                                             const LinkerdQueryOptions& options);

// histogram_quantile(q, sum by (le, namespace, <workload>) (rate(response_latency_ms_bucket{...}[window]))),
// in milliseconds. `quantile` is within 0..1.
[[nodiscard]] std::string latency_query(const std::vector<WatchedWorkload>& watched, double quantile,
                                        const LinkerdQueryOptions& options);

// The finite bucket bounds (ms) of the Linkerd proxy's response_latency_ms
// histogram (linkerd2-proxy's latency BOUNDS: 1..5, 10..50, 100..500,
// 1000..5000, 10000..50000, then +Inf). A latency maximum among them can be
// measured from one bucket (latency_bucket_query, latency_count_query).
inline constexpr std::int64_t kLinkerdLatencyBoundsMs[] = {1,    2,    3,    4,     5,     10,    20,   30,  40,
                                                          50,   100,  200,  300,   400,   500,   1000, 2000, 3000,
                                                          4000, 5000, 10000, 20000, 30000, 40000, 50000};
[[nodiscard]] bool is_linkerd_latency_bound(std::int64_t ms);

// The share of requests within a bound, as two batched queries the agent
// divides per workload (one division query costs Prometheus more than its
// two sides sent at once: docs/benchmarks.md):
//   sum by (namespace, <workload>) (rate(response_latency_ms_bucket{..., le="<bound>"}[window]))
//   sum by (namespace, <workload>) (rate(response_latency_ms_count{...}[window]))
// 1 bucket of the histogram's 26 (and the _count series, a metric name of
// its own) rather than all of them. "Quantile q <= bound" holds exactly
// when bucket / count >= q, so it judges a latency check whose maximum is a
// bound as histogram_quantile would (docs/agent.md, "Latency as a share").
// The bound matches as Linkerd writes it ("500") and as Prometheus 3
// rewrites classic histograms' `le` on ingestion ("500.0"). `bound_ms` must
// be is_linkerd_latency_bound. Empty `watched`: empty strings.
[[nodiscard]] std::string latency_bucket_query(const std::vector<WatchedWorkload>& watched, std::int64_t bound_ms,
                                               const LinkerdQueryOptions& options);
[[nodiscard]] std::string latency_count_query(const std::vector<WatchedWorkload>& watched,
                                              const LinkerdQueryOptions& options);

// A custom check's template with its variables replaced:
//   {namespace} {service} {workload}  the watched service's values
//   {window}                          the check's window as a PromQL duration
// Any other `{identifier}` is an error naming it (PromQL never has a bare
// identifier between braces: a label matcher needs an operator, so
// `metric{job="x"}` is left as written). Values are Kubernetes names; one
// with a character outside [A-Za-z0-9._-] is refused rather than quoted,
// so a value cannot end a PromQL string.
struct TemplateError {
  std::string message;  // "query template: unknown variable {svc} at offset 31 (known: ...)"
};
[[nodiscard]] std::variant<std::string, TemplateError> expand_query_template(const std::string& query_template,
                                                                             const WatchedWorkload& watched,
                                                                             std::chrono::milliseconds window);

// The same check without a service: only whether the template's variables
// are all known (for validating a spec at apply time).
[[nodiscard]] std::optional<TemplateError> check_query_template(const std::string& query_template);

}  // namespace switchyard::agent
