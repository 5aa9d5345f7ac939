// The agent's Prometheus client: instant queries against the member
// cluster's Prometheus (linkerd-viz's, or any that scrapes the Linkerd
// proxies) through its HTTP API, POST /api/v1/query with a form body, so a
// batched query naming thousands of workloads is not limited by URL length.
//
// Thread-safety: query() blocks and may not run concurrently with itself;
// the agent runs it off its loop thread and hands the result back.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <variant>

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
};

class PrometheusClient final : public PrometheusApi {
 public:
  // Checks the URL; the error names the flag: "--prometheus-url: ...".
  [[nodiscard]] static std::variant<std::unique_ptr<PrometheusClient>, std::string> create(PrometheusConfig config);
  ~PrometheusClient() override;

  [[nodiscard]] PromQueryResult query(const std::string& promql) override;

 private:
  PrometheusClient(PrometheusConfig config, std::string scheme_host_port, std::string path_prefix);

  PrometheusConfig config_;
  std::string path_prefix_;  // "" or "/prometheus": where the API lives behind a proxy
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace switchyard::agent
