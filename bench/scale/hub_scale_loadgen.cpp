// Hub scale load generator (issue 8 item 2, issue 18 item 5): many simulated
// member clusters in ONE process on ONE event-loop thread (sim_agent.h: the
// protocol over one kept-alive, pipelined TLS connection per agent, Boost.Asio
// and Beast as the hub's agent API) against a real switchyard-hub, which it
// starts itself from the command line after `--` ({port}, {metrics_port} and
// {identity} in it are replaced per replica), kills (SIGKILL) and starts
// again. bench/scale/scale_bench.py sets up the management devcluster and
// the objects and runs this; see docs/benchmarks.md, "Hub at scale". Its own
// CPU (getrusage) is printed beside the hub's (/proc/PID/stat): the figures
// hold only while it is not the bottleneck.
//
// Agents connect to the serving replica: the one whose /readyz answers 200,
// checked every 20 ms, as a Service with a readiness probe routes new
// connections (none ready: refused at once).
//
// Phases, in order:
//   setup    start the hub (and, with --second-hub-port, a second replica
//            once the first leads) and every agent; wait until converged
//   steady   heartbeats only, for --steady-seconds: hub CPU per report
//   wake     every agent parked on its long poll; one report (the trigger
//            cluster's shared service goes down, then up again) changes
//            every agent's assignment: report-to-poll-return latency
//   restart  SIGKILL the serving hub, start it again: time until converged,
//            409s, status writes and TrafficSplit writes it caused
//   handover (with a second replica) SIGKILL the leader: the other takes
//            over after the Lease expires; the same figures, timed from
//            the kill and from the new leader's /readyz
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

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

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
  int hub_port = 0;
  int metrics_port = 0;
  int second_hub_port = 0;  // with the next: a second replica, and the handover phase
  int second_metrics_port = 0;
  std::string ca_file;
  std::string tokens_file;
  std::string hub_log = "hub.log";
  std::string json_out;
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

// The hub command with this replica's ports and identity in place of
// {port}, {metrics_port} and {identity}.
std::vector<std::string> replica_command(std::vector<std::string> argv, int port, int metrics_port,
                                         const std::string& identity) {
  auto replace = [](std::string& text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  };
  for (auto& arg : argv) {
    replace(arg, "{port}", std::to_string(port));
    replace(arg, "{metrics_port}", std::to_string(metrics_port));
    replace(arg, "{identity}", identity);
  }
  return argv;
}

// This process's CPU (user + system) so far.
double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

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

struct Replica {
  int port = 0;
  int metrics_port = 0;
  std::unique_ptr<HubProcess> process;
};

class Bench {
 public:
  explicit Bench(Settings settings);
  ~Bench();

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
  bool restart_phase(const std::string& name, bool handover);
  void watch_readiness();
  [[nodiscard]] int serving_metrics_port() const;
  [[nodiscard]] std::string cpu_beside(double hub_cpu, double own_cpu, double seconds) const;
  void fail(const std::string& message);
  void emit(const std::string& key, const std::string& json) { json_.push_back("\"" + key + "\": " + json); }

  Settings settings_;
  net::io_context io_{1};
  net::executor_work_guard<net::io_context::executor_type> work_;
  net::ssl::context tls_{net::ssl::context::tls_client};
  std::thread loop_;
  FleetCounters counters_;
  HealthTable health_;
  std::vector<Replica> replicas_;
  Clock::time_point fresh_after_{};  // converged means heard from a hub after this
  std::atomic<int> serving_{-1};  // the replica new connections go to; -1: none ready
  std::atomic<bool> watching_{true};
  std::thread readiness_;
  std::vector<std::shared_ptr<SimAgent>> agents_;
  std::shared_ptr<SimAgent> trigger_;
  std::vector<std::string> json_;
};

Bench::Bench(Settings settings) : settings_(std::move(settings)), work_(io_.get_executor()) {
  tls_.set_verify_mode(net::ssl::verify_peer);
  if (!settings_.ca_file.empty()) tls_.load_verify_file(settings_.ca_file);
  // Idle connections keep no read and write buffers: 10,000 of them would otherwise hold 700 MB.
  SSL_CTX_set_mode(tls_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  replicas_.push_back({settings_.hub_port, settings_.metrics_port,
                       std::make_unique<HubProcess>(replica_command(settings_.hub_command, settings_.hub_port,
                                                                    settings_.metrics_port, "hub-a"),
                                                    settings_.hub_log)});
  if (settings_.second_hub_port != 0) {
    replicas_.push_back({settings_.second_hub_port, settings_.second_metrics_port,
                         std::make_unique<HubProcess>(
                             replica_command(settings_.hub_command, settings_.second_hub_port,
                                             settings_.second_metrics_port, "hub-b"),
                             settings_.hub_log + ".b")});
  }
  loop_ = std::thread([this] { io_.run(); });
  readiness_ = std::thread([this] { watch_readiness(); });
}

Bench::~Bench() {
  for (auto& agent : agents_) agent->stop();
  watching_ = false;
  readiness_.join();
  work_.reset();
  io_.stop();
  loop_.join();
  for (auto& replica : replicas_) replica.process->kill();
}

void Bench::watch_readiness() {
  while (watching_) {
    int ready = -1;
    for (std::size_t i = 0; i < replicas_.size() && ready < 0; ++i) {
      if (hub_ready(replicas_[i].metrics_port)) ready = static_cast<int>(i);
    }
    serving_ = ready;
    std::this_thread::sleep_for(20ms);
  }
}

int Bench::serving_metrics_port() const {
  const int serving = serving_.load();
  return replicas_[serving < 0 ? 0 : serving].metrics_port;
}

std::string Bench::cpu_beside(double hub_cpu, double own_cpu, double seconds) const {
  char text[160];
  std::snprintf(text, sizeof text, "hub CPU %.2f s (%.1f%% of a core), load generator CPU %.2f s (%.1f%% of a core)",
                hub_cpu, hub_cpu / seconds * 100, own_cpu, own_cpu / seconds * 100);
  return text;
}

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
  auto pick = [this]() -> std::optional<net::ip::tcp::endpoint> {
    const int serving = serving_.load();
    if (serving < 0) return std::nullopt;
    return net::ip::tcp::endpoint(net::ip::address_v4::loopback(),
                                  static_cast<unsigned short>(replicas_[static_cast<std::size_t>(serving)].port));
  };
  while (file >> cluster >> token) {
    SimAgentOptions options{cluster, token, std::chrono::milliseconds(settings_.report_interval_ms),
                            std::chrono::seconds(30), seed++};
    agents_.push_back(std::make_shared<SimAgent>(io_.get_executor(), tls_, pick, std::move(options), health_,
                                                 counters_));
    if (cluster == settings_.trigger_cluster) trigger_ = agents_.back();
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
    // After a kill, only what the new hub sent and accepted counts: its
    // revision numbers may equal those the agent held from the old one.
    if (view.received_at < fresh_after_ || view.accepted_at < fresh_after_) return false;
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
    scrape = scrape_hub(serving_metrics_port());
    if (all_current(scrape)) {
      // Confirm after one more decision batch.
      const auto confirm_until = Clock::now() + 10s;
      while (Clock::now() < confirm_until) {
        std::this_thread::sleep_for(20ms);
        auto later = scrape_hub(serving_metrics_port());
        if (!later.ok || later.flushes <= scrape.flushes) continue;
        if (all_current(later)) {
          if (last != nullptr) *last = later;
          return seconds_between(since, taken);
        }
        break;
      }
    }
    if (std::none_of(replicas_.begin(), replicas_.end(), [](auto& replica) { return replica.process->running(); })) {
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
  const auto parked_at_hub = scrape_hub(serving_metrics_port()).parked;
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

// Kills the serving replica (SIGKILL, as a crash). A restart starts it again
// at once; a handover leaves it dead and the other replica takes over after
// the Lease expires.
bool Bench::restart_phase(const std::string& name, bool handover) {
  const int killed = serving_.load();
  if (killed < 0) {
    fail(name + ": no replica serves");
    return false;
  }
  auto& victim = replicas_[static_cast<std::size_t>(killed)];
  const auto before_kill = read_proc(victim.process->pid());
  const auto conflicts_before = counters_.reports_conflict.load();
  const auto route_writes_before = counters_.route_writes.load();
  const auto connections_before = counters_.connections.load();
  const auto full_before = counters_.reports_full.load();
  const auto own_cpu_before = own_cpu_seconds();
  // A survivor's status writes so far were made as a follower (none) or before.
  std::vector<double> status_writes_before;
  for (auto& replica : replicas_) status_writes_before.push_back(scrape_hub(replica.metrics_port).status_writes);
  victim.process->kill();
  const auto killed_at = Clock::now();
  fresh_after_ = killed_at;
  std::string error;
  if (!handover && !victim.process->start(error)) {
    fail(error);
    return false;
  }
  // When a replica first answers /readyz: it serves agents from then on.
  Clock::time_point serving_at{};
  int successor = -1;
  const auto give_up = killed_at + std::chrono::seconds(settings_.converge_timeout);
  while (Clock::now() < give_up) {
    for (std::size_t i = 0; i < replicas_.size() && successor < 0; ++i) {
      if (hub_ready(replicas_[i].metrics_port)) successor = static_cast<int>(i);
    }
    if (successor >= 0) break;
    std::this_thread::sleep_for(5ms);
  }
  serving_at = Clock::now();
  if (successor < 0) {
    fail(name + ": no replica became ready within " + std::to_string(settings_.converge_timeout) + " s");
    return false;
  }
  HubScrape converged;
  const double from_kill = wait_converged(killed_at, settings_.converge_timeout, &converged);
  if (from_kill < 0) return false;
  const double from_ready = from_kill - seconds_between(killed_at, serving_at);
  auto& leader = replicas_[static_cast<std::size_t>(successor)];
  const auto after = read_proc(leader.process->pid());
  const double status_writes = converged.status_writes - (handover ? status_writes_before[successor] : 0);
  const double elapsed = seconds_between(killed_at, Clock::now());
  const auto conflicts = counters_.reports_conflict.load() - conflicts_before;
  const auto route_writes = counters_.route_writes.load() - route_writes_before;
  std::printf("%s: converged %.2f s after the kill, %.2f s after %s answered /readyz (%.2f s after the kill); "
              "%lld answers 409, %.0f status writes, %lld TrafficSplit writes; %lld connections opened, %lld full "
              "snapshots; %s since the kill; hub RSS %.1f MiB, peak %.1f MiB (before the kill: RSS %.1f MiB); "
              "load %s\n",
              name.c_str(), from_kill, from_ready, successor == 0 ? "hub-a" : "hub-b",
              seconds_between(killed_at, serving_at), static_cast<long long>(conflicts), status_writes,
              static_cast<long long>(route_writes),
              static_cast<long long>(counters_.connections.load() - connections_before),
              static_cast<long long>(counters_.reports_full.load() - full_before),
              cpu_beside(after.cpu_seconds, own_cpu_seconds() - own_cpu_before, elapsed).c_str(),
              after.rss_kib / 1024.0, after.hwm_kib / 1024.0, before_kill.rss_kib / 1024.0, load_average().c_str());
  emit(name, "{\"converged_s\": " + std::to_string(from_kill) + ", \"converged_after_ready_s\": " +
                 std::to_string(from_ready) + ", \"ready_after_kill_s\": " +
                 std::to_string(seconds_between(killed_at, serving_at)) + ", \"conflicts_409\": " +
                 std::to_string(conflicts) + ", \"status_writes\": " + std::to_string(status_writes) +
                 ", \"route_writes\": " + std::to_string(route_writes) + ", \"hub_cpu_s\": " +
                 std::to_string(after.cpu_seconds) + ", \"loadgen_cpu_s\": " +
                 std::to_string(own_cpu_seconds() - own_cpu_before) + ", \"rss_kib\": " +
                 std::to_string(after.rss_kib) + ", \"hwm_kib\": " + std::to_string(after.hwm_kib) +
                 ", \"load\": \"" + load_average() + "\"}");
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
  std::printf("hub scale: %zu simulated clusters on one event-loop thread, report interval %d ms, %zu hub "
              "replica(s), load %s\n",
              agents_.size(), settings_.report_interval_ms, replicas_.size(), load_average().c_str());
  emit("clusters", std::to_string(agents_.size()));
  emit("load_before", "\"" + load_average() + "\"");

  // --- setup ---------------------------------------------------------------
  const auto hub_started = Clock::now();
  auto& first = replicas_.front();
  if (!first.process->start(error)) {
    fail(error);
    return 1;
  }
  const auto own_cpu_setup = own_cpu_seconds();
  for (auto& agent : agents_) agent->start();
  HubScrape scrape;
  const double setup = wait_converged(hub_started, settings_.setup_timeout, &scrape);
  if (setup < 0) return 1;
  auto proc = read_proc(first.process->pid());
  std::printf("setup: converged %.2f s after the hub started (%.0f status writes); hub RSS %.1f MiB, peak %.1f MiB, "
              "%lld threads; %s\n",
              setup, scrape.status_writes, proc.rss_kib / 1024.0, proc.hwm_kib / 1024.0,
              static_cast<long long>(proc.threads),
              cpu_beside(proc.cpu_seconds, own_cpu_seconds() - own_cpu_setup, setup).c_str());
  emit("setup", "{\"converged_s\": " + std::to_string(setup) + ", \"status_writes\": " +
                    std::to_string(scrape.status_writes) + ", \"rss_kib\": " + std::to_string(proc.rss_kib) +
                    ", \"hwm_kib\": " + std::to_string(proc.hwm_kib) + ", \"threads\": " +
                    std::to_string(proc.threads) + ", \"connections\": " +
                    std::to_string(counters_.connections.load()) + "}");
  for (std::size_t i = 1; i < replicas_.size(); ++i) {
    if (!replicas_[i].process->start(error)) {
      fail(error);
      return 1;
    }
  }

  // --- steady: CPU per heartbeat ------------------------------------------------
  {
    const auto pid = first.process->pid();
    const auto before = scrape_hub(serving_metrics_port());
    const auto cpu_before = read_proc(pid);
    const auto own_before = own_cpu_seconds();
    const auto start = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(settings_.steady_seconds));
    const auto after = scrape_hub(serving_metrics_port());
    const auto cpu_after = read_proc(pid);
    const double own = own_cpu_seconds() - own_before;
    const double elapsed = seconds_between(start, Clock::now());
    const double reports = after.reports - before.reports;
    const double cpu = cpu_after.cpu_seconds - cpu_before.cpu_seconds;
    const double per_report_us = reports > 0 ? cpu / reports * 1e6 : 0;
    std::printf("steady: %.0f reports in %.1f s (%.0f/s), %.0f us hub CPU per report; %s; hub RSS %.1f MiB, "
                "%lld threads; load %s\n",
                reports, elapsed, reports / elapsed, per_report_us, cpu_beside(cpu, own, elapsed).c_str(),
                cpu_after.rss_kib / 1024.0, static_cast<long long>(cpu_after.threads), load_average().c_str());
    emit("steady", "{\"reports\": " + std::to_string(reports) + ", \"seconds\": " + std::to_string(elapsed) +
                       ", \"hub_cpu_s\": " + std::to_string(cpu) + ", \"hub_core_fraction\": " +
                       std::to_string(cpu / elapsed) + ", \"loadgen_cpu_s\": " + std::to_string(own) +
                       ", \"cpu_per_report_us\": " + std::to_string(per_report_us) + ", \"rss_kib\": " +
                       std::to_string(cpu_after.rss_kib) + ", \"threads\": " + std::to_string(cpu_after.threads) +
                       ", \"load\": \"" + load_average() + "\"}");
  }

  // --- wake: long-poll wake-up latency ------------------------------------------
  if (settings_.wake_iterations > 0) {
    std::vector<double> latencies;
    const auto own_before = own_cpu_seconds();
    const auto hub_before = read_proc(first.process->pid()).cpu_seconds;
    const auto start = Clock::now();
    for (int i = 0; i < settings_.wake_iterations; ++i) {
      for (const bool down : {true, false}) {
        if (!wake_once(down, latencies, error)) {
          fail("wake: " + error);
          return 1;
        }
        const double settled = wait_converged(Clock::now(), settings_.converge_timeout);
        if (settled < 0) return 1;
      }
    }
    const double elapsed = seconds_between(start, Clock::now());
    const auto p = percentiles(latencies);
    std::printf("wake: %zu poll returns over %d triggers: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %s; load %s\n", p.n,
                settings_.wake_iterations * 2, p.p50 * 1e3, p.p99 * 1e3, p.max * 1e3,
                cpu_beside(read_proc(first.process->pid()).cpu_seconds - hub_before, own_cpu_seconds() - own_before,
                           elapsed)
                    .c_str(),
                load_average().c_str());
    emit("wake", "{\"latency\": " + json_percentiles_ms(p) + ", \"triggers\": " +
                     std::to_string(settings_.wake_iterations * 2) + ", \"load\": \"" + load_average() + "\"}");
  }

  // --- restart, handover -------------------------------------------------------
  if (!restart_phase("restart", false)) return 1;
  if (replicas_.size() > 1 && !restart_phase("handover", true)) return 1;

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
  app.add_option("--hub-port", settings.hub_port, "the hub's agent API port on 127.0.0.1 ({port})")->required();
  app.add_option("--second-hub-port", settings.second_hub_port,
                 "a second replica's agent API port: both run, and the handover phase kills the leader");
  app.add_option("--second-metrics-port", settings.second_metrics_port, "the second replica's --metrics-listen port");
  app.add_option("--ca-file", settings.ca_file, "PEM that signs the hub's certificate");
  app.add_option("--tokens", settings.tokens_file, "file of `cluster token` lines, one per simulated cluster")
      ->required();
  app.add_option("--metrics-port", settings.metrics_port, "the hub's --metrics-listen port ({metrics_port})")
      ->required();
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
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each phase's line as it ends, also into a file or pipe
  raise_fd_limit();
  log::configure(log::Level::Error, log::Format::Text);
  return Bench(std::move(settings)).run();
}
