#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "switchyard/kube/backoff.h"

using namespace std::chrono_literals;
using switchyard::kube::Backoff;
using switchyard::kube::BackoffOptions;
using switchyard::kube::jittered;
using switchyard::kube::make_unit_random;

namespace {

// Replays fixed draws so each delay is known exactly.
switchyard::kube::UnitRandom fixed_draws(std::vector<double> draws) {
  auto index = std::make_shared<std::size_t>(0);
  return [draws = std::move(draws), index] { return draws[(*index)++ % draws.size()]; };
}

}  // namespace

TEST_CASE("backoff doubles from the initial delay and caps at the maximum", "[kube][backoff]") {
  BackoffOptions options;  // client-go reflector defaults: 800 ms, x2, 30 s, jitter 1.0
  Backoff backoff(options, fixed_draws({0.0}));
  auto now = Backoff::Clock::time_point{} + 1h;
  std::vector<long> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(backoff.next_delay(now += 1s).count());
  CHECK(delays == std::vector<long>{800, 1600, 3200, 6400, 12800, 25600, 30000, 30000});
}

TEST_CASE("backoff jitter adds up to jitter * base and never passes the maximum", "[kube][backoff]") {
  BackoffOptions options;
  options.initial = 1000ms;
  options.max = 5000ms;
  auto now = Backoff::Clock::time_point{} + 1h;

  SECTION("the draw scales the extra delay") {
    Backoff backoff(options, fixed_draws({0.5, 0.25, 0.999}));
    CHECK(backoff.next_delay(now).count() == 1500);   // 1000 + 0.5 * 1000
    CHECK(backoff.next_delay(now).count() == 2500);   // 2000 + 0.25 * 2000
    CHECK(backoff.next_delay(now).count() == 5000);   // 4000 + 3996 capped at 5000
  }
  SECTION("a seeded random source stays within [base, min(2 base, max)]") {
    Backoff backoff(options, make_unit_random(42));
    long base = 1000;
    for (int i = 0; i < 50; ++i) {
      const long delay = backoff.next_delay(now).count();
      CHECK(delay >= std::min(base, 5000L));
      CHECK(delay <= std::min(2 * base, 5000L));
      base = std::min(base * 2, 5000L);
    }
  }
  SECTION("jitter 0 gives the plain exponential sequence") {
    options.jitter = 0.0;
    Backoff backoff(options, fixed_draws({0.9}));
    CHECK(backoff.next_delay(now).count() == 1000);
    CHECK(backoff.next_delay(now).count() == 2000);
  }
}

TEST_CASE("backoff starts over after reset or a long quiet period", "[kube][backoff]") {
  BackoffOptions options;
  options.jitter = 0.0;
  Backoff backoff(options, fixed_draws({0.0}));
  auto now = Backoff::Clock::time_point{} + 1h;
  CHECK(backoff.next_delay(now).count() == 800);
  CHECK(backoff.next_delay(now).count() == 1600);

  SECTION("reset") {
    backoff.reset();
    CHECK(backoff.next_delay(now).count() == 800);
  }
  SECTION("no failure for reset_after") {
    CHECK(backoff.next_delay(now + 119s).count() == 3200);    // still within 2 minutes
    CHECK(backoff.next_delay(now + 119s + 120s).count() == 800);
  }
}

TEST_CASE("jittered periods grow by at most factor * period", "[kube][backoff]") {
  CHECK(jittered(2000ms, 1.2, fixed_draws({0.5})).count() == 3200);
  CHECK(jittered(2000ms, 0.0, fixed_draws({0.5})).count() == 2000);
  auto random = make_unit_random(7);
  for (int i = 0; i < 100; ++i) {
    const auto period = jittered(1000ms, 1.2, random);
    CHECK(period >= 1000ms);
    CHECK(period < 2200ms);
  }
}
