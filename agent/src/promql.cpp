#include "switchyard/agent/promql.h"

#include "switchyard/core/query_template.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace switchyard::agent {
namespace {

// A value inside a double-quoted PromQL regex matcher: regex metacharacters
// escaped for RE2, then backslashes and quotes escaped for the string.
std::string regex_literal(const std::string& value) {
  std::string regex;
  for (const char c : value) {
    if (std::string_view(R"(\.+*?()|[]{}^$)").find(c) != std::string_view::npos) regex += '\\';
    regex += c;
  }
  std::string quoted;
  for (const char c : regex) {
    if (c == '\\' || c == '"') quoted += '\\';
    quoted += c;
  }
  return quoted;
}

std::string alternation(const std::set<std::string>& values) {
  std::string out;
  for (const auto& value : values) {
    if (!out.empty()) out += '|';
    out += regex_literal(value);
  }
  return out;
}

// The inbound selector restricted to the watched namespaces and workloads.
// Namespace x workload is wider than the watched pairs; the caller keeps
// only the pairs it asked for.
// `extra`: one more matcher (", le=...") or empty.
std::string inbound_selector(const std::vector<WatchedWorkload>& watched, const LinkerdQueryOptions& options,
                             const std::string& extra = {}) {
  std::set<std::string> namespaces;
  std::set<std::string> workloads;
  for (const auto& w : watched) {
    namespaces.insert(w.namespace_);
    workloads.insert(w.workload);
  }
  return "{direction=\"inbound\", namespace=~\"" + alternation(namespaces) + "\", " + options.workload_label +
         "=~\"" + alternation(workloads) + "\"" + extra + "}";
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

std::optional<std::string> variable_value(const std::string& name, const WatchedWorkload& watched,
                                          std::chrono::milliseconds window) {
  if (name == "namespace") return watched.namespace_;
  if (name == "service") return watched.service;
  if (name == "workload") return watched.workload;
  if (name == "window") return promql_duration(window);
  return std::nullopt;
}

}  // namespace

std::string promql_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

std::string success_rate_query(const std::vector<WatchedWorkload>& watched, const LinkerdQueryOptions& options) {
  if (watched.empty()) return {};
  return "sum by (namespace, " + options.workload_label + ", classification) (rate(response_total" +
         inbound_selector(watched, options) + "[" + promql_duration(options.window) + "]))";
}

std::string latency_query(const std::vector<WatchedWorkload>& watched, double quantile,
                          const LinkerdQueryOptions& options) {
  if (watched.empty()) return {};
  char q[32];
  std::snprintf(q, sizeof q, "%g", quantile);
  return std::string("histogram_quantile(") + q + ", sum by (le, namespace, " + options.workload_label +
         ") (rate(response_latency_ms_bucket" + inbound_selector(watched, options) + "[" +
         promql_duration(options.window) + "])))";
}

bool is_linkerd_latency_bound(std::int64_t ms) {
  return std::find(std::begin(kLinkerdLatencyBoundsMs), std::end(kLinkerdLatencyBoundsMs), ms) !=
         std::end(kLinkerdLatencyBoundsMs);
}

std::string latency_bucket_query(const std::vector<WatchedWorkload>& watched, std::int64_t bound_ms,
                                 const LinkerdQueryOptions& options) {
  if (watched.empty()) return {};
  // "500" or "500.0": a regex over the le label's 26 values, not its series.
  const auto le = ", le=~\"" + std::to_string(bound_ms) + "(\\\\.0)?\"";
  return "sum by (namespace, " + options.workload_label + ") (rate(response_latency_ms_bucket" +
         inbound_selector(watched, options, le) + "[" + promql_duration(options.window) + "]))";
}

std::string latency_count_query(const std::vector<WatchedWorkload>& watched, const LinkerdQueryOptions& options) {
  if (watched.empty()) return {};
  return "sum by (namespace, " + options.workload_label + ") (rate(response_latency_ms_count" +
         inbound_selector(watched, options) + "[" + promql_duration(options.window) + "]))";
}

std::variant<std::string, TemplateError> expand_query_template(const std::string& query_template,
                                                               const WatchedWorkload& watched,
                                                               std::chrono::milliseconds window) {
  if (auto problem = core::query_template_problem(query_template)) return TemplateError{"query template: " + *problem};
  std::string out;
  auto error = core::walk_query_template(
      query_template, [&](const std::string& text) { out += text; },
      [&](const std::string& name, std::size_t) -> std::optional<std::string> {
        const auto value = variable_value(name, watched, window);
        if (value->empty() || !std::all_of(value->begin(), value->end(), is_name_char)) {
          return "query template: {" + name + "} = \"" + *value +
                 "\" is not a Kubernetes name (only letters, digits, '.', '_' and '-')";
        }
        out += *value;
        return std::nullopt;
      });
  if (error) return TemplateError{*error};
  return out;
}

std::optional<TemplateError> check_query_template(const std::string& query_template) {
  if (auto problem = core::query_template_problem(query_template)) return TemplateError{"query template: " + *problem};
  return std::nullopt;
}

}  // namespace switchyard::agent
