// The agent's Prometheus client: instant queries against the member
// cluster's Prometheus (linkerd-viz's, or any that scrapes the Linkerd
// proxies) through its HTTP API, POST /api/v1/query with a form body, so a
// batched query naming thousands of workloads is not limited by URL length.
//
// Thread-safety: query() and query_all() block and may not run
// concurrently with themselves; the agent runs them off its loop thread and
// hands the results back. query_all() runs its queries at once, each on its
// own connection (Prometheus evaluates concurrent queries on its cores).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "switchyard/agent/prometheus_response.h"

namespace httplib {
class Client;
}

namespace switchyard::agent {

// From the agent's flags --prometheus-url, --prometheus-token-file, --prometheus-ca.
struct PrometheusConfig {
  std::string url;         // http(s)://host[:port][/path-prefix]; empty: no data-plane checks
  std::string token_file;  // bearer token, read again for every query (projected tokens rotate); empty: none
  std::string ca_file;     // PEM bundle that signs Prometheus's certificate; empty: system roots
  std::chrono::milliseconds timeout{5000};  // connect + read, per query
  std::size_t max_body_bytes = 32u << 20;   // an answer past this is an error, not memory
};

// What the data-plane evaluation needs of Prometheus; tests pass fakes.
class PrometheusApi {
 public:
  virtual ~PrometheusApi() = default;
  [[nodiscard]] virtual PromQueryResult query(const std::string& promql) = 0;
  // The answers to `promqls`, in their order, every one evaluated at `at`
  // (Prometheus's `time` parameter): queries of one round divided into each
  // other must read the same window, or a share of two counters that are
  // equal at every scrape comes out 0.999. By default one after the other
  // (fakes answer what they are told and ignore the time).
  [[nodiscard]] virtual std::vector<PromQueryResult> query_all(const std::vector<std::string>& promqls,
                                                               std::chrono::system_clock::time_point at) {
    (void)at;
    std::vector<PromQueryResult> answers;
    answers.reserve(promqls.size());
    for (const auto& promql : promqls) answers.push_back(query(promql));
    return answers;
  }
};

// Prometheus's `time` parameter for `at`: Unix seconds with milliseconds,
// "1733450000.007".
[[nodiscard]] std::string prometheus_time(std::chrono::system_clock::time_point at);

// Connections query_all uses at most: enough for a round's built-in
// queries; Prometheus has few cores to run more on.
inline constexpr std::size_t kMaxConcurrentQueries = 4;

class PrometheusClient final : public PrometheusApi {
 public:
  // Checks the URL; the error names the flag: "--prometheus-url: ...".
  [[nodiscard]] static std::variant<std::unique_ptr<PrometheusClient>, std::string> create(PrometheusConfig config);
  ~PrometheusClient() override;

  [[nodiscard]] PromQueryResult query(const std::string& promql) override;
  // At once, up to kMaxConcurrentQueries: the calling thread and one more
  // thread per further connection (each kept alive), so a round of the
  // built-in checks (two or three queries) costs its slowest query rather
  // than their sum (docs/benchmarks.md).
  [[nodiscard]] std::vector<PromQueryResult> query_all(const std::vector<std::string>& promqls,
                                                       std::chrono::system_clock::time_point at) override;

 private:
  PrometheusClient(PrometheusConfig config, std::string scheme_host_port, std::string path_prefix);
  [[nodiscard]] std::unique_ptr<httplib::Client> make_client() const;
  // `time`: Prometheus's evaluation time parameter; empty: the server's now.
  [[nodiscard]] PromQueryResult query_on(httplib::Client& client, const std::string& promql,
                                         const std::string& time) const;

  PrometheusConfig config_;
  std::string scheme_host_port_;
  std::string path_prefix_;  // "" or "/prometheus": where the API lives behind a proxy
  // clients_[i] carries the i-th query of query_all (clients_[0] also query()).
  std::vector<std::unique_ptr<httplib::Client>> clients_;
};

}  // namespace switchyard::agent
