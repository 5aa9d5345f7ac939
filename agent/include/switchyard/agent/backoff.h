// Capped, jittered exponential backoff for retries against the hub and the
// Kubernetes API, so that a fleet of agents does not retry in lock step and a
// persistent failure is never retried in a hot loop.
//
// Not thread-safe: each retrying thread owns its own. The randomness is
// seeded by the caller (tests pass a fixed seed).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace switchyard::agent {

struct BackoffOptions {
  std::chrono::milliseconds initial{500};
  std::chrono::milliseconds max{30'000};
  double multiplier = 2.0;
  // Each delay is drawn from [base * (1 - jitter), base], where base is
  // initial * multiplier^(failures - 1) capped at max; never above max.
  double jitter = 0.5;
};

class Backoff {
 public:
  Backoff(BackoffOptions options, std::uint64_t seed);

  // The delay to wait after one more consecutive failure.
  [[nodiscard]] std::chrono::milliseconds next();
  // The delay after a refusal that said when to come back (Retry-After on
  // a 429 or 503: a hub starting up, not leading, or full, but reachable):
  // the hint, spread by up to half again so that agents refused together
  // do not return together, never under `initial` nor over `max`. The
  // exponential schedule does not advance.
  [[nodiscard]] std::chrono::milliseconds next_after(std::chrono::milliseconds hint);
  // A success: the next failure starts again from `initial`.
  void reset();
  [[nodiscard]] int failures() const { return failures_; }

 private:
  BackoffOptions options_;
  std::mt19937_64 random_;
  int failures_ = 0;
};

}  // namespace switchyard::agent
