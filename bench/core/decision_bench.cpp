// The decision engine under random single-service health flips
// (issue 2 item 6; figures in docs/benchmarks.md).
//
// A fleet of N FailoverServices over 100 clusters: each has 2 or 3 backing
// services in distinct clusters, and every backing cluster consumes it (so a
// backing service has 1-2 mirrors). Every event flips one random backing
// service between 0 and 2 ready endpoints and goes through the path the hub
// takes for a report of one service (hub Controller::report_received and
// flush): the cluster's id is resolved once per MemberCluster, so per report
// it notes the receive time (heard_from), looks the service up by name in
// its cluster's table (service_id), records the observation, and evaluates
// (impact index -> decide the touched FailoverServices),
// and, in the "WithSplits" variant, derive the TrafficSplit of every
// consumer whose weights changed. Failback delay is 0, so nearly every flip
// of a primary changes weights: the worst case for derivation.
//
// BM_HealthFlip runs the same events over 1,000, 10,000 and 100,000
// FailoverServices: each event touches one FailoverService whatever the
// fleet size, so the time per event must not grow with N.
// BM_HealthFlipById is the same event with the service's id resolved once,
// as a hub holding an id per (cluster, service) for each agent connection
// would (issue 18 item 4): heard_from, observe by id, evaluate.
// BM_SharedServiceFlip flips one service that K of 10,000 FailoverServices
// name: the time per event must grow with K (FailoverServices touched).
//
//   build/bin/decision_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "fleet.h"

using namespace switchyard::core;
using namespace decision_fleet;

namespace {

// A report of one service (fleet.h), and, in the "WithSplits" variant, the
// TrafficSplit of every consumer whose weights changed.
std::size_t flip(Fleet& fleet, Backing& backing, std::vector<Change>& changes, bool derive_splits,
                 std::size_t& splits_derived) {
  const auto changed = flip_by_name(fleet, backing, changes);
  if (derive_splits) {
    for (const auto& change : changes) {
      for (std::size_t c = 0; c < 64; ++c) {
        if (change.splits_changed & (std::uint64_t{1} << c)) {
          benchmark::DoNotOptimize(fleet.engine.traffic_split(change.record, c));
          ++splits_derived;
        }
      }
    }
  }
  return changed;
}

void report(benchmark::State& state, std::size_t changed, std::size_t splits_derived) {
  const auto events = static_cast<double>(state.iterations());
  state.counters["events/s"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["changed/event"] = static_cast<double>(changed) / events;
  state.counters["splits/event"] = static_cast<double>(splits_derived) / events;
}

void run_random(benchmark::State& state, bool derive_splits) {
  const auto fleet = build_fleet(static_cast<int>(state.range(0)));
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, fleet->backings.size() - 1);
  std::vector<Change> changes;
  std::size_t changed = 0, splits_derived = 0;
  for (auto _ : state) changed += flip(*fleet, fleet->backings[pick(rng)], changes, derive_splits, splits_derived);
  report(state, changed, splits_derived);
}

void BM_HealthFlip(benchmark::State& state) { run_random(state, false); }

void BM_HealthFlipById(benchmark::State& state) {
  const auto fleet = build_fleet(static_cast<int>(state.range(0)));
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, fleet->by_id.size() - 1);
  std::vector<Change> changes;
  std::size_t changed = 0;
  for (auto _ : state) changed += flip_by_id(*fleet, fleet->by_id[pick(rng)], changes);
  report(state, changed, 0);
}
void BM_HealthFlipWithSplits(benchmark::State& state) { run_random(state, true); }

// One service named by K FailoverServices flips: K decisions per event.
void BM_SharedServiceFlip(benchmark::State& state) {
  const auto fleet = build_fleet(10'000, static_cast<int>(state.range(0)));
  Backing shared{fleet->engine.cluster_id(cluster_name(0)), "shared"};
  std::vector<Change> changes;
  std::size_t changed = 0, splits_derived = 0;
  for (auto _ : state) changed += flip(*fleet, shared, changes, true, splits_derived);
  report(state, changed, splits_derived);
  state.counters["touched/event"] = static_cast<double>(state.range(0));
}

}  // namespace

BENCHMARK(BM_HealthFlip)->Arg(1'000)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_HealthFlipById)->Arg(1'000)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_HealthFlipWithSplits)->Arg(1'000)->Arg(10'000)->Arg(100'000);
BENCHMARK(BM_SharedServiceFlip)->Arg(1)->Arg(10)->Arg(100)->Arg(1'000);
BENCHMARK_MAIN();
