// Capped, jittered exponential backoff for retrying failed API calls, with
// client-go's reflector defaults (800 ms doubling to 30 s, full jitter factor
// 1.0, reset after 2 minutes without a failure). Randomness and time are
// passed in so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>

namespace switchyard::kube {

struct BackoffOptions {
  std::chrono::milliseconds initial{800};
  std::chrono::milliseconds max{30000};  // no delay (jitter included) exceeds this
  double factor = 2.0;                   // growth per consecutive failure
  double jitter = 1.0;                   // delay grows by up to jitter * base, at random
  // A failure this long after the previous one starts again from `initial`.
  std::chrono::milliseconds reset_after{120000};
};

// Returns a uniformly distributed number in [0, 1).
using UnitRandom = std::function<double()>;

// A UnitRandom over a seeded engine (seed from std::random_device when 0).
[[nodiscard]] UnitRandom make_unit_random(std::uint64_t seed = 0);

// Not thread-safe: one Backoff per retrying loop.
class Backoff {
 public:
  using Clock = std::chrono::steady_clock;

  Backoff(BackoffOptions options, UnitRandom random);

  // The delay to wait after a failure observed at `now`; each call without a
  // reset() in between grows the base delay by `factor`, up to `max`.
  [[nodiscard]] std::chrono::milliseconds next_delay(Clock::time_point now);
  // A success: the next failure waits `initial` (plus jitter) again.
  void reset();

  // The un-jittered delay the next failure would start from.
  [[nodiscard]] std::chrono::milliseconds current_base() const { return base_; }

 private:
  BackoffOptions options_;
  UnitRandom random_;
  std::chrono::milliseconds base_;
  bool has_failed_ = false;
  Clock::time_point last_failure_{};
};

// Adds jitter to a period as client-go's wait.Jitter does: period plus up to
// factor * period, at random. factor <= 0 returns the period unchanged.
[[nodiscard]] std::chrono::milliseconds jittered(std::chrono::milliseconds period, double factor,
                                                 const UnitRandom& random);

}  // namespace switchyard::kube
