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
