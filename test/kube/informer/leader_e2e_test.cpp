// Two leader electors on one Lease in a real devcluster process: never two
// leaders at once, and a handover within the lease duration after the
// leader stops (releasing the lease) or within lease + retry when it
// vanishes without releasing.
#include <catch2/catch.hpp>

#include <optional>

#include "devcluster_process.h"
#include <thread>

#include "e2e_support.h"
#include "switchyard/kube/leader_election.h"
#include "tcp_proxy.h"

using namespace std::chrono_literals;
using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

using SteadyClock = std::chrono::steady_clock;

// Who leads, as the callbacks said, with a check that two never overlap.
struct Timeline {
  int leaders = 0;
  int max_leaders = 0;
  std::map<std::string, int> starts;
  std::optional<SteadyClock::time_point> last_start;
  std::string last_leader;
  void started(const std::string& who) {
    ++leaders;
    max_leaders = std::max(max_leaders, leaders);
    ++starts[who];
    last_start = SteadyClock::now();
    last_leader = who;
  }
  void stopped() { --leaders; }
};

LeaderElectionOptions short_lease(const std::string& identity) {
  LeaderElectionOptions options;
  options.lease_namespace = "default";
  options.lease_name = "switchyard-test";
  options.identity = identity;
  options.lease_duration = 3s;
  options.renew_deadline = 2s;
  options.retry_period = 200ms;
  options.random_seed = identity.size();
  return options;
}

}  // namespace

TEST_CASE("two electors on one lease: one leader, handover after the leader stops", "[kube][leader][e2e]") {
  DevclusterProcess devcluster;
  TestLoop loop;
  Client client(devcluster.config());
  Timeline timeline;
  auto elector_for = [&](const std::string& who, LeaderElectionOptions options) {
    return std::make_unique<LeaderElector>(
        client, loop.get(), options, [&timeline, who] { timeline.started(who); }, [&timeline] { timeline.stopped(); });
  };
  bool release = true;
  SECTION("the leader releases the lease on stop") {}
  SECTION("the leader vanishes without releasing") { release = false; }

  auto a_options = short_lease("elector-a");
  a_options.release_on_stop = release;
  auto a = elector_for("elector-a", a_options);
  auto b = elector_for("elector-b", short_lease("elector-b"));
  a->start();
  REQUIRE(loop.run_until([&] { return a->leading(); }, 10s));
  b->start();
  // b campaigns for several lease durations while a renews: a keeps the lease.
  loop.run_for(4s);
  CHECK(a->leading());
  CHECK_FALSE(b->leading());
  CHECK(b->observed_holder() == "elector-a");
  CHECK(timeline.max_leaders == 1);

  auto lease = client.get(kLeases, "default", "switchyard-test");
  REQUIRE(lease.ok());
  const rapidjson::Value* spec = lease.value()->member("spec");
  REQUIRE(spec);
  CHECK(std::string((*spec)["holderIdentity"].GetString()) == "elector-a");
  CHECK((*spec)["leaseDurationSeconds"].GetInt() == 3);

  const auto stopped_at = SteadyClock::now();
  a->stop();
  CHECK_FALSE(a->leading());
  REQUIRE(loop.run_until([&] { return b->leading(); }, 10s));
  const auto handover = SteadyClock::now() - stopped_at;
  if (release) {
    // Released: b takes the lease at its next retry, well within the lease.
    CHECK(handover < 3s);
    auto released = client.get(kLeases, "default", "switchyard-test");
    REQUIRE(released.ok());
    CHECK((*released.value()->member("spec"))["leaseTransitions"].GetInt() >= 1);
  } else {
    // Not released: b waits out the lease it last saw renewed.
    CHECK(handover >= 2s);
    CHECK(handover < 3s + 1s);
  }
  CHECK(timeline.max_leaders == 1);
  CHECK(timeline.last_leader == "elector-b");
  b->stop();
  CHECK(timeline.leaders == 0);
}

TEST_CASE("a leader cut off from the server stops leading before another takes over", "[kube][leader][e2e]") {
  DevclusterProcess devcluster;
  TcpProxy proxy(devcluster.port());
  TestLoop loop;
  Client a_client(devcluster.config_via(proxy.port()));
  Client b_client(devcluster.config());
  Timeline timeline;
  std::optional<SteadyClock::time_point> a_stopped_at, b_started_at;
  LeaderElector a(a_client, loop.get(), short_lease("elector-a"), [&] { timeline.started("elector-a"); },
                  [&] {
                    timeline.stopped();
                    a_stopped_at = SteadyClock::now();
                  });
  a.start();
  REQUIRE(loop.run_until([&] { return a.leading(); }, 10s));
  LeaderElector b(b_client, loop.get(), short_lease("elector-b"),
                  [&] {
                    timeline.started("elector-b");
                    b_started_at = SteadyClock::now();
                  },
                  [&] { timeline.stopped(); });
  b.start();
  loop.run_for(1s);
  REQUIRE(a.leading());

  // a can no longer renew: it must give up leadership by its renew deadline,
  // before b may take the lease.
  proxy.block(true);
  proxy.cut();
  REQUIRE(loop.run_until([&] { return b.leading(); }, 15s));
  REQUIRE(a_stopped_at.has_value());
  REQUIRE(b_started_at.has_value());
  CHECK(*a_stopped_at < *b_started_at);
  CHECK(timeline.max_leaders == 1);
  CHECK_FALSE(a.leading());

  // Reconnected, a sees b's lease and stays a follower.
  proxy.block(false);
  loop.run_for(1500ms);
  CHECK_FALSE(a.leading());
  CHECK(a.observed_holder() == "elector-b");
  CHECK(timeline.max_leaders == 1);
  a.stop();
  b.stop();
}

TEST_CASE("a leader whose loop was busy past its renew deadline keeps leading when it renewed meanwhile",
          "[kube][leader][e2e]") {
  DevclusterProcess devcluster;
  TestLoop loop;
  Client client(devcluster.config());
  Timeline timeline;
  LeaderElector a(client, loop.get(), short_lease("elector-a"), [&timeline] { timeline.started("elector-a"); },
                  [&timeline] { timeline.stopped(); });
  a.start();
  REQUIRE(loop.run_until([&] { return a.leading(); }, 10s));
  // The loop does nothing for longer than the renew deadline (2 s); the
  // worker renews every 200 ms meanwhile.
  std::this_thread::sleep_for(3s);
  loop.run_for(500ms);
  CHECK(a.leading());
  CHECK(timeline.starts["elector-a"] == 1);  // it never stepped down
  a.stop();
}
