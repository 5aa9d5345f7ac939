#include "switchyard/kube/backoff.h"

#include <algorithm>
#include <memory>
#include <mutex>

namespace switchyard::kube {

UnitRandom make_unit_random(std::uint64_t seed) {
  if (seed == 0) seed = (std::uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  // Shared so the UnitRandom stays copyable; the mutex lets copies used on
  // different threads draw safely.
  struct State {
    std::mutex mutex;  // guards engine
    std::mt19937_64 engine;
  };
  auto state = std::make_shared<State>();
  state->engine.seed(seed);
  return [state] {
    std::lock_guard<std::mutex> lock(state->mutex);
    return std::uniform_real_distribution<double>(0.0, 1.0)(state->engine);
  };
}

std::chrono::milliseconds jittered(std::chrono::milliseconds period, double factor,
                                   const UnitRandom& random) {
  if (factor <= 0.0) return period;
  const double extra = static_cast<double>(period.count()) * factor * random();
  return period + std::chrono::milliseconds(static_cast<std::int64_t>(extra));
}

Backoff::Backoff(BackoffOptions options, UnitRandom random)
    : options_(options), random_(std::move(random)), base_(options.initial) {}

void Backoff::reset() {
  base_ = options_.initial;
  has_failed_ = false;
}

std::chrono::milliseconds Backoff::next_delay(Clock::time_point now) {
  if (has_failed_ && now - last_failure_ >= options_.reset_after) base_ = options_.initial;
  has_failed_ = true;
  last_failure_ = now;

  const std::chrono::milliseconds base = std::min(base_, options_.max);
  const std::chrono::milliseconds delay = std::min(jittered(base, options_.jitter, random_), options_.max);

  const double grown = static_cast<double>(base_.count()) * options_.factor;
  base_ = grown >= static_cast<double>(options_.max.count())
              ? options_.max
              : std::chrono::milliseconds(static_cast<std::int64_t>(grown));
  return delay;
}

}  // namespace switchyard::kube
