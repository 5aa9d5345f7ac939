// agent_prometheus_probe: the agent's Prometheus client and data-plane
// evaluation, alone, for the tests that run them against a real Prometheus
// (test/agent/test_prometheus.py) and for recording its answers
// (test/agent/data/record_prometheus.py). Not shipped.
//
//   agent_prometheus_probe --prometheus-url URL --watch ns/service/workload ... [--window 5s] [--quantile 0.99]
//                          [--latency-maximum-ms 500 [--latency-window 10s]]
// prints one JSON object per watched service; with --print-queries only
// the batched PromQL, one query a line.
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/agent/data_plane.h"

namespace {

using namespace switchyard::agent;

void write_check(rapidjson::Writer<rapidjson::StringBuffer>& out, const char* name, const CheckValue& check) {
  out.Key(name);
  out.StartObject();
  if (check.value) {
    out.Key("value");
    // JSON has no infinity: +Inf (a quantile past the last bucket) is a string.
    if (std::isfinite(*check.value)) out.Double(*check.value); else out.String("+Inf");
  }
  if (!check.error.empty()) {
    out.Key("error");
    out.String(check.error.c_str());
  }
  out.EndObject();
}

}  // namespace

int main(int argc, char** argv) {
  PrometheusConfig config;
  std::vector<std::string> watch;
  std::string window = "30s";
  std::string latency_window;
  double quantile = -1;
  std::int64_t maximum_ms = 0;
  bool print_queries = false;
  CLI::App app{"the agent's Prometheus client alone, for tests"};
  app.add_option("--prometheus-url", config.url)->required();
  app.add_option("--prometheus-token-file", config.token_file);
  app.add_option("--watch", watch, "namespace/service/workload")->required();
  app.add_option("--window", window, "rate window: Ns or Nms");
  app.add_option("--quantile", quantile, "latency quantile 0..1 (default: no latency query)");
  app.add_option("--latency-maximum-ms", maximum_ms,
                 "the latency check's maximum as the hub sends it (a Linkerd bucket bound: the share within it)");
  app.add_option("--latency-window", latency_window,
                 "the latency check's window with --latency-maximum-ms (default: --window; another one makes the "
                 "share's denominator a count query of its own instead of the request rate)");
  app.add_flag("--print-queries", print_queries);
  CLI11_PARSE(app, argc, argv);

  std::vector<WatchedWorkload> watched;
  for (const auto& w : watch) {
    const auto a = w.find('/');
    const auto b = w.find('/', a == std::string::npos ? a : a + 1);
    if (a == std::string::npos || b == std::string::npos) {
      std::cerr << "--watch " << w << ": expected namespace/service/workload\n";
      return 2;
    }
    watched.push_back({w.substr(0, a), w.substr(a + 1, b - a - 1), w.substr(b + 1), {}});
  }
  const auto to_ms = [](const std::string& text) {
    const bool millis = text.size() > 2 && text.compare(text.size() - 2, 2, "ms") == 0;
    return std::stoll(text) * (millis ? 1 : 1000);
  };
  DataPlaneQueries queries;
  queries.options.window = std::chrono::milliseconds(to_ms(window));
  if (quantile >= 0) queries.latency_quantile = quantile;
  if (maximum_ms > 0) {
    const std::int64_t window_ms = queries.options.window.count();
    const std::int64_t latency_window_ms = latency_window.empty() ? window_ms : to_ms(latency_window);
    for (auto& w : watched) {
      w.checks = switchyard::protocol::DataPlaneChecks{window_ms, queries.latency_quantile, latency_window_ms,
                                                       maximum_ms, {}};
    }
  }
  if (print_queries) {
    if (maximum_ms > 0) {
      for (const auto& planned : plan_queries(watched, queries)) {
        std::cout << planned.promql << "\n";
        if (!planned.count_promql.empty()) std::cout << planned.count_promql << "\n";
      }
      return 0;
    }
    std::cout << success_rate_query(watched, queries.options) << "\n";
    if (queries.latency_quantile) std::cout << latency_query(watched, quantile, queries.options) << "\n";
    return 0;
  }

  auto created = PrometheusClient::create(config);
  if (auto* error = std::get_if<std::string>(&created)) {
    std::cerr << *error << "\n";
    return 2;
  }
  auto& client = *std::get<std::unique_ptr<PrometheusClient>>(created);
  for (const auto& m : evaluate_data_plane(client, watched, queries, std::chrono::system_clock::now())) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
    out.StartObject();
    out.Key("namespace");
    out.String(m.watched.namespace_.c_str());
    out.Key("service");
    out.String(m.watched.service.c_str());
    if (m.request_rate) {
      out.Key("request_rate");
      out.Double(*m.request_rate);
    }
    write_check(out, "success_rate", m.success_rate);
    if (queries.latency_quantile && !m.latency_within_ms) write_check(out, "latency_ms", m.latency_ms);
    if (m.latency_within_ms) write_check(out, "latency_within_share", m.latency_within_share);
    out.Key("evaluated_at_ms");
    out.Int64(std::chrono::duration_cast<std::chrono::milliseconds>(m.evaluated_at.time_since_epoch()).count());
    out.EndObject();
    std::cout << buffer.GetString() << "\n";
  }
  return 0;
}
