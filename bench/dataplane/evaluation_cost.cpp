// dataplane_evaluation_cost: what one batched data-plane evaluation of
// many watched services costs the agent (issue 15 item 7), against a real
// Prometheus. Each round does what the agent's evaluator thread does in one
// round (data_plane_evaluator.cpp): evaluate_data_plane through the real
// PrometheusClient, then to_report for every service. Per round it prints
// one JSON line: the wall time, the process's CPU time (getrusage
// RUSAGE_SELF: the client, the JSON decoding and the per-service work; the
// round's queries run at once on threads of their own), the wall time and
// answer size of the round's queries (sent together), and
// how many services got numbers. Driven by bench/dataplane/dataplane_bench.py,
// which starts the stand-in exporters and Prometheus; not a *_bench (scripts/bench
// runs those without arguments).
//
//   dataplane_evaluation_cost --prometheus-url URL --workloads 10000 --namespaces 100
//                             [--rounds 10] [--pause-ms 5000] [--window 30s] [--quantile 0.99]
//                             [--latency-maximum-ms 500] [--print-queries]
//
// --latency-maximum-ms passes the latency check's maximum with every
// workload as the hub does (watch[].checks, latency.maximumMs): a Linkerd
// bucket bound makes the round measure the share of requests within it
// instead of the quantile.
//
// --print-queries prints the round's PromQL instead, one query a line, for
// the driver to time on Prometheus itself without the agent's 5 s timeout.
//
// Workload i is deployment w<i> (5 digits) in namespace bench-<i mod namespaces>, as
// bench/dataplane/workload_exporter.py names them.
#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "switchyard/agent/data_plane.h"
#include "switchyard/agent/data_plane_evaluator.h"

namespace {

using namespace switchyard::agent;
using Clock = std::chrono::steady_clock;

// The process's: the queries of a round run on threads of their own.
double cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// The real client, each query timed: the query latency is Prometheus's
// answer time as the agent sees it (request, evaluation, body transfer).
class TimedPrometheus final : public PrometheusApi {
 public:
  explicit TimedPrometheus(PrometheusApi& inner) : inner_(inner) {}

  PromQueryResult query(const std::string& promql) override {
    const auto started = Clock::now();
    auto answer = inner_.query(promql);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    const auto* vector = std::get_if<PromVector>(&answer);
    timings.push_back({ms, promql.size(), vector ? vector->samples.size() : 0,
                       vector ? std::string() : std::get<PromError>(answer).message});
    return answer;
  }

  // The agent's way: all at once (the real client's query_all), timed as
  // one entry, since the round waits for the slowest.
  std::vector<PromQueryResult> query_all(const std::vector<std::string>& promqls,
                                         std::chrono::system_clock::time_point at) override {
    const auto started = Clock::now();
    auto answers = inner_.query_all(promqls, at);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    std::size_t bytes = 0;
    std::size_t samples = 0;
    std::string error;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      bytes += promqls[i].size();
      if (const auto* vector = std::get_if<PromVector>(&answers[i])) {
        samples += vector->samples.size();
      } else if (error.empty()) {
        error = std::get<PromError>(answers[i]).message;
      }
    }
    timings.push_back({ms, bytes, samples, error});
    return answers;
  }

  struct Timing {
    double ms;
    std::size_t query_bytes;
    std::size_t samples;
    std::string error;
  };
  std::vector<Timing> timings;

 private:
  PrometheusApi& inner_;
};

// `checks`: what the hub would send for each (unset: the flags' defaults).
std::vector<WatchedWorkload> bench_workloads(int workloads, int namespaces,
                                             const std::optional<switchyard::protocol::DataPlaneChecks>& checks) {
  std::vector<WatchedWorkload> out;
  out.reserve(static_cast<std::size_t>(workloads));
  for (int i = 0; i < workloads; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "w%05d", i);
    out.push_back({"bench-" + std::to_string(i % namespaces), std::string(name) + "-svc", name, checks});
  }
  return out;
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

}  // namespace

int main(int argc, char** argv) {
  PrometheusConfig config;
  int workloads = 10000;
  int namespaces = 100;
  int rounds = 10;
  int pause_ms = 5000;
  std::string window = "30s";
  double quantile = 0.99;
  CLI::App app{"the agent's batched data-plane evaluation over many workloads, timed"};
  app.add_option("--prometheus-url", config.url)->required();
  app.add_option("--workloads", workloads)->check(CLI::Range(1, 1000000));
  app.add_option("--namespaces", namespaces)->check(CLI::Range(1, 100000));
  app.add_option("--rounds", rounds)->check(CLI::Range(1, 100000));
  app.add_option("--pause-ms", pause_ms, "time between rounds (the agent's --data-plane-interval)")
      ->check(CLI::Range(0, 3600000));
  app.add_option("--window", window, "rate window: Ns");
  app.add_option("--quantile", quantile, "latency quantile (negative: no latency query)");
  std::int64_t latency_maximum_ms = 0;
  app.add_option("--latency-maximum-ms", latency_maximum_ms,
                 "the latency check's maximum, sent as the hub does (0: none, the quantile is measured)")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{3600000}));
  bool print_queries = false;
  app.add_flag("--print-queries", print_queries, "print the round's queries and exit");
  CLI11_PARSE(app, argc, argv);

  DataPlaneQueries queries;
  queries.options.window = std::chrono::seconds(std::stoll(window));
  if (quantile >= 0) queries.latency_quantile = quantile;
  std::optional<switchyard::protocol::DataPlaneChecks> checks;
  if (latency_maximum_ms > 0) {
    const std::int64_t window_ms = queries.options.window.count();
    checks = switchyard::protocol::DataPlaneChecks{window_ms, queries.latency_quantile, window_ms, latency_maximum_ms,
                                                   {}};
  }
  const auto watched = bench_workloads(workloads, namespaces, checks);
  if (print_queries) {
    for (const auto& query : plan_queries(watched, queries)) {
      std::cout << query.promql << "\n";
      if (!query.count_promql.empty()) std::cout << query.count_promql << "\n";
    }
    return 0;
  }

  // The agent's own limits, not the bench's: a query over 5 s is an error there.
  auto created = PrometheusClient::create(config);
  if (auto* error = std::get_if<std::string>(&created)) {
    std::cerr << *error << "\n";
    return 2;
  }
  auto& client = *std::get<std::unique_ptr<PrometheusClient>>(created);

  for (int round = 0; round < rounds; ++round) {
    if (round > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
    TimedPrometheus timed(client);
    const double cpu_before = cpu_ms();
    const auto started = Clock::now();
    const auto measured = evaluate_data_plane(timed, watched, queries, std::chrono::system_clock::now());
    std::size_t with_values = 0;
    std::string first_error;
    for (const auto& m : measured) {
      const auto reported = to_report(m);
      const bool latency = reported.latency_ms || reported.latency_within_share;
      if (reported.success_rate && (!queries.latency_quantile || latency)) ++with_values;
      if (first_error.empty() && !reported.error.empty()) first_error = reported.error;
    }
    const double wall_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
    const double round_cpu_ms = cpu_ms() - cpu_before;
    std::cout << "{\"round\": " << round << ", \"wall_ms\": " << wall_ms << ", \"cpu_ms\": " << round_cpu_ms
              << ", \"services\": " << measured.size() << ", \"with_values\": " << with_values
              << ", \"first_error\": " << json_string(first_error.substr(0, 300)) << ", \"queries\": [";
    for (std::size_t i = 0; i < timed.timings.size(); ++i) {
      const auto& t = timed.timings[i];
      std::cout << (i ? ", " : "") << "{\"ms\": " << t.ms << ", \"query_bytes\": " << t.query_bytes
                << ", \"samples\": " << t.samples << ", \"error\": " << json_string(t.error.substr(0, 300)) << "}";
    }
    std::cout << "]}" << std::endl;
  }
  return 0;
}
