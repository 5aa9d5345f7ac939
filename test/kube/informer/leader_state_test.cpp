// The election decision logic over a fake clock: every scenario is a
// sequence of (what the GET returned, local time) with the expected writes.
#include <catch2/catch.hpp>

#include <chrono>

#include "leader_state.h"

using namespace std::chrono_literals;
using switchyard::kube::ElectionNow;
using switchyard::kube::ElectionState;
using switchyard::kube::LeaseAction;
using switchyard::kube::LeaseRecord;

namespace {

// A fake clock whose steady and wall times advance together; the wall time
// starts at 2026-11-25T03:00:00Z.
struct FakeClock {
  std::chrono::steady_clock::time_point steady = std::chrono::steady_clock::time_point{} + 100h;
  std::chrono::system_clock::time_point wall =
      std::chrono::system_clock::time_point{} + std::chrono::seconds(1795575600);
  void advance(std::chrono::milliseconds by) {
    steady += by;
    wall += by;
  }
  ElectionNow now() const { return {steady, wall}; }
};

LeaseRecord held_by(std::string holder, std::string renew_time, int transitions = 0, int duration = 15) {
  LeaseRecord record;
  record.holder_identity = std::move(holder);
  record.lease_duration_seconds = duration;
  record.acquire_time = "2026-11-25T02:00:00.000000Z";
  record.renew_time = std::move(renew_time);
  record.lease_transitions = transitions;
  return record;
}

// Plans a round and, when it writes, reports the write as successful.
LeaseAction round(ElectionState& state, const std::optional<LeaseRecord>& current, const FakeClock& clock) {
  auto plan = state.plan(current, clock.now());
  if (plan.action != LeaseAction::None) state.written(plan.record, clock.steady, clock.steady);
  return plan.action;
}

}  // namespace

TEST_CASE("micro time is written as the API server writes metav1.MicroTime", "[kube][leader]") {
  FakeClock clock;
  CHECK(switchyard::kube::format_micro_time(clock.wall) == "2026-11-25T03:00:00.000000Z");
  clock.advance(1234ms);
  CHECK(switchyard::kube::format_micro_time(clock.wall + 56us) == "2026-11-25T03:00:01.234056Z");
}

TEST_CASE("a missing lease is created with this elector as holder", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("a", 15s, 10s);
  auto plan = state.plan(std::nullopt, clock.now());
  REQUIRE(plan.action == LeaseAction::Create);
  CHECK(plan.record.holder_identity == "a");
  CHECK(plan.record.lease_duration_seconds == 15);
  CHECK(plan.record.lease_transitions == 0);
  CHECK(plan.record.acquire_time == "2026-11-25T03:00:00.000000Z");
  CHECK(plan.record.renew_time == plan.record.acquire_time);
  CHECK_FALSE(state.leading(clock.steady));
  state.written(plan.record, clock.steady, clock.steady);
  CHECK(state.leading(clock.steady));
}

TEST_CASE("another holder's lease expires by local observation, not by its renewTime", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("b", 15s, 10s);
  // The holder's renewTime is far in the past by our wall clock (skewed
  // clocks): that alone must not make the lease look expired.
  const LeaseRecord theirs = held_by("a", "2001-01-01T00:00:00.000000Z", 3);
  CHECK(round(state, theirs, clock) == LeaseAction::None);

  SECTION("the same record re-read lets the observed lease run out") {
    clock.advance(14999ms);
    CHECK(round(state, theirs, clock) == LeaseAction::None);
    clock.advance(1ms);
    auto plan = state.plan(theirs, clock.now());
    REQUIRE(plan.action == LeaseAction::Update);
    CHECK(plan.record.holder_identity == "b");
    CHECK(plan.record.lease_transitions == 4);  // a new holder counts a transition
    CHECK(plan.record.acquire_time == switchyard::kube::format_micro_time(clock.wall));
  }
  SECTION("a renewal seen restarts the expiry clock") {
    clock.advance(10s);
    CHECK(round(state, held_by("a", "2001-01-01T00:00:10.000000Z", 3), clock) == LeaseAction::None);
    clock.advance(14s);  // 24 s after the first sighting, 14 s after the renewal
    CHECK(round(state, held_by("a", "2001-01-01T00:00:10.000000Z", 3), clock) == LeaseAction::None);
    clock.advance(1s);
    CHECK(round(state, held_by("a", "2001-01-01T00:00:10.000000Z", 3), clock) == LeaseAction::Update);
    CHECK(state.holds_lease());
  }
  SECTION("the record's own leaseDurationSeconds decides, not ours") {
    ElectionState other("c", 15s, 10s);
    const LeaseRecord short_lease = held_by("a", "x", 0, 2);
    CHECK(round(other, short_lease, clock) == LeaseAction::None);
    clock.advance(2s);
    CHECK(round(other, short_lease, clock) == LeaseAction::Update);
  }
}

TEST_CASE("an empty holder is taken at once", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("b", 15s, 10s);
  LeaseRecord released = held_by("", "2026-11-25T03:00:00.000000Z", 5, 1);
  auto plan = state.plan(released, clock.now());
  REQUIRE(plan.action == LeaseAction::Update);
  CHECK(plan.record.lease_transitions == 6);
  CHECK(plan.record.lease_duration_seconds == 15);
}

TEST_CASE("the holder renews keeping acquireTime and transitions", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("a", 15s, 10s);
  REQUIRE(round(state, std::nullopt, clock) == LeaseAction::Create);
  const LeaseRecord created = state.observed();
  clock.advance(2s);
  auto plan = state.plan(created, clock.now());
  REQUIRE(plan.action == LeaseAction::Update);
  CHECK(plan.record.acquire_time == created.acquire_time);
  CHECK(plan.record.renew_time == "2026-11-25T03:00:02.000000Z");
  CHECK(plan.record.lease_transitions == created.lease_transitions);
}

TEST_CASE("the leader stops leading at the renew deadline when renewals fail", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("a", 15s, 10s);
  const auto attempt_started = clock.steady;
  clock.advance(300ms);  // the create took 300 ms
  auto plan = state.plan(std::nullopt, clock.now());
  state.written(plan.record, attempt_started, clock.steady);
  // The deadline counts from the start of the successful attempt.
  CHECK(state.renew_deadline_at() == attempt_started + 10s);
  clock.advance(9699ms);
  CHECK(state.leading(clock.steady));
  clock.advance(1ms);
  CHECK_FALSE(state.leading(clock.steady));
  // Still the holder on record, but no longer leading; the lease is valid for
  // others until 15 s after they saw it, so there is no overlap.
  CHECK(state.holds_lease());
}

TEST_CASE("seeing another holder ends leadership at once", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("a", 15s, 10s);
  REQUIRE(round(state, std::nullopt, clock) == LeaseAction::Create);
  clock.advance(2s);
  CHECK(state.plan(held_by("b", "t", 1), clock.now()).action == LeaseAction::None);
  CHECK_FALSE(state.holds_lease());
  CHECK_FALSE(state.leading(clock.steady));
}

TEST_CASE("a failed write changes nothing", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("b", 15s, 10s);
  const LeaseRecord theirs = held_by("a", "t", 0);
  CHECK(round(state, theirs, clock) == LeaseAction::None);
  clock.advance(15s);
  // The update loses to a conflict: the shell does not call written().
  CHECK(state.plan(theirs, clock.now()).action == LeaseAction::Update);
  CHECK_FALSE(state.holds_lease());
  CHECK_FALSE(state.leading(clock.steady));
}

TEST_CASE("release gives the lease up as client-go does", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("a", 15s, 10s);
  CHECK_FALSE(state.release_record(clock.now()).has_value());  // nothing held
  REQUIRE(round(state, held_by("", "t", 7, 1), clock) == LeaseAction::Update);
  clock.advance(1s);
  auto released = state.release_record(clock.now());
  REQUIRE(released.has_value());
  CHECK(released->holder_identity.empty());
  CHECK(released->lease_duration_seconds == 1);
  CHECK(released->lease_transitions == 8);
  CHECK(released->renew_time == "2026-11-25T03:00:01.000000Z");
  CHECK(released->acquire_time == released->renew_time);
  state.released(*released, clock.steady);
  CHECK_FALSE(state.leading(clock.steady));
  CHECK_FALSE(state.holds_lease());
}

TEST_CASE("two electors sharing one lease under a fake clock never lead together", "[kube][leader]") {
  // A simulated API server: a single record with a version; an update based
  // on a stale read loses (409).
  struct Server {
    std::optional<LeaseRecord> record;
    int version = 0;
  } server;
  struct Elector {
    ElectionState state;
    bool alive = true;
  };
  Elector a{ElectionState("a", 15s, 10s)}, b{ElectionState("b", 15s, 10s)};
  FakeClock clock;

  auto attempt = [&](Elector& elector) {
    if (!elector.alive) return;
    const auto read = server.record;
    const int read_version = server.version;
    auto plan = elector.state.plan(read, clock.now());
    if (plan.action == LeaseAction::None) return;
    if (server.version != read_version) return;  // conflict
    server.record = plan.record;
    ++server.version;
    elector.state.written(plan.record, clock.steady, clock.steady);
  };

  std::optional<std::chrono::steady_clock::time_point> a_stopped;
  std::optional<std::chrono::steady_clock::time_point> b_took_over;
  for (int step = 0; step < 400; ++step) {
    attempt(step % 2 ? b : a);
    attempt(step % 2 ? a : b);
    const bool a_leads = a.alive && a.state.leading(clock.steady);
    const bool b_leads = b.state.leading(clock.steady);
    REQUIRE_FALSE((a_leads && b_leads));
    if (step == 50) {
      REQUIRE(a_leads);  // a went first and created the lease
      a.alive = false;   // crashes without releasing
      a_stopped = clock.steady;
    }
    if (a_stopped && b_leads && !b_took_over) b_took_over = clock.steady;
    clock.advance(500ms);
  }
  REQUIRE(b_took_over.has_value());
  // b waits out the lease it last saw renewed, then takes over within a retry.
  CHECK(*b_took_over - *a_stopped >= 14s);
  CHECK(*b_took_over - *a_stopped <= 16s);
  CHECK(server.record->holder_identity == "b");
  CHECK(server.record->lease_transitions == 1);
}

TEST_CASE("a candidate waits no longer than until the lease it saw runs out", "[kube][leader]") {
  FakeClock clock;
  ElectionState state("b", 15s, 10s);
  SECTION("nothing observed, or nobody holds it: the jittered retry") {
    CHECK(state.candidate_wait(clock.steady, 4400ms) == 4400ms);
    CHECK(round(state, held_by("", "x"), clock) == LeaseAction::Update);
    clock.advance(1ms);
    CHECK(state.candidate_wait(clock.steady, 4400ms) == 4400ms);  // b holds it now
  }
  SECTION("another holder: until its observed lease expires") {
    CHECK(round(state, held_by("a", "x"), clock) == LeaseAction::None);
    clock.advance(12s);
    CHECK(state.candidate_wait(clock.steady, 4400ms) == 3000ms);
    clock.advance(2999ms);
    CHECK(state.candidate_wait(clock.steady, 4400ms) == 1ms);
    CHECK(state.candidate_wait(clock.steady, 4400ms) <= 4400ms);
    clock.advance(1ms);
    CHECK(state.candidate_wait(clock.steady, 4400ms) == 4400ms);  // expired: take it at the next round
  }
}

TEST_CASE("after the holder dies, a candidate takes over within leaseDuration + retryPeriod + jitter of its last renewal",
          "[kube][leader]") {
  // client-go's defaults (lease 15 s, renew deadline 10 s, retry 2 s) and
  // the candidate's jitter at its worst: every wait 2 s x (1 + 1.2).
  const auto retry = 2000ms;
  const auto worst_wait = 4400ms;
  // Where the candidate's rounds fall against the holder's renewals.
  const auto phase = GENERATE(0ms, 1ms, 300ms, 1000ms, 1999ms, 2500ms, 4399ms);
  // When the holder dies, after its renewal at 30 s or the next ones.
  const auto dies_after = GENERATE(30000ms, 31000ms, 33000ms);
  CAPTURE(phase.count(), dies_after.count());

  std::optional<LeaseRecord> server;
  int version = 0;
  FakeClock clock;
  const auto start = clock.steady;
  ElectionState a("a", 15s, 10s), b("b", 15s, 10s);
  // Renew times differ per write, as the API server's MicroTime does.
  auto attempt = [&](ElectionState& elector) {
    const auto read = server;
    const int read_version = version;
    auto plan = elector.plan(read, clock.now());
    if (plan.action == LeaseAction::None) return false;
    if (version != read_version) return false;
    plan.record.renew_time = std::to_string(version);
    server = plan.record;
    ++version;
    elector.written(plan.record, clock.steady, clock.steady);
    return true;
  };

  auto a_next = start;
  auto b_next = start + phase;
  std::optional<std::chrono::steady_clock::time_point> last_renewal;
  bool a_alive = true;
  while (!b.holds_lease()) {
    REQUIRE(clock.steady - start < 120s);
    if (a_alive && a_next <= b_next) {
      clock.steady = a_next;
      REQUIRE(attempt(a));
      if (clock.steady - start >= dies_after) {
        last_renewal = clock.steady;
        a_alive = false;  // SIGKILL right after this renewal: the worst moment
      }
      a_next += retry;
    } else {
      clock.steady = b_next;
      attempt(b);
      REQUIRE_FALSE((a_alive && a.leading(clock.steady) && b.leading(clock.steady)));
      b_next = clock.steady + b.candidate_wait(clock.steady, worst_wait);
    }
  }
  REQUIRE(last_renewal);
  const auto takeover = clock.steady - *last_renewal;
  CAPTURE(std::chrono::duration_cast<std::chrono::milliseconds>(takeover).count());
  CHECK(takeover >= 15s);  // never before the lease the candidate saw ran out
  CHECK(takeover <= 15s + retry + (worst_wait - retry));
}
