#include <catch2/catch.hpp>

#include "switchyard/agent/backoff.h"

using namespace switchyard::agent;
using namespace std::chrono_literals;

TEST_CASE("backoff grows, is capped, stays within its jitter and restarts after a success", "[agent][backoff]") {
  BackoffOptions options{100ms, 1000ms, 2.0, 0.5};
  Backoff backoff(options, 42);
  const std::chrono::milliseconds bases[] = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms};
  for (auto base : bases) {
    const auto delay = backoff.next();
    CHECK(delay <= base);
    CHECK(delay >= base / 2);
  }
  CHECK(backoff.failures() == 7);
  backoff.reset();
  CHECK(backoff.next() <= 100ms);
}

TEST_CASE("backoff never exceeds its cap, even after very many failures", "[agent][backoff]") {
  Backoff backoff({10ms, 60'000ms, 2.0, 0.5}, 7);
  for (int i = 0; i < 5000; ++i) {
    const auto delay = backoff.next();
    REQUIRE(delay <= 60'000ms);
    REQUIRE(delay >= 1ms);
  }
}

TEST_CASE("backoff jitter differs between agents and is repeatable per seed", "[agent][backoff]") {
  Backoff a({1000ms, 30'000ms, 2.0, 0.5}, 1);
  Backoff b({1000ms, 30'000ms, 2.0, 0.5}, 2);
  Backoff a_again({1000ms, 30'000ms, 2.0, 0.5}, 1);
  bool differ = false;
  for (int i = 0; i < 5; ++i) {
    const auto first = a.next();
    differ = differ || first != b.next();
    CHECK(first == a_again.next());
  }
  CHECK(differ);
}

TEST_CASE("a Retry-After hint is waited out, spread by up to half again, without growing the schedule",
          "[agent][backoff]") {
  Backoff backoff({500ms, 30'000ms, 2.0, 0.5}, 3);
  for (int i = 0; i < 3; ++i) (void)backoff.next();  // three failures: the schedule is at 2 s
  bool spread = false;
  std::chrono::milliseconds first{0};
  for (int i = 0; i < 50; ++i) {
    const auto delay = backoff.next_after(1000ms);
    REQUIRE(delay >= 1000ms);
    REQUIRE(delay <= 1500ms);
    if (i == 0) first = delay;
    spread = spread || delay != first;
  }
  CHECK(spread);
  CHECK(backoff.failures() == 3);
  CHECK(backoff.next() >= 2000ms);  // the fourth failure: base 4 s, jittered down at most by half
  // A hint of 0 is not a hot loop, and a hint beyond the cap is capped.
  CHECK(backoff.next_after(0ms) >= 500ms);
  CHECK(backoff.next_after(3'600'000ms) == 30'000ms);
}
