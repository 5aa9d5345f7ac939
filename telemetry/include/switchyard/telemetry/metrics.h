// Prometheus metrics: counters, gauges and histograms in a registry rendered
// in the text exposition format (version 0.0.4) at /metrics.
//
// Thread-safe. Registering (counter(), gauge(), histogram()) takes a lock and
// returns a reference that stays valid as long as the registry; keep it for
// hot paths. Updating a metric is lock-free.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::metrics {

// Label name/value pairs, e.g. {{"cluster", "east"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void add(double by);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with the upper bounds given (seconds for latencies).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<std::uint64_t> cumulative_counts;  // one per bound, then +Inf
    double sum = 0;
    std::uint64_t count = 0;
  };
  [[nodiscard]] Snapshot snapshot() const;

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> bucket_counts_;  // per bound, then +Inf
  std::atomic<double> sum_{0};
  std::atomic<std::uint64_t> count_{0};
};

// Bounds from 0.5 ms to 10 s, for request and decision latencies.
[[nodiscard]] std::vector<double> latency_buckets_seconds();

class Registry {
 public:
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& upper_bounds, const Labels& labels = {});

  // Text rendered at each scrape after the registered families (metrics
  // read from elsewhere, such as /proc). Called with the registry's lock held.
  void add_collector(std::function<std::string()> collect);
  // Every family, sorted by name, each series sorted by labels; then what
  // the collectors render.
  [[nodiscard]] std::string render() const;

 private:
  enum class Type { Counter, Gauge, Histogram };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Type type);

  mutable std::mutex mutex_;  // guards families_ (the maps, not the metric values) and collectors_
  std::map<std::string, Family> families_;
  std::vector<std::function<std::string()>> collectors_;
};

}  // namespace switchyard::metrics
