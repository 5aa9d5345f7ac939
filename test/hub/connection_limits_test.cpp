#include <catch2/catch.hpp>

#include "switchyard/hub/connection_limits.h"

using namespace switchyard::hub;

TEST_CASE("connection limits: at the unauthenticated cap the oldest unauthenticated connection is evicted", "[hub]") {
  ConnectionCaps caps;
  caps.unauthenticated = 2;
  ConnectionLimits limits(caps);
  std::vector<int> evicted;
  const auto first = limits.open([&] { evicted.push_back(1); });
  const auto second = limits.open([&] { evicted.push_back(2); });
  CHECK_FALSE(first.evicted);
  CHECK_FALSE(second.evicted);
  REQUIRE(limits.authenticate(second.id, "east"));  // no longer a candidate
  const auto third = limits.open([&] { evicted.push_back(3); });
  CHECK_FALSE(third.evicted);  // one unauthenticated left, room for a second
  const auto fourth = limits.open([&] { evicted.push_back(4); });
  REQUIRE(fourth.evicted);
  fourth.evicted();
  CHECK(evicted == std::vector<int>{1});
  CHECK(limits.unauthenticated() == 2);
  CHECK_FALSE(limits.authenticate(first.id, "east"));  // evicted meanwhile: stays out
  limits.close(first.id);
  limits.close(third.id);
  limits.close(fourth.id);
  CHECK(limits.unauthenticated() == 0);
  CHECK(limits.evictions() == 1);
}

TEST_CASE("connection limits: connections and parked polls are capped per cluster token", "[hub]") {
  ConnectionCaps caps;
  caps.per_cluster = 2;
  caps.parked_per_cluster = 2;
  caps.parked = 3;
  ConnectionLimits limits(caps);
  std::vector<std::uint64_t> east;
  for (int i = 0; i < 3; ++i) east.push_back(limits.open(nullptr).id);
  CHECK(limits.authenticate(east[0], "east"));
  CHECK(limits.authenticate(east[1], "east"));
  CHECK_FALSE(limits.authenticate(east[2], "east"));
  const auto west = limits.open(nullptr).id;
  CHECK(limits.authenticate(west, "west"));  // another cluster is not refused
  CHECK(limits.connections("east") == 2);
  limits.close(east[0]);
  CHECK(limits.authenticate(east[2], "east"));  // a closed one frees its place

  CHECK(limits.try_park("east"));
  CHECK(limits.try_park("east"));
  CHECK_FALSE(limits.try_park("east"));
  CHECK(limits.try_park("west"));
  CHECK_FALSE(limits.try_park("north"));  // the global cap (3)
  limits.unpark("east");
  CHECK(limits.parked("east") == 1);
  CHECK(limits.try_park("north"));
}
