#include "switchyard/agent/backoff.h"

#include <algorithm>
#include <cmath>

namespace switchyard::agent {

Backoff::Backoff(BackoffOptions options, std::uint64_t seed) : options_(options), random_(seed) {}

std::chrono::milliseconds Backoff::next() {
  ++failures_;
  const double max_ms = static_cast<double>(options_.max.count());
  // Cap the exponent too, so many failures cannot overflow the double.
  const double grown = static_cast<double>(options_.initial.count()) *
                       std::pow(options_.multiplier, std::min(failures_ - 1, 64));
  const double base = std::min(grown, max_ms);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double delay = base * (1.0 - options_.jitter * unit(random_));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(1.0, delay)));
}

std::chrono::milliseconds Backoff::next_after(std::chrono::milliseconds hint) {
  const auto floor = std::max(hint, options_.initial);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double delay = static_cast<double>(floor.count()) * (1.0 + 0.5 * unit(random_));
  return std::min(std::chrono::milliseconds(static_cast<std::int64_t>(delay)), options_.max);
}

void Backoff::reset() { failures_ = 0; }

}  // namespace switchyard::agent
