// Hub scale load generator (issue 8 item 2): many simulated member clusters
// (sim_agent.h: the real agent's hub client, reporter and poller, no
// Kubernetes behind them) against ONE real switchyard-hub process, which it
// starts itself from the command line after `--`, kills (SIGKILL) and starts
// again. bench/scale/scale_bench.py sets up the management devcluster and
// the objects and runs this; see docs/benchmarks.md, "Hub at scale".
//
// Phases, in order:
//   setup    start the hub and every agent; wait until converged
//   steady   heartbeats only, for --steady-seconds: hub CPU per report
//   wake     every agent parked on its long poll; one report (the trigger
//            cluster's shared service goes down, then up again) changes
//            every agent's assignment: report-to-poll-return latency
//   restart  SIGKILL the hub, start it again: time until converged
//
// Converged (the definition every phase uses): the hub answers /readyz, every
// simulated agent holds the assignment at the revision the hub's /metrics
// shows as current for its cluster and the hub has accepted (200) a report
// saying it applied that revision, and switchyard_hub_status_writes_pending
// is 0; all of it seen in one scrape, and still true in a later scrape after
// at least one more decision batch (so reports already accepted but not yet
// decided cannot hide a status write). The time is that of the first scrape.
//
// Prints a summary and writes every figure as JSON (--json).
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "hub_observer.h"
#include "sim_agent.h"
#include "switchyard/telemetry/log.h"

namespace {

using namespace switchyard;
using namespace switchyard::bench;
using namespace std::chrono_literals;

struct Settings {
  std::string hub_url;
  std::string ca_file;
  std::string tokens_file;
  std::string hub_log = "hub.log";
  std::string json_out;
  int metrics_port = 0;
  int report_interval_ms = 5000;
  int steady_seconds = 20;
  int wake_iterations = 3;
  std::string trigger_cluster;
  std::string trigger_namespace = "scale";
  std::string trigger_service = "global-svc";
  int expect_woken = 0;
  int setup_timeout = 600;
  int converge_timeout = 120;
  std::vector<std::string> hub_command;
};

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

struct Percentiles {
  std::size_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

Percentiles percentiles(std::vector<double> samples) {
  Percentiles p;
  if (samples.empty()) return p;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) { return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))]; };
  p.n = samples.size();
  p.p50 = at(0.50);
  p.p99 = at(0.99);
  p.max = samples.back();
  return p;
}

std::string json_percentiles_ms(const Percentiles& p) {
  char text[160];
  std::snprintf(text, sizeof text, R"({"n": %zu, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f})", p.n, p.p50 * 1e3,
                p.p99 * 1e3, p.max * 1e3);
  return text;
}

std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

class Bench {
 public:
  explicit Bench(Settings settings)
      : settings_(std::move(settings)), metrics_(registry_), hub_(settings_.hub_command, settings_.hub_log) {}

  int run();

 private:
  bool load_agents(std::string& error);
  // See the file comment for what converged means. Returns the seconds from
  // `since` to the first converged scrape, or a negative value on timeout.
  double wait_converged(Clock::time_point since, int timeout_seconds, HubScrape* last = nullptr);
  [[nodiscard]] std::string lagging(const HubScrape& scrape) const;
  [[nodiscard]] bool all_current(const HubScrape& scrape) const;
  bool wait_parked(int timeout_seconds);
  bool wake_once(bool down, std::vector<double>& latencies, std::string& error);
  void fail(const std::string& message);
  void emit(const std::string& key, const std::string& json) { json_.push_back("\"" + key + "\": " + json); }

  Settings settings_;
  metrics::Registry registry_;
  agent::AgentMetrics metrics_;
  FleetCounters counters_;
  HealthTable health_;
  HubProcess hub_;
  std::vector<std::unique_ptr<SimAgent>> agents_;
  SimAgent* trigger_ = nullptr;
  std::vector<std::string> json_;
};

void Bench::fail(const std::string& message) {
  std::fprintf(stderr, "hub_scale_loadgen: %s\n", message.c_str());
}

bool Bench::load_agents(std::string& error) {
  std::ifstream file(settings_.tokens_file);
  if (!file) {
    error = "cannot read --tokens " + settings_.tokens_file;
    return false;
  }
  std::string cluster, token;
  std::uint64_t seed = 1;
  while (file >> cluster >> token) {
    SimAgentOptions options{settings_.hub_url, cluster, token, settings_.ca_file,
                            std::chrono::milliseconds(settings_.report_interval_ms), seed++};
    agents_.push_back(std::make_unique<SimAgent>(std::move(options), health_, metrics_, counters_));
    if (cluster == settings_.trigger_cluster) trigger_ = agents_.back().get();
  }
  if (agents_.empty()) {
    error = "--tokens " + settings_.tokens_file + " names no cluster";
    return false;
  }
  return true;
}

bool Bench::all_current(const HubScrape& scrape) const {
  if (!scrape.ok || scrape.ready == 0 || scrape.status_writes_pending != 0) return false;
  for (const auto& agent : agents_) {
    auto current = scrape.revisions.find(agent->cluster());
    if (current == scrape.revisions.end()) return false;
    const auto view = agent->view();
    if (view.revision != current->second || view.accepted_applied != current->second) return false;
  }
  return true;
}

std::string Bench::lagging(const HubScrape& scrape) const {
  std::size_t behind = 0, unapplied = 0, unknown = 0;
  for (const auto& agent : agents_) {
    auto current = scrape.revisions.find(agent->cluster());
    if (current == scrape.revisions.end()) {
      ++unknown;
      continue;
    }
    const auto view = agent->view();
    if (view.revision != current->second) ++behind;
    else if (view.accepted_applied != current->second) ++unapplied;
  }
  char text[300];
  std::snprintf(text, sizeof text,
                "scrape ok=%d ready=%.0f, agents without a hub revision %zu, behind %zu, applied not accepted %zu, "
                "status writes pending %.0f, polls in flight %lld",
                scrape.ok ? 1 : 0, scrape.ready, unknown, behind, unapplied, scrape.status_writes_pending,
                static_cast<long long>(counters_.polls_in_flight.load()));
  return text;
}

double Bench::wait_converged(Clock::time_point since, int timeout_seconds, HubScrape* last) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  HubScrape scrape;
  while (Clock::now() < deadline) {
    const auto taken = Clock::now();
    scrape = scrape_hub(settings_.metrics_port);
    if (all_current(scrape)) {
      // Confirm after one more decision batch.
      const auto confirm_until = Clock::now() + 10s;
      while (Clock::now() < confirm_until) {
        std::this_thread::sleep_for(20ms);
        auto later = scrape_hub(settings_.metrics_port);
        if (!later.ok || later.flushes <= scrape.flushes) continue;
        if (all_current(later)) {
          if (last != nullptr) *last = later;
          return seconds_between(since, taken);
        }
        break;
      }
    }
    if (!hub_.running()) {
      fail("the hub exited; see " + settings_.hub_log);
      return -1;
    }
    std::this_thread::sleep_for(50ms);
  }
  fail("not converged within " + std::to_string(timeout_seconds) + "s: " + lagging(scrape));
  return -1;
}

bool Bench::wait_parked(int timeout_seconds) {
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_seconds);
  while (Clock::now() < deadline) {
    if (std::all_of(agents_.begin(), agents_.end(), [](const auto& agent) { return agent->parked(); })) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

// One trigger: the trigger cluster's shared service goes down (or up); every
// agent whose assignment revision moves is timed from just before the
// trigger agent is handed the new measurement to its long poll returning.
bool Bench::wake_once(bool down, std::vector<double>& latencies, std::string& error) {
  if (!wait_parked(30)) {
    error = "not every agent has a long poll in flight (" + std::to_string(counters_.polls_in_flight.load()) + ")";
    return false;
  }
  std::this_thread::sleep_for(200ms);  // let the last polls reach the hub and park
  const auto parked_at_hub = scrape_hub(settings_.metrics_port).parked;
  std::vector<std::int64_t> before;
  for (const auto& agent : agents_) before.push_back(agent->view().revision);
  const std::int64_t in_flight = counters_.polls_in_flight.load();

  const auto triggered = Clock::now();
  health_.set_ready(settings_.trigger_cluster,
                    {settings_.trigger_namespace, settings_.trigger_service, protocol::ServiceRole::Local},
                    down ? 0 : 2);
  trigger_->remeasure();

  const auto deadline = triggered + 60s;
  std::size_t woken = 0;
  while (Clock::now() < deadline) {
    woken = 0;
    for (std::size_t i = 0; i < agents_.size(); ++i) woken += agents_[i]->view().revision != before[i] ? 1 : 0;
    if (static_cast<int>(woken) >= settings_.expect_woken) break;
    std::this_thread::sleep_for(5ms);
  }
  if (static_cast<int>(woken) < settings_.expect_woken) {
    error = "only " + std::to_string(woken) + " of " + std::to_string(settings_.expect_woken) +
            " agents got a new assignment within 60 s";
    return false;
  }
  for (std::size_t i = 0; i < agents_.size(); ++i) {
    const auto view = agents_[i]->view();
    if (view.revision != before[i]) latencies.push_back(seconds_between(triggered, view.received_at));
  }
  std::printf("  %s: %zu agents woken, polls in flight %lld, parked at the hub %.0f\n", down ? "down" : "up  ",
              woken, static_cast<long long>(in_flight), parked_at_hub);
  return true;
}

int Bench::run() {
  std::string error;
  if (!load_agents(error)) {
    fail(error);
    return 2;
  }
  if (trigger_ == nullptr) {
    fail("--trigger-cluster " + settings_.trigger_cluster + " is not in --tokens");
    return 2;
  }
  if (settings_.expect_woken <= 0) settings_.expect_woken = static_cast<int>(agents_.size());
  std::printf("hub scale: %zu simulated clusters, report interval %d ms, load %s\n", agents_.size(),
              settings_.report_interval_ms, load_average().c_str());
  emit("clusters", std::to_string(agents_.size()));
  emit("load_before", "\"" + load_average() + "\"");

  // --- setup ---------------------------------------------------------------
  const auto hub_started = Clock::now();
  if (!hub_.start(error)) {
    fail(error);
    return 1;
  }
  for (auto& agent : agents_) agent->start();
  HubScrape scrape;
  const double setup = wait_converged(hub_started, settings_.setup_timeout, &scrape);
  if (setup < 0) return 1;
  auto proc = read_proc(hub_.pid());
  std::printf("setup: converged %.2f s after the hub started (%.0f status writes); hub RSS %.1f MiB, peak %.1f MiB, "
              "%lld threads\n",
              setup, scrape.status_writes, proc.rss_kib / 1024.0, proc.hwm_kib / 1024.0,
              static_cast<long long>(proc.threads));
  emit("setup", "{\"converged_s\": " + std::to_string(setup) + ", \"status_writes\": " +
                    std::to_string(scrape.status_writes) + ", \"rss_kib\": " + std::to_string(proc.rss_kib) +
                    ", \"hwm_kib\": " + std::to_string(proc.hwm_kib) + ", \"threads\": " +
                    std::to_string(proc.threads) + "}");

  // --- steady: CPU per heartbeat ------------------------------------------------
  {
    const auto before = scrape_hub(settings_.metrics_port);
    const auto cpu_before = read_proc(hub_.pid());
    const auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(settings_.steady_seconds));
    const auto after = scrape_hub(settings_.metrics_port);
    const auto cpu_after = read_proc(hub_.pid());
    const double elapsed = seconds_between(start, Clock::now());
    const double reports = after.reports - before.reports;
    const double cpu = cpu_after.cpu_seconds - cpu_before.cpu_seconds;
    const double per_report_us = reports > 0 ? cpu / reports * 1e6 : 0;
    std::printf("steady: %.0f reports in %.1f s (%.0f/s), hub CPU %.2f s = %.0f us per report (%.1f%% of one core); "
                "RSS %.1f MiB; load %s\n",
                reports, elapsed, reports / elapsed, cpu, per_report_us, cpu / elapsed * 100,
                cpu_after.rss_kib / 1024.0, load_average().c_str());
    emit("steady", "{\"reports\": " + std::to_string(reports) + ", \"seconds\": " + std::to_string(elapsed) +
                       ", \"hub_cpu_s\": " + std::to_string(cpu) + ", \"cpu_per_report_us\": " +
                       std::to_string(per_report_us) + ", \"rss_kib\": " + std::to_string(cpu_after.rss_kib) +
                       ", \"load\": \"" + load_average() + "\"}");
  }

  // --- wake: long-poll wake-up latency ------------------------------------------
  if (settings_.wake_iterations > 0) {
    std::vector<double> latencies;
    std::vector<double> settle;
    for (int i = 0; i < settings_.wake_iterations; ++i) {
      for (const bool down : {true, false}) {
        if (!wake_once(down, latencies, error)) {
          fail("wake: " + error);
          return 1;
        }
        const auto since = Clock::now();
        const double settled = wait_converged(since, settings_.converge_timeout);
        if (settled < 0) return 1;
      }
    }
    const auto p = percentiles(latencies);
    std::printf("wake: %zu poll returns over %d triggers: p50 %.1f ms, p99 %.1f ms, max %.1f ms; load %s\n", p.n,
                settings_.wake_iterations * 2, p.p50 * 1e3, p.p99 * 1e3, p.max * 1e3, load_average().c_str());
    emit("wake", "{\"latency\": " + json_percentiles_ms(p) + ", \"triggers\": " +
                     std::to_string(settings_.wake_iterations * 2) + ", \"load\": \"" + load_average() + "\"}");
  }

  // --- restart ---------------------------------------------------------------
  {
    const auto before_kill = read_proc(hub_.pid());
    const auto conflicts_before = counters_.reports_conflict.load();
    hub_.kill();
    const auto restarted = Clock::now();
    if (!hub_.start(error)) {
      fail(error);
      return 1;
    }
    HubScrape converged;
    const double seconds = wait_converged(restarted, settings_.converge_timeout, &converged);
    if (seconds < 0) return 1;
    const auto after = read_proc(hub_.pid());
    const double per_report_us = converged.reports > 0 ? after.cpu_seconds / converged.reports * 1e6 : 0;
    std::printf("restart: converged %.2f s after the new hub started; %.0f reports (%lld answered 409 first), "
                "%.0f status writes; hub CPU %.2f s since start (%.0f us per report, start-up included); "
                "RSS %.1f MiB, peak %.1f MiB (before the kill: RSS %.1f MiB, peak %.1f MiB); load %s\n",
                seconds, converged.reports,
                static_cast<long long>(counters_.reports_conflict.load() - conflicts_before),
                converged.status_writes, after.cpu_seconds, per_report_us, after.rss_kib / 1024.0,
                after.hwm_kib / 1024.0, before_kill.rss_kib / 1024.0, before_kill.hwm_kib / 1024.0,
                load_average().c_str());
    emit("restart", "{\"converged_s\": " + std::to_string(seconds) + ", \"reports\": " +
                        std::to_string(converged.reports) + ", \"status_writes\": " +
                        std::to_string(converged.status_writes) + ", \"hub_cpu_s\": " +
                        std::to_string(after.cpu_seconds) + ", \"cpu_per_report_us\": " +
                        std::to_string(per_report_us) + ", \"rss_kib\": " + std::to_string(after.rss_kib) +
                        ", \"hwm_kib\": " + std::to_string(after.hwm_kib) + ", \"hwm_before_kill_kib\": " +
                        std::to_string(before_kill.hwm_kib) + ", \"load\": \"" + load_average() + "\"}");
  }

  for (auto& agent : agents_) agent->stop();
  hub_.kill();
  if (!settings_.json_out.empty()) {
    std::ofstream out(settings_.json_out);
    out << "{";
    for (std::size_t i = 0; i < json_.size(); ++i) out << (i ? ", " : "") << json_[i];
    out << "}\n";
  }
  return 0;
}

void raise_fd_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings settings;
  CLI::App app{"hub scale load generator: simulated agents against one real switchyard-hub (started after --)"};
  app.add_option("--hub-url", settings.hub_url, "agent API URL of the hub")->required();
  app.add_option("--ca-file", settings.ca_file, "PEM that signs the hub's certificate");
  app.add_option("--tokens", settings.tokens_file, "file of `cluster token` lines, one per simulated cluster")
      ->required();
  app.add_option("--metrics-port", settings.metrics_port, "the hub's --metrics-listen port")->required();
  app.add_option("--hub-log", settings.hub_log, "the hub's output is appended here")->capture_default_str();
  app.add_option("--json", settings.json_out, "write the figures here as JSON");
  app.add_option("--report-interval-ms", settings.report_interval_ms, "agents' heartbeat interval")
      ->capture_default_str();
  app.add_option("--steady-seconds", settings.steady_seconds, "length of the steady phase")->capture_default_str();
  app.add_option("--wake-iterations", settings.wake_iterations, "trigger down+up pairs (0: skip)")
      ->capture_default_str();
  app.add_option("--trigger-cluster", settings.trigger_cluster, "cluster whose shared service flips")->required();
  app.add_option("--trigger-namespace", settings.trigger_namespace)->capture_default_str();
  app.add_option("--trigger-service", settings.trigger_service)->capture_default_str();
  app.add_option("--expect-woken", settings.expect_woken, "agents each trigger must wake (default: all)");
  app.add_option("--setup-timeout", settings.setup_timeout, "seconds")->capture_default_str();
  app.add_option("--converge-timeout", settings.converge_timeout, "seconds")->capture_default_str();
  app.add_option("hub", settings.hub_command, "switchyard-hub and its flags")->required();
  CLI11_PARSE(app, argc, argv);
  std::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  log::configure(log::Level::Error, log::Format::Text);
  return Bench(std::move(settings)).run();
}
