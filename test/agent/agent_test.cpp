// The agent's runtime (loop + poller + reporter + applier) against fakes of
// the hub and the member cluster.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>

#include "agent_fakes.h"
#include "switchyard/agent/agent.h"

using namespace switchyard;
using namespace switchyard::agent;
using namespace switchyard::agent::testing;
using namespace std::chrono_literals;

namespace {

const protocol::ServiceKey kWeb{"emojivoto", "web-svc", protocol::ServiceRole::Local};
const protocol::ServiceKey kWebMirror{"emojivoto", "web-svc-east", protocol::ServiceRole::Mirror};
const protocol::ServiceKey kBooks{"bookinfo", "reviews", protocol::ServiceRole::Local};

protocol::DesiredTrafficSplit split(const std::string& name, int local, int remote) {
  protocol::DesiredTrafficSplit s;
  s.api_version = "split.smi-spec.io/v1alpha2";
  s.namespace_name = "emojivoto";
  s.name = name;
  s.labels = {{"app.kubernetes.io/managed-by", "switchyard"}};
  s.object_json = R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":")" + name +
                  R"(","namespace":"emojivoto","labels":{"app.kubernetes.io/managed-by":"switchyard"}},"spec":{"service":")" +
                  name + R"(","backends":[{"service":")" + name + R"(","weight":)" + std::to_string(local) +
                  R"(},{"service":")" + name + R"(-east","weight":)" + std::to_string(remote) + "}]}}";
  return s;
}

protocol::Assignment assignment(std::int64_t revision, std::vector<protocol::ServiceKey> watch,
                                std::vector<protocol::DesiredTrafficSplit> splits) {
  protocol::Assignment complete;
  complete.revision = revision;
  complete.watch = std::move(watch);
  complete.traffic_splits = std::move(splits);
  return complete;
}

// An agent on its own loop thread, with fakes around it.
struct Running {
  explicit Running(bool start_now = true) {
    uv_loop_init(&loop);
    options.agent_id = "east-test";
    options.poller.backoff = {5ms, 20ms, 2.0, 0.5};
    options.reporter.interval = 100ms;
    options.reporter.backoff = {5ms, 20ms, 2.0, 0.5};
    options.applier.backoff = {20ms, 80ms, 2.0, 0.5};
    options.applier.resync = 60s;
    cluster.upsert_service("emojivoto", "web-svc");
    cluster.upsert_slice(make_slice("emojivoto", "web-svc", 2));
    cluster.upsert_service("emojivoto", "web-svc-east");
    cluster.upsert_slice(make_slice("emojivoto", "web-svc-east", 1));
    if (start_now) start();
  }
  void start() {
    agent = std::make_unique<Agent>(&loop, options, hub, cluster, splits, metrics);
    agent->start();
    thread = std::thread([this] { uv_run(&loop, UV_RUN_DEFAULT); });
  }
  ~Running() {
    if (agent) {
      agent->request_stop();
      thread.join();
      agent.reset();
    }
    uv_run(&loop, UV_RUN_NOWAIT);  // let close callbacks finish
    uv_loop_close(&loop);
  }
  // Runs `work` on the loop thread and waits for it.
  void on_loop(const std::function<void()>& work) {
    std::promise<void> done;
    agent->run_on_loop([&] {
      work();
      done.set_value();
    });
    done.get_future().wait();
  }
  std::optional<protocol::Report> last_report() {
    auto reports = hub.reports();
    if (reports.empty()) return std::nullopt;
    return reports.back();
  }
  std::optional<protocol::ServiceHealth> last_reported(const protocol::ServiceKey& key) {
    auto reports = hub.reports();
    for (auto it = reports.rbegin(); it != reports.rend(); ++it) {
      for (const auto& health : it->services) {
        if (health.key == key) return health;
      }
    }
    return std::nullopt;
  }

  uv_loop_t loop;
  AgentOptions options;
  FakeHub hub;
  FakeWatchBackend cluster;
  FakeSplitApi splits;
  metrics::Registry registry;
  AgentMetrics metrics{registry};
  std::unique_ptr<Agent> agent;
  std::thread thread;
};

}  // namespace

TEST_CASE("an agent that starts while the hub is unreachable changes nothing until its first assignment",
          "[agent][runtime]") {
  Running run(false);
  run.hub.set_reachable(false);
  run.start();
  REQUIRE(eventually([&] { return run.hub.poll_attempts() >= 5; }));
  CHECK(run.splits.lists() == 0);
  CHECK(run.splits.writes() == 0);
  CHECK(run.hub.report_attempts() == 0);
  CHECK(run.metrics.hub_connected.value() == 0);
  CHECK_FALSE(run.agent->readiness().ok);

  run.hub.publish(assignment(1, {kWeb, kWebMirror}, {split("web-svc", 1, 0)}));
  run.hub.set_reachable(true);
  REQUIRE(eventually([&] { return run.splits.get("emojivoto", "web-svc").has_value(); }));
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 1; }));
  const auto first = run.hub.reports().front();
  CHECK(first.full);
  REQUIRE(first.services.size() == 2);
  CHECK(first.services[0] == protocol::ServiceHealth{kWeb, true, 2, 2, {}});
  CHECK(first.services[1] == protocol::ServiceHealth{kWebMirror, true, 1, 1, {}});
  CHECK(run.agent->readiness().ok);
  CHECK(run.metrics.applied_revision.value() == 1);
}

TEST_CASE("reports: deltas for changes, heartbeats when idle, a full snapshot after a 409", "[agent][runtime]") {
  Running run;
  run.hub.publish(assignment(1, {kWeb, kWebMirror}, {}));
  REQUIRE(eventually([&] { return !run.hub.reports().empty(); }));

  run.on_loop([&] { run.cluster.upsert_slice(make_slice("emojivoto", "web-svc", 0, 2)); });
  REQUIRE(eventually([&] {
    auto health = run.last_reported(kWeb);
    return health && health->ready_endpoints == 0;
  }));
  // The report that carried the change (a heartbeat may have followed it
  // already on a slow machine).
  const auto reports = run.hub.reports();
  const auto carried = std::find_if(reports.rbegin(), reports.rend(), [](const protocol::Report& r) {
    return std::any_of(r.services.begin(), r.services.end(),
                       [](const protocol::ServiceHealth& h) { return h.key == kWeb && h.ready_endpoints == 0; });
  });
  REQUIRE(carried != reports.rend());
  const auto delta = *carried;
  CHECK_FALSE(delta.full);
  REQUIRE(delta.services.size() == 1);  // only what changed
  CHECK(delta.services[0] == protocol::ServiceHealth{kWeb, true, 0, 2, {}});

  // Idle: heartbeats (empty deltas) keep coming, at least one per interval.
  const auto count = run.hub.reports().size();
  REQUIRE(eventually([&] { return run.hub.reports().size() >= count + 3; }));
  for (std::size_t i = count; i < run.hub.reports().size(); ++i) {
    CHECK(run.hub.reports()[i].services.empty());
    CHECK_FALSE(run.hub.reports()[i].full);
  }

  // The hub restarts and no longer knows the agent: 409, then a full snapshot.
  run.hub.forget_agents();
  REQUIRE(eventually([&] { return run.hub.conflicts() >= 1 && run.last_report()->full; }));
  const auto full = *run.last_report();
  CHECK(full.services.size() == 2);
  CHECK(run.metrics.reports_resync.value() >= 1);
  CHECK(run.metrics.reports_ok.value() >= 3);
}

TEST_CASE("reports the hub answers as resends (its seq moved ahead by a forged report) end in a full snapshot",
          "[agent][runtime]") {
  Running run;
  run.hub.publish(assignment(1, {kWeb, kWebMirror}, {}));
  REQUIRE(eventually([&] { return !run.hub.reports().empty(); }));
  run.hub.forge_seq(protocol::kMaxReportSeq);
  const auto before = run.hub.reports().size();

  // Two reports answered Duplicate (heartbeats or the change's delta), then
  // a full snapshot; the change reaches the hub, and deltas go on after it.
  run.on_loop([&] { run.cluster.upsert_slice(make_slice("emojivoto", "web-svc", 0, 2)); });
  REQUIRE(eventually([&] {
    auto health = run.last_reported(kWeb);
    return health && health->ready_endpoints == 0 && run.hub.reports().size() > before + 1;
  }));
  const auto reports = run.hub.reports();
  CHECK(reports[before].full);
  CHECK_FALSE(reports.back().full);
  CHECK(run.hub.duplicates() == 2);
  CHECK(run.metrics.reports_duplicate.value() == 2);
}

TEST_CASE("an assignment from another hub process makes the next report a full snapshot, without a 409",
          "[agent][runtime]") {
  Running run;
  // Revision `revision` numbered by hub process `epoch`, over the same watch list.
  auto publish = [&](std::int64_t revision, const char* epoch) {
    auto next = assignment(revision, {kWeb, kWebMirror}, {});
    next.epoch = epoch;
    run.hub.publish(next);
  };
  auto reported_applied = [&](std::int64_t revision) {
    return eventually([&] {
      const auto last = run.last_report();
      return last && last->applied.revision == revision;
    });
  };
  publish(1, "epoch-a");
  REQUIRE(reported_applied(1));
  const auto before = run.hub.reports().size();
  auto count_full = [&] {
    const auto reports = run.hub.reports();
    return std::count_if(reports.begin() + static_cast<std::ptrdiff_t>(before), reports.end(),
                         [](const protocol::Report& r) { return r.full; });
  };

  // The hub restarted (or another replica leads): its answers carry a new
  // epoch. This fake hub still knows the agent, so only the epoch can make
  // the agent send a full snapshot here.
  publish(2, "epoch-b");
  REQUIRE(eventually([&] { return count_full() == 1; }));
  CHECK(run.hub.conflicts() == 0);

  // The same process's next revision: deltas again.
  publish(3, "epoch-b");
  REQUIRE(reported_applied(3));
  CHECK(count_full() == 1);
  CHECK_FALSE(run.last_report()->full);
}

TEST_CASE("the watch list decides which namespaces are watched", "[agent][runtime]") {
  Running run;
  run.cluster.upsert_service("bookinfo", "reviews");
  run.cluster.upsert_slice(make_slice("bookinfo", "reviews", 3));
  run.hub.publish(assignment(1, {kWeb}, {}));
  REQUIRE(eventually([&] { return !run.hub.reports().empty(); }));
  std::set<std::string> watched;
  run.on_loop([&] { for (const auto& [name, events] : run.cluster.active) watched.insert(name); });
  CHECK(watched == std::set<std::string>{"emojivoto"});

  run.hub.publish(assignment(2, {kBooks}, {}));
  REQUIRE(eventually([&] {
    auto health = run.last_reported(kBooks);
    return health && health->ready_endpoints == 3;
  }));
  run.on_loop([&] {
    watched.clear();
    for (const auto& [name, events] : run.cluster.active) watched.insert(name);
  });
  CHECK(watched == std::set<std::string>{"bookinfo"});
  CHECK(run.metrics.watched_services.value() == 1);
}

TEST_CASE("a namespace that has not synced is left out of reports, not reported missing", "[agent][runtime]") {
  Running run(false);
  run.cluster.auto_sync = false;
  run.start();
  run.hub.publish(assignment(1, {kWeb}, {}));
  REQUIRE(eventually([&] {
    bool active = false;
    run.on_loop([&] { active = run.cluster.active.count("emojivoto") != 0; });
    return active;
  }));
  // Not synced: no report at all yet (the first one must be complete).
  std::this_thread::sleep_for(300ms);  // three report intervals: what must not happen has had its chance
  CHECK(run.hub.report_attempts() == 0);
  CHECK_FALSE(run.agent->readiness().ok);
  run.on_loop([&] {
    auto* events = run.cluster.active.at("emojivoto");
    events->service_upserted("emojivoto", "web-svc");
    events->slice_upserted(make_slice("emojivoto", "web-svc", 2));
    events->synced();
  });
  REQUIRE(eventually([&] { return run.last_report().has_value(); }));
  CHECK(run.hub.reports().front().services == std::vector<protocol::ServiceHealth>{{kWeb, true, 2, 2, {}}});
}

TEST_CASE("assignments are applied: created, patched on change, collected when unassigned", "[agent][runtime]") {
  Running run;
  run.hub.publish(assignment(1, {kWeb}, {split("web-svc", 1, 0), split("old", 1, 0)}));
  REQUIRE(eventually([&] { return run.splits.size() == 2; }));
  run.hub.publish(assignment(2, {kWeb}, {split("web-svc", 0, 1)}));
  REQUIRE(eventually([&] { return run.splits.size() == 1 && run.splits.patches() == 1; }));
  CHECK_THAT(*run.splits.get("emojivoto", "web-svc"), Catch::Contains(R"("weight":0},{"service":"web-svc-east","weight":1)"));
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 2; }));
  CHECK(run.last_report()->applied.errors.empty());
}

TEST_CASE("a foreign TrafficSplit is reported in the applied errors and retried with backoff, not overwritten",
          "[agent][runtime]") {
  Running run;
  const std::string foreign =
      R"({"apiVersion":"split.smi-spec.io/v1alpha2","kind":"TrafficSplit","metadata":{"name":"web-svc","namespace":"emojivoto"},"spec":{"service":"web-svc","backends":[]}})";
  run.splits.put("emojivoto", "web-svc", foreign);
  run.hub.publish(assignment(4, {kWeb}, {split("web-svc", 1, 0)}));
  REQUIRE(eventually([&] { return run.last_report() && !run.last_report()->applied.errors.empty(); }));
  const auto report = *run.last_report();
  CHECK(report.applied.revision == 0);  // never applied cleanly
  CHECK_THAT(report.applied.errors[0], Catch::Contains("not managed by switchyard"));
  CHECK(*run.splits.get("emojivoto", "web-svc") == foreign);
  CHECK(run.metrics.apply_errors.value() >= 1);

  // Once the owner removes theirs, a retry applies the assignment.
  run.splits.fail_with(std::nullopt);
  { FakeSplitApi& api = run.splits; (void)api.remove("split.smi-spec.io/v1alpha2", "emojivoto", "web-svc"); }
  REQUIRE(eventually([&] { return run.last_report()->applied.revision == 4; }));
  CHECK(run.last_report()->applied.errors.empty());
}

TEST_CASE("a missing CRD is reported and retried with backoff, not in a hot loop", "[agent][runtime]") {
  Running run;
  run.splits.served_versions.clear();
  run.hub.publish(assignment(1, {kWeb}, {split("web-svc", 1, 0)}));
  REQUIRE(eventually([&] { return run.last_report() && !run.last_report()->applied.errors.empty(); }));
  CHECK_THAT(run.last_report()->applied.errors[0], Catch::Contains("TrafficSplit CRD missing"));
  const auto lists_before = run.splits.lists();
  std::this_thread::sleep_for(400ms);
  // Backoff 20 ms doubling to an 80 ms cap: at most ~10 passes in 400 ms
  // (a hot loop would make thousands).
  CHECK(run.splits.lists() - lists_before <= 12);
  CHECK(run.splits.lists() - lists_before >= 2);  // but it does retry

  // The CRD gets installed: the next retry applies.
  run.splits.served_versions = {"split.smi-spec.io/v1alpha2"};
  REQUIRE(eventually([&] { return run.splits.get("emojivoto", "web-svc").has_value(); }));
  REQUIRE(eventually([&] { return run.last_report()->applied.revision == 1; }));
}

TEST_CASE("fail static: a hub outage changes nothing, and on its return a full snapshot goes out and all converges",
          "[agent][runtime]") {
  Running run;
  run.hub.publish(assignment(1, {kWeb, kWebMirror}, {split("web-svc", 1, 0)}));
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 1; }));
  const auto writes = run.splits.writes();
  const auto object = *run.splits.get("emojivoto", "web-svc");

  run.hub.set_reachable(false);
  REQUIRE(eventually([&] { return run.metrics.hub_connected.value() == 0; }));
  // Meanwhile the endpoints change; the agent keeps measuring.
  run.on_loop([&] { run.cluster.upsert_slice(make_slice("emojivoto", "web-svc", 0, 2)); });
  const auto attempts = run.hub.report_attempts();
  REQUIRE(eventually([&] { return run.hub.report_attempts() >= attempts + 3; }));
  CHECK(run.splits.writes() == writes);
  CHECK(*run.splits.get("emojivoto", "web-svc") == object);

  // The hub returns (restarted: it knows no agent) with a new decision.
  const auto accepted_before = run.hub.reports().size();
  run.hub.forget_agents();
  run.hub.publish(assignment(2, {kWeb, kWebMirror}, {split("web-svc", 0, 1)}));
  run.hub.set_reachable(true);
  REQUIRE(eventually([&] { return run.hub.reports().size() > accepted_before; }));
  const auto back = run.hub.reports()[accepted_before];
  CHECK(back.full);
  CHECK(back.services.size() == 2);
  REQUIRE(eventually([&] { return run.last_report()->applied.revision == 2; }));
  CHECK_THAT(*run.splits.get("emojivoto", "web-svc"), Catch::Contains(R"("web-svc-east","weight":1)"));
  CHECK(run.metrics.hub_connected.value() == 1);
  auto health = run.last_reported(kWeb);
  REQUIRE(health);
  CHECK(health->ready_endpoints == 0);
}

TEST_CASE("a report waiting out its backoff goes at once when a new hub process answers a poll",
          "[agent][runtime]") {
  // A hub killed and replaced by another leader: the agent's polls reach the
  // new leader at once, but its reports wait out their backoff, and the new
  // leader counts the cluster as silent meanwhile (the chaos suite saw 9 s,
  // long enough for silentFailoverSeconds 6 to fail away from a healthy
  // cluster). Reports back off for a minute here, polls for milliseconds.
  Running run(false);
  run.options.reporter.backoff = {60s, 60s, 2.0, 0.0};
  run.start();
  auto first = assignment(1, {kWeb, kWebMirror}, {});
  first.epoch = "epoch-a";
  run.hub.publish(first);
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 1; }));

  run.hub.set_reachable(false);
  const auto attempts = run.hub.report_attempts();
  REQUIRE(eventually([&] { return run.hub.report_attempts() > attempts && run.metrics.hub_connected.value() == 0; }));

  const auto accepted_before = run.hub.reports().size();
  run.hub.forget_agents();
  auto next = assignment(2, {kWeb, kWebMirror}, {});
  next.epoch = "epoch-b";
  run.hub.publish(next);
  run.hub.set_reachable(true);
  REQUIRE(eventually([&] { return run.hub.reports().size() > accepted_before; }));
  CHECK(run.hub.reports()[accepted_before].full);
  CHECK(run.hub.conflicts() == 0);
}

TEST_CASE("a poll waiting out its backoff goes at once when a report gets through again", "[agent][runtime]") {
  // The other way round: after a leader change the agent's report reached
  // the new leader at once but its poll waited out a 7 s backoff, so a
  // decision made meanwhile reached this cluster 5.6 s late (chaos suite,
  // seed 2026). Polls back off for a minute here, reports for milliseconds.
  Running run(false);
  run.options.poller.backoff = {60s, 60s, 2.0, 0.0};
  run.start();
  run.hub.publish(assignment(1, {kWeb, kWebMirror}, {}));
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 1; }));

  const auto failed_polls = run.hub.poll_failures();
  const auto reports = run.hub.report_attempts();
  run.hub.set_reachable(false);
  // The poll failed (its next try is a minute away) and so did a report.
  REQUIRE(eventually([&] { return run.hub.poll_failures() > failed_polls && run.hub.report_attempts() > reports; }));

  run.hub.publish(assignment(2, {kWeb, kWebMirror}, {}));
  run.hub.set_reachable(true);
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 2; }));
}

TEST_CASE("after a long outage the agent reaches the hub again within the hub retry cap", "[agent][runtime]") {
  // A leader change: nobody answers for a while, then a new leader does.
  // With the default cap (kHubRetryBackoff, 2 s) the agent gets through at
  // most one cap after the hub is back; with the 30 s cap it had, five
  // failures in a row meant waiting 4-8 s more (the chaos suite saw up to 9 s).
  Running run(false);
  run.options.poller.backoff = PollerOptions{}.backoff;
  run.options.reporter.backoff = ReporterOptions{}.backoff;
  run.start();
  run.hub.publish(assignment(1, {kWeb, kWebMirror}, {}));
  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 1; }));

  const auto polls = run.hub.poll_failures();
  const auto reports = run.hub.report_attempts();
  run.hub.set_reachable(false);
  // Five failed attempts of each: past the cap's doubling (0.5, 1, 2, 2, 2 s).
  REQUIRE(eventually([&] { return run.hub.poll_failures() >= polls + 5 && run.hub.report_attempts() >= reports + 5; },
                     20s));

  const auto accepted = run.hub.reports().size();
  run.hub.publish(assignment(2, {kWeb, kWebMirror}, {}));
  const auto back = std::chrono::steady_clock::now();
  run.hub.set_reachable(true);
  REQUIRE(eventually([&] { return run.hub.reports().size() > accepted; }, 10s));
  // The 2 s cap, and a margin for a loaded machine.
  CHECK(std::chrono::steady_clock::now() - back < 3s);
}

TEST_CASE("stopping the agent while a poll is parked returns promptly", "[agent][runtime]") {
  auto run = std::make_unique<Running>();
  run->hub.publish(assignment(1, {kWeb}, {}));
  REQUIRE(eventually([&] { return !run->hub.reports().empty(); }));
  const auto started = std::chrono::steady_clock::now();
  run.reset();
  CHECK(std::chrono::steady_clock::now() - started < 2s);
}

TEST_CASE("failing namespace watches show in the watch error counter", "[agent][runtime]") {
  Running run;
  run.hub.publish(assignment(1, {kWeb}, {}));
  REQUIRE(eventually([&] { return !run.hub.reports().empty(); }));
  run.on_loop([&] { run.cluster.failures = 4; });
  REQUIRE(eventually([&] { return run.metrics.watch_errors.value() == 4; }));  // counted at the next tick (1 s)
  run.on_loop([&] { run.cluster.failures = 5; });
  REQUIRE(eventually([&] { return run.metrics.watch_errors.value() == 5; }));
}

TEST_CASE("a delta assignment is applied by touching only what it names, keeping the watch list",
          "[agent][runtime]") {
  Running run;
  run.hub.publish(assignment(1, {kWeb}, {split("web-svc", 1, 0), split("old", 1, 0), split("other", 1, 0)}));
  REQUIRE(eventually([&] { return run.splits.size() == 3 && run.last_report() && run.last_report()->applied.revision == 1; }));
  const auto lists = run.splits.lists();
  int watches_started = 0;
  run.on_loop([&] { watches_started = run.cluster.started; });

  protocol::Assignment delta;
  delta.revision = 2;
  delta.epoch = "hub-1";
  delta.full = false;
  delta.watch_changed = false;
  delta.traffic_splits = {split("web-svc", 0, 1)};
  delta.removed_traffic_splits = {{"emojivoto", "old", {}}};
  run.hub.publish(delta);

  REQUIRE(eventually([&] { return run.last_report() && run.last_report()->applied.revision == 2; }));
  CHECK(run.last_report()->applied.errors.empty());
  CHECK(run.splits.lists() == lists);  // nothing listed: only the named TrafficSplits were touched
  CHECK(run.splits.patches() == 1);
  CHECK(run.splits.deletes() == 1);
  CHECK(run.splits.size() == 2);
  CHECK_THAT(*run.splits.get("emojivoto", "web-svc"), Catch::Contains(R"("weight":0},{"service":"web-svc-east","weight":1)"));
  CHECK(run.splits.get("emojivoto", "other"));
  // The watch list was not in the delta: what is watched stays.
  run.on_loop([&] {
    CHECK(run.cluster.started == watches_started);
    CHECK(run.cluster.active.count("emojivoto") == 1);
  });
}
