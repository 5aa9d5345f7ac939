#include "switchyard/telemetry/metrics.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace switchyard::metrics {
namespace {

void atomic_add(std::atomic<double>& target, double by) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + by, std::memory_order_relaxed)) {
  }
}

std::string format_number(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (std::isnan(value)) return "NaN";
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

std::string escape_label_value(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    if (c == '\\' || c == '"') escaped += '\\';
    if (c == '\n') {
      escaped += "\\n";
      continue;
    }
    escaped += c;
  }
  return escaped;
}

// {a="1",b="2"}; `extra` is appended (the histogram's le label).
std::string label_set(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out += ',';
    first = false;
    out += name + "=\"" + escape_label_value(value) + "\"";
  }
  if (!extra.empty()) {
    if (!first) out += ',';
    out += extra;
  }
  return out + "}";
}

}  // namespace

void Gauge::add(double by) { atomic_add(value_, by); }

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      bucket_counts_(new std::atomic<std::uint64_t>[upper_bounds_.size() + 1]) {
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) bucket_counts_[i] = 0;
}

void Histogram::observe(double value) {
  std::size_t bucket = 0;
  while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  atomic_add(sum_, value);
  count_.fetch_add(1, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.upper_bounds = upper_bounds_;
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += bucket_counts_[i].load(std::memory_order_relaxed);
    snap.cumulative_counts.push_back(running);
  }
  snap.sum = sum_.load(std::memory_order_relaxed);
  snap.count = running;
  return snap;
}

std::vector<double> latency_buckets_seconds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Family& Registry::family(const std::string& name, const std::string& help, Type type) {
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, {}, {}, {}});
  if (!inserted && it->second.type != type) {
    // Two call sites disagree on what a metric is: a programming error.
    throw std::logic_error("metric " + name + " registered with two types");
  }
  return it->second;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::Counter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::Gauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               const std::vector<double>& upper_bounds, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::Histogram).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(upper_bounds);
  return *slot;
}

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n";
    switch (family.type) {
      case Type::Counter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, counter] : family.counters) {
          out += name + label_set(labels) + " " + std::to_string(counter->value()) + "\n";
        }
        break;
      case Type::Gauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, gauge] : family.gauges) {
          out += name + label_set(labels) + " " + format_number(gauge->value()) + "\n";
        }
        break;
      case Type::Histogram:
        out += "# TYPE " + name + " histogram\n";
        for (const auto& [labels, histogram] : family.histograms) {
          const auto snap = histogram->snapshot();
          for (std::size_t i = 0; i < snap.cumulative_counts.size(); ++i) {
            const auto bound = i < snap.upper_bounds.size() ? format_number(snap.upper_bounds[i]) : "+Inf";
            out += name + "_bucket" + label_set(labels, "le=\"" + bound + "\"") + " " +
                   std::to_string(snap.cumulative_counts[i]) + "\n";
          }
          out += name + "_sum" + label_set(labels) + " " + format_number(snap.sum) + "\n";
          out += name + "_count" + label_set(labels) + " " + std::to_string(snap.count) + "\n";
        }
        break;
    }
  }
  for (const auto& collect : collectors_) out += collect();
  return out;
}

void Registry::add_collector(std::function<std::string()> collect) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collect));
}

}  // namespace switchyard::metrics
