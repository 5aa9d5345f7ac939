// devcluster watch fan-out benchmark (own harness, not Google Benchmark: it
// measures a running server from the outside).
//
// One in-process devcluster Server (the same code as switchyard-devcluster)
// on loopback; N real watch streams (cpp-httplib clients, chunked HTTP, one
// JSON event per line) on a namespace's ConfigMaps; W writer threads create
// ConfigMaps over keep-alive HTTP connections as fast as the server takes
// them. Each ConfigMap carries the steady-clock time its POST started, so
// every watcher computes write-to-event latency for every event it reads.
//
// Reported per phase: writes/s, events delivered, latency p50/p99/max over
// all (watcher, event) pairs. Phase "slow watcher" adds one watch that never
// reads its socket: writers and the other watchers must not notice.
//
//   devcluster_watch_fanout [--watchers 100] [--writers 4] [--writes 20000]
//                           [--tls]
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <sched.h>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/devcluster/server.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  int watchers = 100;
  int writers = 4;
  int writes = 20000;
  bool tls = false;
};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Where the server listens and the token it wants (with --tls it makes one).
struct Endpoint {
  std::string url;
  std::string token;
};

std::unique_ptr<httplib::Client> make_client(const Endpoint& endpoint) {
  auto client = std::make_unique<httplib::Client>(endpoint.url);
  if (!endpoint.token.empty()) client->set_bearer_token_auth(endpoint.token);
  client->enable_server_certificate_verification(false);  // self-signed loopback server
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);  // as Go clients do; otherwise Nagle + delayed ACK add 40 ms
  client->set_read_timeout(300, 0);
  client->set_connection_timeout(30, 0);
  return client;
}

// One watch stream: reads lines, takes the write time stamped in each
// object ("sent":"<ns>") and records the latency to when it was read.
class Watcher {
 public:
  Watcher(Endpoint endpoint, std::string resource_version, bool never_read)
      : endpoint_(std::move(endpoint)), resource_version_(std::move(resource_version)), never_read_(never_read) {
    latencies_ns_.reserve(1 << 16);
  }

  void start() { thread_ = std::thread([this] { run(); }); }

  void stop() {
    stopping_ = true;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  [[nodiscard]] bool connected() const { return connected_; }
  [[nodiscard]] std::size_t events() const { return events_; }
  // Only after join().
  [[nodiscard]] const std::vector<std::int64_t>& latencies_ns() const { return latencies_ns_; }
  void clear_latencies() { latencies_ns_.clear(); }
  std::mutex& latency_mutex() { return latency_mutex_; }

 private:
  void run() {
    auto client = make_client(endpoint_);
    std::string path = "/api/v1/namespaces/bench/configmaps?watch=true&resourceVersion=" + resource_version_;
    std::string pending;
    client->Get(
        path.c_str(),
        [&](const httplib::Response& response) {
          connected_ = response.status == 200;
          return connected_.load();
        },
        [&](const char* data, std::size_t length) {
          if (never_read_) {
            // Holds the socket unread until the end: the server's send
            // buffer fills and its queue for this watcher grows.
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return stopping_.load(); });
            return false;
          }
          std::int64_t received = now_ns();
          pending.append(data, length);
          std::size_t start = 0;
          for (std::size_t newline; (newline = pending.find('\n', start)) != std::string::npos; start = newline + 1) {
            record(std::string_view(pending).substr(start, newline - start), received);
          }
          pending.erase(0, start);
          return !stopping_.load();
        });
  }

  void record(std::string_view line, std::int64_t received) {
    static constexpr std::string_view kStamp = "\"sent\":\"";
    std::size_t at = line.find(kStamp);
    if (at == std::string_view::npos) return;
    std::int64_t sent = std::strtoll(line.data() + at + kStamp.size(), nullptr, 10);
    std::lock_guard<std::mutex> lock(latency_mutex_);
    latencies_ns_.push_back(received - sent);
    ++events_;
  }

  Endpoint endpoint_;
  std::string resource_version_;
  bool never_read_;
  std::thread thread_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> events_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::mutex latency_mutex_;
  std::vector<std::int64_t> latencies_ns_;
};

struct PhaseResult {
  double seconds = 0;
  int writes = 0;
  int failed_writes = 0;
  std::size_t expected_events = 0;
  std::size_t delivered_events = 0;
  std::vector<std::int64_t> latencies_ns;
};

std::string current_resource_version(httplib::Client& client) {
  auto response = client.Get("/api/v1/namespaces/bench/configmaps?limit=1");
  if (!response || response->status != 200) return "0";
  const std::string& body = response->body;
  static constexpr std::string_view kKey = "\"resourceVersion\":\"";
  std::size_t at = body.find(kKey);
  if (at == std::string::npos) return "0";
  std::size_t end = body.find('"', at + kKey.size());
  return body.substr(at + kKey.size(), end - at - kKey.size());
}

PhaseResult run_phase(const Endpoint& endpoint, const Settings& settings, const std::string& phase, bool slow_watcher) {
  auto control = make_client(endpoint);
  std::string since = current_resource_version(*control);

  std::vector<std::unique_ptr<Watcher>> watchers;
  for (int i = 0; i < settings.watchers; ++i) watchers.push_back(std::make_unique<Watcher>(endpoint, since, false));
  std::unique_ptr<Watcher> slow;
  if (slow_watcher) slow = std::make_unique<Watcher>(endpoint, since, true);
  for (auto& watcher : watchers) watcher->start();
  if (slow) slow->start();
  auto connect_deadline = Clock::now() + std::chrono::seconds(60);
  while (Clock::now() < connect_deadline) {
    bool all = std::all_of(watchers.begin(), watchers.end(), [](const auto& w) { return w->connected(); });
    if (all && (!slow || slow->connected())) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  auto started = Clock::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < settings.writers; ++w) {
    writers.emplace_back([&, w] {
      auto client = make_client(endpoint);
      for (int i; (i = next.fetch_add(1)) < settings.writes;) {
        std::string body = "{\"metadata\":{\"name\":\"" + phase + "-" + std::to_string(i) +
                           "\"},\"data\":{\"sent\":\"" + std::to_string(now_ns()) + "\",\"writer\":\"" +
                           std::to_string(w) + "\"}}";
        auto response = client->Post("/api/v1/namespaces/bench/configmaps", body, "application/json");
        if (!response || response->status != 201) ++failed;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  PhaseResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  result.writes = settings.writes;
  result.failed_writes = failed;
  result.expected_events = static_cast<std::size_t>(settings.writes - failed) * watchers.size();

  // Every reading watcher must get every event; wait (bounded) for the tail.
  auto drain_deadline = Clock::now() + std::chrono::seconds(120);
  auto delivered = [&] {
    std::size_t total = 0;
    for (auto& watcher : watchers) total += watcher->events();
    return total;
  };
  while (delivered() < result.expected_events && Clock::now() < drain_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  result.delivered_events = delivered();
  for (auto& watcher : watchers) watcher->stop();
  if (slow) slow->stop();
  // Closing the watches: one request that makes the server drop them would
  // be nicer; the clients' next read sees stopping_ and hangs up instead.
  std::string name = phase + "-close";
  control->Post("/api/v1/namespaces/bench/configmaps",
                "{\"metadata\":{\"name\":\"" + name + "\"},\"data\":{\"x\":\"y\"}}", "application/json");
  for (auto& watcher : watchers) {
    watcher->join();
    std::lock_guard<std::mutex> lock(watcher->latency_mutex());
    result.latencies_ns.insert(result.latencies_ns.end(), watcher->latencies_ns().begin(),
                               watcher->latencies_ns().end());
  }
  if (slow) slow->join();
  std::sort(result.latencies_ns.begin(), result.latencies_ns.end());
  return result;
}

double percentile_ms(const std::vector<std::int64_t>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  std::size_t index = std::min(sorted.size() - 1, static_cast<std::size_t>(fraction * (sorted.size() - 1) + 0.5));
  return static_cast<double>(sorted[index]) / 1e6;
}

void print(const std::string& phase, const Settings& settings, const PhaseResult& result) {
  std::printf("%-14s watchers=%d%s writers=%d writes=%d failed=%d  %.0f writes/s  events %zu/%zu  "
              "latency p50=%.2f ms p99=%.2f ms max=%.2f ms\n",
              phase.c_str(), settings.watchers, phase == "slow-watcher" ? "+1 never reading" : "", settings.writers,
              result.writes, result.failed_writes, result.writes / result.seconds, result.delivered_events,
              result.expected_events, percentile_ms(result.latencies_ns, 0.50),
              percentile_ms(result.latencies_ns, 0.99), percentile_ms(result.latencies_ns, 1.0));
  std::fflush(stdout);
}

bool parse_settings(int argc, char** argv, Settings& settings) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto number = [&](int& out) {
      if (i + 1 >= argc) return false;
      out = std::atoi(argv[++i]);
      return out > 0;
    };
    if (arg == "--watchers") {
      if (!number(settings.watchers)) return false;
    } else if (arg == "--writers") {
      if (!number(settings.writers)) return false;
    } else if (arg == "--writes") {
      if (!number(settings.writes)) return false;
    } else if (arg == "--tls") {
      settings.tls = true;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each phase's line shows as it ends, also under timeout(1)
  Settings settings;
  if (!parse_settings(argc, argv, settings)) {
    std::fprintf(stderr, "usage: %s [--watchers N] [--writers N] [--writes N] [--tls]\n", argv[0]);
    return 2;
  }
  switchyard::devcluster::ServerOptions options;
  options.tls = settings.tls;
  options.event_window = 100000;
  options.max_connections = static_cast<std::size_t>(settings.watchers) + 64;
  switchyard::devcluster::Server server(options);
  std::string error;
  if (!server.start(error)) {
    std::fprintf(stderr, "devcluster did not start: %s\n", error.c_str());
    return 1;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  sched_getaffinity(0, sizeof(cpus), &cpus);
  std::printf("devcluster watch fan-out on %s: %d CPUs usable, server and clients in one process\n",
              server.url().c_str(), CPU_COUNT(&cpus));
  const Endpoint endpoint{server.url(), server.token()};
  auto control = make_client(endpoint);
  auto created = control->Post("/api/v1/namespaces", R"({"metadata":{"name":"bench"}})", "application/json");
  if (!created || created->status != 201) {
    std::fprintf(stderr, "could not create the namespace\n");
    return 1;
  }

  // A short warm-up so connection setup and allocator growth are not measured.
  Settings warmup = settings;
  warmup.writes = std::min(settings.writes, 2000);
  (void)run_phase(endpoint, warmup, "warmup", false);

  PhaseResult steady = run_phase(endpoint, settings, "steady", false);
  print("steady", settings, steady);
  PhaseResult slow = run_phase(endpoint, settings, "slow-watcher", true);
  print("slow-watcher", settings, slow);
  server.stop();
  bool complete = steady.delivered_events == steady.expected_events && slow.delivered_events == slow.expected_events &&
                  steady.failed_writes == 0 && slow.failed_writes == 0;
  if (!complete) std::printf("INCOMPLETE: some writes failed or some events never reached a reading watcher\n");
  return complete ? 0 : 1;
}
