// A fixed number of decision-engine events, for counting instructions and
// simulated cache misses per event under callgrind (docs/benchmarks.md
// "Decision engine"): timings on a shared machine drift with other tenants,
// counts do not.
//
// Builds the fleet of decision_bench (fleet.h) with N FailoverServices, then
// EVENTS events by id (events_by_id) and EVENTS events by name
// (events_by_name). Each random pick flips a backing service down and back
// up, so the mix of events is the same at every fleet size.
//
//   valgrind --tool=callgrind --cache-sim=yes --D1=32768,8,64 --LL=1048576,16,64
//     --toggle-collect='events_by_id*' build/bin/decision_events 10000 40000
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "fleet.h"

using namespace decision_fleet;

// `events` events on backings picked at random from `backings`, each pick
// flipped down and back up by `flip`.
template <class Backings, class Flip>
std::size_t run_events(Fleet& fleet, Backings& backings, int events, Flip flip) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, backings.size() - 1);
  std::vector<Change> changes;
  std::size_t changed = 0;
  for (int i = 0; i < events / 2; ++i) {
    auto& backing = backings[pick(rng)];
    changed += flip(fleet, backing, changes);
    changed += flip(fleet, backing, changes);
  }
  return changed;
}

// Not inlined, so that callgrind can count exactly these calls.
__attribute__((noinline)) std::size_t events_by_id(Fleet& fleet, int events) {
  return run_events(fleet, fleet.by_id, events, flip_by_id);
}

__attribute__((noinline)) std::size_t events_by_name(Fleet& fleet, int events) {
  return run_events(fleet, fleet.backings, events, flip_by_name);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: decision_events FAILOVER_SERVICES EVENTS\n");
    return 2;
  }
  const auto fleet = build_fleet(std::atoi(argv[1]));
  const int events = std::atoi(argv[2]);
  const auto by_id = events_by_id(*fleet, events);
  const auto by_name = events_by_name(*fleet, events);
  std::printf("changed: %zu by id, %zu by name\n", by_id, by_name);
  return 0;
}
