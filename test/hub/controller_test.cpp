// The controller between informers/agents and the engine: tokens,
// assignments and their revisions, status writes without churn, Events,
// connection tracking and restart.
#include "hub_fixture.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace switchyard::hub::testing;
using S = std::vector<std::string>;
using protocol::ServiceRole;

TEST_CASE("tokens come from the Secret each MemberCluster names", "[hub]") {
  Hub hub;
  hub.controller.member_cluster_changed(member_object("east"), hub.now);
  CHECK(hub.tokens.check("east", "token-east") == TokenVerdict::Unauthenticated);  // no Secret yet
  hub.controller.secret_changed(secret_object("agent-east", "token-east"));
  CHECK(hub.tokens.check("east", "token-east") == TokenVerdict::Allowed);
  hub.controller.secret_changed(secret_object("agent-east", "rotated"));
  CHECK(hub.tokens.check("east", "token-east") == TokenVerdict::Unauthenticated);
  CHECK(hub.tokens.check("east", "rotated") == TokenVerdict::Allowed);
  hub.controller.secret_deleted("switchyard-system", "agent-east");
  CHECK(hub.tokens.check("east", "rotated") == TokenVerdict::Unauthenticated);
  hub.controller.secret_changed(secret_object("agent-east", "again"));
  hub.controller.member_cluster_deleted("east", hub.now);
  CHECK(hub.tokens.check("east", "again") == TokenVerdict::Unauthenticated);
  CHECK(hub.tokens.size() == 0);
}

TEST_CASE("two MemberClusters with one token: refused for both, a condition and a Warning on each naming the other",
          "[hub]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.flush();
  REQUIRE(hub.tokens.check("east", "token-east") == TokenVerdict::Allowed);
  auto conflict_of = [&](const std::string& cluster) {
    const auto writes = hub.statuses.of(WriteKind::MemberClusterStatus, cluster);
    if (writes.empty()) return std::string("(no status)");
    auto document = parse(writes.back().status_json);
    for (const auto& condition : (*document)["conditions"].GetArray()) {
      if (std::string(condition["type"].GetString()) == "TokenConflict") return std::string(condition["message"].GetString());
    }
    return std::string();
  };

  SECTION("two Secrets with the same value") {
    hub.controller.secret_changed(secret_object("agent-east", "token-west"));
    hub.flush();
    CHECK(hub.tokens.check("east", "token-west") == TokenVerdict::Shared);
    CHECK(hub.tokens.check("west", "token-west") == TokenVerdict::Shared);
    CHECK_THAT(hub.statuses.of(WriteKind::MemberClusterStatus, "east").back().status_json,
               Catch::Contains(R"("type":"Connected","status":"False")") && !Catch::Contains("1970"));
    CHECK(conflict_of("east") ==
          "the agent token in Secret switchyard-system/agent-east key token is also the token of MemberCluster "
          "west: it authenticates none of them until each cluster has its own");
    CHECK_THAT(conflict_of("west"), Catch::Contains("Secret switchyard-system/agent-west") &&
                                        Catch::Contains("also the token of MemberCluster east"));
    const auto events = hub.events.with_reason("TokenShared");
    REQUIRE(events.size() == 2);
    CHECK(events[0].warning);
    CHECK(events[0].subject.kind == "MemberCluster");
    CHECK(((events[0].subject.name == "east" && events[1].subject.name == "west") ||
           (events[0].subject.name == "west" && events[1].subject.name == "east")));
    // Nothing new: nothing written or recorded again.
    const auto writes = hub.statuses.writes.size();
    hub.advance(1);
    CHECK(hub.statuses.writes.size() == writes);
    CHECK(hub.events.with_reason("TokenShared").size() == 2);

    // east gets its own token: both authenticate, the conditions go.
    hub.controller.secret_changed(secret_object("agent-east", "token-east"));
    hub.flush();
    CHECK(hub.tokens.check("east", "token-east") == TokenVerdict::Allowed);
    CHECK(hub.tokens.check("west", "token-west") == TokenVerdict::Allowed);
    CHECK(conflict_of("east").empty());
    CHECK(conflict_of("west").empty());
    CHECK(hub.events.with_reason("TokenUnique").size() == 2);
  }
  SECTION("one Secret named by both") {
    auto north = member_object("north");
    north.token_ref->name = "agent-west";
    hub.controller.member_cluster_changed(north, hub.now);
    hub.flush();
    CHECK(hub.tokens.check("north", "token-west") == TokenVerdict::Shared);
    CHECK(hub.tokens.check("west", "token-west") == TokenVerdict::Shared);
    CHECK(hub.tokens.check("east", "token-east") == TokenVerdict::Allowed);
    CHECK_THAT(conflict_of("north"), Catch::Contains("Secret switchyard-system/agent-west key token") &&
                                         Catch::Contains("MemberCluster west:"));
    CHECK_THAT(conflict_of("west"), Catch::Contains("MemberCluster north:"));
    CHECK(conflict_of("east") == "(no status)");
    // Deleting north ends west's conflict.
    hub.controller.member_cluster_deleted("north", hub.now);
    hub.flush();
    CHECK(hub.tokens.check("west", "token-west") == TokenVerdict::Allowed);
    CHECK(conflict_of("west").empty());
  }
}

TEST_CASE("an invalid FailoverService is shown Invalid with the field and yields no TrafficSplit", "[hub]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.controller.failover_service_changed(
      fos_object(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
                 R"({"cluster":"eest","namespace":"emojivoto","name":"web-svc"}]})"),
      hub.now);
  hub.flush();
  hub.all_healthy();
  hub.flush();
  const auto status = hub.last_status();
  CHECK(std::string((*status)["state"].GetString()) == "Invalid");
  CHECK_THAT(std::string((*status)["message"].GetString()), Catch::Contains("spec.backingServices[1].cluster"));
  CHECK(hub.assignment("west").traffic_splits.empty());
  CHECK(hub.assignment("east").traffic_splits.empty());
  REQUIRE(hub.events.with_reason("InvalidSpec").size() == 1);
  CHECK(hub.events.with_reason("InvalidSpec")[0].subject.name == "web-svc");
  CHECK(hub.events.with_reason("InvalidSpec")[0].warning);
}

TEST_CASE("a valid FailoverService yields each consumer's TrafficSplit once its agents report", "[hub]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.flush();
  // Before any report: watch lists but no decision, hence no TrafficSplit.
  const auto first = hub.assignment("west");
  CHECK(first.traffic_splits.empty());
  CHECK(first.watch.size() == 2);
  hub.all_healthy();
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  CHECK(hub.split("east") == S{"web-svc-west=1", "web-svc=0"});
  const auto west = hub.assignment("west");
  CHECK(west.traffic_splits[0].labels.at("switchyard.io/failover-service") == "emojivoto.web-svc");
  CHECK(west.revision == hub.controller.revision("west"));

  SECTION("heartbeats and unchanged reports change no revision and write nothing") {
    hub.all_healthy();  // the agents apply the current revision: a real change, written once
    hub.flush();
    CHECK((*hub.last_status())["conditions"][1]["status"] == "True");  // Ready
    const auto revision = hub.controller.revision("west");
    const auto writes = hub.statuses.writes.size();
    for (int i = 0; i < 5; ++i) {
      hub.now += 3000;
      hub.all_healthy();
      hub.flush();
    }
    CHECK(hub.controller.revision("west") == revision);
    CHECK(hub.statuses.writes.size() == writes);
  }
  SECTION("the echo of the hub's own status write causes no new write") {
    const auto written = hub.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").back().status_json;
    const auto writes = hub.statuses.writes.size();
    hub.controller.failover_service_changed(fos_object(kTwoClusterSpec, written), hub.now);
    hub.flush();
    CHECK(hub.statuses.writes.size() == writes);
    SECTION("but a status someone else changed is written back") {
      hub.controller.failover_service_changed(fos_object(kTwoClusterSpec, R"({"state":"Primary"})"), hub.now);
      hub.flush();
      REQUIRE(hub.statuses.writes.size() == writes + 1);
      CHECK(hub.statuses.writes.back().status_json == written);
    }
  }
}

TEST_CASE("a health change yields new revisions, a FailedOver status and an Event, and failback waits", "[hub]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.all_healthy();
  hub.flush();
  hub.report("west", {{"web-svc", 2}, {"web-svc-east", 1, ServiceRole::Mirror}}, hub.applied("west"));
  hub.report("east", {{"web-svc", 2}, {"web-svc-west", 1, ServiceRole::Mirror}}, hub.applied("east"));
  hub.flush();
  const auto west_revision = hub.controller.revision("west");
  const auto east_revision = hub.controller.revision("east");
  const auto status_writes = hub.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").size();

  hub.now += 1000;
  hub.report("west", {{"web-svc", 0}, {"web-svc-east", 1, ServiceRole::Mirror}}, hub.applied("west"));
  hub.flush();
  CHECK(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});
  CHECK(hub.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK(hub.controller.revision("west") == west_revision + 1);
  CHECK(hub.controller.revision("east") == east_revision + 1);
  CHECK(hub.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").size() == status_writes + 1);
  const auto status = hub.last_status();
  CHECK(std::string((*status)["state"].GetString()) == "FailedOver");
  CHECK((*status)["failoverCount"].GetInt() == 1);
  CHECK((*status)["consumers"][0]["desiredRevision"].GetInt64() == west_revision + 1);
  CHECK_FALSE((*status)["consumers"][0]["inSync"].GetBool());
  CHECK(hub.events.with_reason("FailedOver").size() >= 1);
  CHECK(hub.hub_metrics.failovers.value() >= 1);

  SECTION("an agent applying the new revision puts the consumer in sync") {
    hub.report("west", {}, hub.applied("west"), false);
    hub.flush();
    CHECK((*hub.last_status())["consumers"][0]["inSync"].GetBool());
  }
  SECTION("failback only after the delay") {
    hub.now += 1000;
    hub.report("west", {{"web-svc", 2}}, hub.applied("west"), false);
    hub.flush();
    CHECK(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});
    const auto deadline = hub.controller.next_deadline(hub.now);
    REQUIRE(deadline);
    CHECK(*deadline <= hub.now + 30'000);
    hub.now += 30'000;
    hub.report("west", {}, hub.applied("west"), false);
    hub.report("east", {}, hub.applied("east"), false);
    hub.flush();
    CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
    CHECK(hub.events.with_reason("FailedBack").size() >= 1);
    CHECK(hub.hub_metrics.failbacks.value() >= 1);
  }
}

TEST_CASE("MemberCluster status follows connection changes judged by hub receive times", "[hub]") {
  Hub hub(kStart, std::chrono::seconds(15));
  hub.add_members({"west", "east"});
  hub.flush();
  CHECK(hub.statuses.writes.empty());  // nothing known yet: start-up grace
  hub.report("east", {}, 0);
  hub.flush();
  CHECK(hub.controller.connected("east"));
  REQUIRE(hub.statuses.of(WriteKind::MemberClusterStatus, "east").size() == 1);
  CHECK(hub.events.with_reason("ClusterConnected").size() == 1);
  CHECK(hub.hub_metrics.connected_agents.value() == 1);

  // west never reports: at the timeout it is shown disconnected (no event: it never was connected).
  REQUIRE(hub.controller.next_deadline(hub.now));
  CHECK(*hub.controller.next_deadline(hub.now) == kStart + 15'000);
  hub.now = kStart + 15'000;
  hub.report("east", {}, 0);  // a heartbeat, nothing new: no write
  hub.flush();
  REQUIRE(hub.statuses.of(WriteKind::MemberClusterStatus, "west").size() == 1);
  CHECK_THAT(hub.statuses.of(WriteKind::MemberClusterStatus, "west")[0].status_json,
             Catch::Contains(R"("connected":false)"));
  CHECK(hub.statuses.of(WriteKind::MemberClusterStatus, "east").size() == 1);
  CHECK(hub.events.with_reason("ClusterDisconnected").empty());

  // east falls silent: Connected=False, a Warning event, then nothing more.
  hub.now += 14'999;
  hub.flush();
  CHECK(hub.controller.connected("east"));
  hub.now += 1;
  hub.flush();
  CHECK_FALSE(hub.controller.connected("east"));
  const auto east = hub.statuses.of(WriteKind::MemberClusterStatus, "east");
  REQUIRE(east.size() == 2);
  CHECK_THAT(east[1].status_json, Catch::Contains(R"("connected":false)"));
  REQUIRE(hub.events.with_reason("ClusterDisconnected").size() == 1);
  CHECK(hub.events.with_reason("ClusterDisconnected")[0].warning);
  CHECK(hub.hub_metrics.connected_agents.value() == 0);
  hub.advance(60);
  CHECK(hub.statuses.of(WriteKind::MemberClusterStatus, "east").size() == 2);

  SECTION("a connected agent's reports write nothing, even as its applied revision and services move") {
    hub.report("east", {{"web-svc", 2}}, 0);
    hub.flush();
    REQUIRE(hub.statuses.of(WriteKind::MemberClusterStatus, "east").size() == 3);  // connected again
    for (std::int64_t applied = 1; applied <= 5; ++applied) {
      hub.now += 5000;
      hub.report("east", {{"web-svc", 2}, {"api-svc", static_cast<std::uint32_t>(applied)}}, applied);
      hub.flush();
    }
    CHECK(hub.statuses.of(WriteKind::MemberClusterStatus, "east").size() == 3);
  }
}

TEST_CASE("a restarted hub resumes from status: same TrafficSplits, higher revisions, no churn", "[hub]") {
  Hub before;
  before.add_members({"west", "east"});
  before.controller.failover_service_changed(fos_object(kTwoClusterSpec), before.now);
  before.all_healthy();
  before.flush();
  before.now += 1000;
  before.report("west", {{"web-svc", 0}, {"web-svc-east", 1, ServiceRole::Mirror}}, before.applied("west"));
  before.flush();
  before.report("west", {}, before.applied("west"), false);
  before.report("east", {}, before.applied("east"), false);
  before.flush();
  const auto west_split = before.split("west");
  const auto east_split = before.split("east");
  REQUIRE(west_split == S{"web-svc=0", "web-svc-east=1"});
  const auto recorded = before.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").back().status_json;
  const auto west_revision = before.controller.revision("west");
  CHECK((*parse(recorded))["failoverCount"].GetInt() == 1);

  Hub after(before.now + 5000);
  after.add_members({"west", "east"});
  after.controller.failover_service_changed(fos_object(kTwoClusterSpec, recorded), after.now);
  after.flush();
  CHECK(after.split("west") == west_split);
  CHECK(after.split("east") == east_split);
  CHECK(after.controller.revision("west") > west_revision);
  // Agents come back with the same health; nothing moves.
  after.now += 1000;
  after.report("east", {{"web-svc", 2}, {"web-svc-west", 1, ServiceRole::Mirror}}, west_revision);
  after.report("west", {{"web-svc", 0}, {"web-svc-east", 1, ServiceRole::Mirror}}, west_revision);
  after.flush();
  CHECK(after.split("west") == west_split);
  CHECK(after.split("east") == east_split);
  CHECK(after.events.with_reason("FailedOver").empty());
  CHECK(after.events.with_reason("FailedBack").empty());
  // The status it derives once both agents have reported is the recorded one:
  // nothing to write, before or after they reported.
  CHECK(after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").empty());

  // And it still decides and writes: east goes down too.
  after.now += 1000;
  after.report("east", {{"web-svc", 0}}, west_revision, false);
  after.flush();
  CHECK(std::string((*after.last_status())["state"].GetString()) == "NoHealthyBackend");
  CHECK((*after.last_status())["failoverCount"].GetInt() == 1);
}

TEST_CASE("a restarted hub keeps each recorded status until the clusters it names have reported or timed out",
          "[hub]") {
  Hub before;
  before.add_members({"west", "east"});
  before.controller.failover_service_changed(fos_object(kTwoClusterSpec), before.now);
  before.all_healthy();
  before.flush();
  before.all_healthy();  // the agents apply: in sync
  before.flush();
  const auto recorded = before.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").back().status_json;
  REQUIRE(std::string((*parse(recorded))["state"].GetString()) == "Primary");

  Hub after(before.now + 5000);
  after.add_members({"west", "east"});
  after.controller.failover_service_changed(fos_object(kTwoClusterSpec, recorded), after.now);
  after.flush();
  after.now += 1000;
  after.report("west", {{"web-svc", 2}, {"web-svc-east", 1, ServiceRole::Mirror}}, before.applied("west"));
  after.flush();
  // East has not reported: a status derived now would show its backend as
  // not reported yet. The recorded one stands.
  CHECK(after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").empty());

  SECTION("east reports as before: the derived status is the recorded one, still nothing written") {
    after.report("east", {{"web-svc", 2}, {"web-svc-west", 1, ServiceRole::Mirror}}, before.applied("east"));
    after.flush();
    CHECK(after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").empty());
  }
  SECTION("traffic moves before east has reported: the status records it at once") {
    // The status is what the next leader resumes from: a failover it did not
    // record would be undone by a handover (the chaos run saw a new leader
    // hand west the recorded, stale weights for 0.5 s).
    after.now += 1000;
    after.report("west", {{"web-svc", 0}, {"web-svc-east", 1, ServiceRole::Mirror}}, before.applied("west"), false);
    after.flush();
    REQUIRE(after.split("west") == S{"web-svc=0", "web-svc-east=1"});
    const auto writes = after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc");
    REQUIRE(writes.size() == 1);
    CHECK(std::string((*parse(writes.back().status_json))["state"].GetString()) == "FailedOver");
  }
  SECTION("east stays silent past --cluster-timeout: the status is derived and written without it") {
    after.now += 15'000;
    after.report("west", {}, before.applied("west"), false);
    after.flush();
    const auto writes = after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc");
    REQUIRE(writes.size() == 1);
    CHECK(writes.back().status_json != recorded);
  }
}

TEST_CASE("deleting a FailoverService withdraws its TrafficSplits with a new revision", "[hub]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.all_healthy();
  hub.flush();
  REQUIRE(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  const auto revision = hub.controller.revision("west");
  hub.controller.failover_service_deleted({"emojivoto", "web-svc"});
  hub.flush();
  CHECK(hub.controller.revision("west") == revision + 1);
  CHECK(hub.assignment("west").traffic_splits.empty());
  CHECK(hub.assignment("west").watch.empty());
  CHECK(hub.assignment("east").traffic_splits.empty());
}

namespace {

// web-svc over west and east, both healthy; north, a third member, reports too.
void three_members_healthy(Hub& hub) {
  hub.add_members({"west", "east", "north"});
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.all_healthy();
  hub.report("north", {}, 0);
  hub.flush();
}

}  // namespace

TEST_CASE("when most member clusters fall silent at once the hub freezes and says so", "[hub]") {
  Hub hub;
  three_members_healthy(hub);
  const auto west_split = hub.split("west");
  // Only north keeps reporting; west and east go silent past the fleet threshold.
  for (int second = 0; second < 60; second += 5) {
    hub.now += 5000;
    hub.report("north", {}, 0);
    hub.flush();
  }
  CHECK(std::string((*hub.last_status())["state"].GetString()) == "Frozen");
  CHECK(hub.events.with_reason("Frozen").size() == 1);
  CHECK(hub.split("west") == west_split);
}

TEST_CASE("with silentFailoverSeconds 2 the hub freezes before it could fail away from the silent majority",
          "[hub]") {
  Hub hub;
  hub.add_members({"west", "east", "north"});
  hub.controller.failover_service_changed(
      fos_object(R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
                 R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],)"
                 R"("health":{"unknownAfterSeconds":1,"silentFailoverSeconds":2}})"),
      hub.now);
  hub.all_healthy();
  hub.report("north", {}, 0);
  hub.flush();
  const auto east_split = hub.split("east");
  REQUIRE(east_split == S{"web-svc-west=1", "web-svc=0"});
  // The hub loses west and north; only east still reports, every 500 ms.
  for (int i = 0; i < 10; ++i) {
    hub.now += 500;
    hub.report("east", {}, hub.applied("east"), false);
    hub.flush();
  }
  CHECK(std::string((*hub.last_status())["state"].GetString()) == "Frozen");
  CHECK(hub.events.with_reason("Frozen").size() == 1);
  CHECK(hub.events.with_reason("FailedOver").empty());
  CHECK(hub.split("east") == east_split);
}

TEST_CASE("a silent cluster hears nothing decided while it was silent: its next report decides what it gets",
          "[hub]") {
  Hub hub;
  three_members_healthy(hub);
  // west's primary goes down and its mirror of east looks unready: nothing is
  // usable from west, so it keeps the primary's weights (rule 3).
  hub.report("west", {{"web-svc", 0}, {"web-svc-east", 0, ServiceRole::Mirror}}, hub.applied("west"));
  hub.flush();
  REQUIRE(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  const auto revision = hub.controller.revision("west");
  // west falls silent. Deciding on east's side alone (rule 2) would send
  // west's traffic to east: that decision is provisional and not published.
  for (int second = 0; second < 50; second += 10) {
    hub.now += 10'000;
    hub.report("east", {}, hub.applied("east"), false);
    hub.report("north", {}, 0, false);
    hub.flush();
  }
  CHECK(hub.controller.revision("west") == revision);
  CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});

  SECTION("back with its primary healthy: it keeps it, and no new revision at all") {
    hub.report("west", {{"web-svc", 2}, {"web-svc-east", 1, ServiceRole::Mirror}}, revision);
    hub.flush();
    CHECK(hub.controller.revision("west") == revision);
    CHECK(hub.split("west") == S{"web-svc=1", "web-svc-east=0"});
  }
  SECTION("back with its primary still down and east reachable: moved on its fresh report") {
    hub.report("west", {{"web-svc", 0}, {"web-svc-east", 1, ServiceRole::Mirror}}, revision);
    hub.flush();
    CHECK(hub.controller.revision("west") == revision + 1);
    CHECK(hub.split("west") == S{"web-svc=0", "web-svc-east=1"});
  }
}

namespace {

const std::string kApiSpec =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"api-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"api-svc"}],"failback":{"delaySeconds":30}})";

// Two FailoverServices, web-svc and api-svc, over the same two consumers.
struct TwoServices {
  TwoServices() {
    hub.add_members({"west", "east"});
    hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
    hub.controller.failover_service_changed(fos_object(kApiSpec, "", 1, "api-svc"), hub.now);
    hub.flush();
    report_all(2);
    hub.flush();
    report_all(2);  // the agents apply what the hub decided
    hub.flush();
  }
  void report_all(std::uint32_t web_west_ready) {
    hub.report("west", {{"web-svc", web_west_ready}, {"api-svc", 2},
                        {"web-svc-east", 1, ServiceRole::Mirror}, {"api-svc-east", 1, ServiceRole::Mirror}},
               hub.applied("west"));
    hub.report("east", {{"web-svc", 2}, {"api-svc", 2},
                        {"web-svc-west", 1, ServiceRole::Mirror}, {"api-svc-west", 1, ServiceRole::Mirror}},
               hub.applied("east"));
  }
  std::size_t writes(const std::string& name) const {
    return hub.statuses.of(WriteKind::FailoverServiceStatus, name).size();
  }
  Hub hub;
};

std::int64_t consumer_field(const rapidjson::Document& status, std::size_t consumer, const char* field) {
  return status["consumers"][static_cast<rapidjson::SizeType>(consumer)][field].GetInt64();
}

}  // namespace

TEST_CASE("a failover of one FailoverService writes its status and leaves the others' alone", "[hub]") {
  TwoServices fleet;
  auto& hub = fleet.hub;
  const auto api_status = hub.last_status("api-svc");
  const auto api_desired_west = consumer_field(*api_status, 0, "desiredRevision");
  REQUIRE((*api_status)["consumers"][0]["inSync"].GetBool());
  REQUIRE((*hub.last_status())["consumers"][0]["inSync"].GetBool());
  const auto web_before = fleet.writes("web-svc");
  const auto api_before = fleet.writes("api-svc");
  const auto west_revision = hub.controller.revision("west");
  const auto west_before = hub.assignment("west");

  // web-svc fails over: both consumers get a new revision.
  hub.now += 1000;
  fleet.report_all(0);
  hub.flush();
  REQUIRE(hub.controller.revision("west") > west_revision);
  // The assignment is updated in place: web-svc's split replaced at its
  // sorted place, api-svc's and the watch list exactly as they were.
  const auto west_after = hub.assignment("west");
  REQUIRE(west_before.traffic_splits.size() == 2);
  REQUIRE(west_after.traffic_splits.size() == 2);
  CHECK(west_after.watch == west_before.watch);
  CHECK(west_after.traffic_splits[0].name == "api-svc");
  CHECK(west_after.traffic_splits[0] == west_before.traffic_splits[0]);
  CHECK(west_after.traffic_splits[1].name == "web-svc");
  CHECK(west_after.traffic_splits[1].object_json != west_before.traffic_splits[1].object_json);
  CHECK(fleet.writes("web-svc") == web_before + 1);  // one write for the decision
  CHECK(fleet.writes("api-svc") == api_before);      // nothing of api-svc moved
  const auto web = hub.last_status();
  CHECK(std::string((*web)["state"].GetString()) == "FailedOver");
  CHECK(consumer_field(*web, 0, "desiredRevision") == hub.controller.revision("west"));
  CHECK_FALSE((*web)["consumers"][0]["inSync"].GetBool());

  SECTION("agents applying the new revision move only web-svc, once per consumer") {
    hub.now += 1000;
    fleet.report_all(0);
    hub.flush();
    CHECK(fleet.writes("web-svc") == web_before + 2);  // both consumers caught up in the same batch
    CHECK(fleet.writes("api-svc") == api_before);
    const auto synced = hub.last_status();
    CHECK((*synced)["consumers"][0]["inSync"].GetBool());
    CHECK((*synced)["consumers"][1]["inSync"].GetBool());
    CHECK(std::string((*synced)["conditions"][1]["status"].GetString()) == "True");  // Ready
    // api-svc still wants the revision its own split last changed at, and has
    // it (re-derived because someone else overwrote its status).
    hub.controller.failover_service_changed(fos_object(kApiSpec, "{}", 1, "api-svc"), hub.now);
    hub.flush();
    const auto api = hub.last_status("api-svc");
    CHECK(consumer_field(*api, 0, "desiredRevision") == api_desired_west);
    CHECK(consumer_field(*api, 0, "appliedRevision") == api_desired_west);
    CHECK((*api)["consumers"][0]["inSync"].GetBool());
  }
  SECTION("a consumer behind its FailoverService's revision shows it until it catches up") {
    hub.now += 1000;
    hub.report("west", {}, hub.applied("west"), false);  // west caught up; east has not reported since
    hub.flush();
    CHECK(fleet.writes("web-svc") == web_before + 2);
    CHECK(fleet.writes("api-svc") == api_before);
    const auto status = hub.last_status();
    CHECK((*status)["consumers"][0]["inSync"].GetBool());
    CHECK_FALSE((*status)["consumers"][1]["inSync"].GetBool());
    CHECK(consumer_field(*status, 1, "appliedRevision") < consumer_field(*status, 1, "desiredRevision"));
    CHECK(std::string((*status)["conditions"][1]["status"].GetString()) == "False");
  }
}

TEST_CASE("an agent polling with the hub's epoch is sent only what a decision changed", "[hub]") {
  TwoServices fleet;
  auto& hub = fleet.hub;
  const auto before = hub.controller.revision("west");
  const auto far = AssignmentBoard::Clock::now() + std::chrono::seconds(60);

  // web-svc fails over: only its split moves in west.
  hub.now += 1000;
  fleet.report_all(0);
  hub.flush();
  REQUIRE(hub.controller.revision("west") > before);
  auto answer = hub.board.wait_for_change("west", before, far, hub.board.epoch());
  REQUIRE(answer);
  auto delta = protocol::decode_assignment(answer->text());
  INFO(delta.message());
  REQUIRE(delta.ok());
  CHECK_FALSE(delta.value->full);
  CHECK(delta.value->revision == hub.controller.revision("west"));
  CHECK_FALSE(delta.value->watch_changed);
  REQUIRE(delta.value->traffic_splits.size() == 1);
  CHECK(delta.value->traffic_splits[0].name == "web-svc");
  CHECK(delta.value->traffic_splits[0] == hub.assignment("west").traffic_splits[1]);
  CHECK(delta.value->removed_traffic_splits.empty());

  SECTION("a deleted FailoverService is named as removed, with the watch list that changed") {
    const auto at = hub.controller.revision("west");
    hub.controller.failover_service_deleted({"emojivoto", "web-svc"});
    hub.flush();
    answer = hub.board.wait_for_change("west", at, far, hub.board.epoch());
    delta = protocol::decode_assignment(answer->text());
    REQUIRE(delta.ok());
    CHECK_FALSE(delta.value->full);
    CHECK(delta.value->traffic_splits.empty());
    REQUIRE(delta.value->removed_traffic_splits.size() == 1);
    CHECK(delta.value->removed_traffic_splits[0] == protocol::SplitName{"emojivoto", "web-svc", ""});
    CHECK(delta.value->watch_changed);
    CHECK(delta.value->watch == hub.assignment("west").watch);
  }
  SECTION("an agent without the epoch gets the complete assignment") {
    const auto complete = protocol::decode_assignment(hub.board.wait_for_change("west", before, far)->text());
    REQUIRE(complete.ok());
    CHECK(complete.value->full);
    CHECK(complete.value->traffic_splits.size() == 2);
  }
}

TEST_CASE("a restarted hub resumes each FailoverService's own revisions and writes no status", "[hub]") {
  TwoServices fleet;
  auto& before = fleet.hub;
  before.now += 1000;
  fleet.report_all(0);  // web-svc fails over: its revisions move past api-svc's
  before.flush();
  fleet.report_all(0);
  before.flush();
  const auto web = before.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").back().status_json;
  const auto api = before.statuses.of(WriteKind::FailoverServiceStatus, "api-svc").back().status_json;
  REQUIRE(consumer_field(*parse(web), 0, "desiredRevision") > consumer_field(*parse(api), 0, "desiredRevision"));
  const auto west_applied = before.applied("west");
  const auto east_applied = before.applied("east");

  Hub after(before.now + 5000);
  after.add_members({"west", "east"});
  after.controller.failover_service_changed(fos_object(kTwoClusterSpec, web), after.now);
  after.controller.failover_service_changed(fos_object(kApiSpec, api, 1, "api-svc"), after.now);
  after.flush();
  CHECK(after.controller.revision("west") > west_applied);
  // The agents come back with what they applied from the previous hub.
  after.now += 1000;
  after.report("west", {{"web-svc", 0}, {"api-svc", 2}, {"web-svc-east", 1, ServiceRole::Mirror},
                        {"api-svc-east", 1, ServiceRole::Mirror}}, west_applied);
  after.report("east", {{"web-svc", 2}, {"api-svc", 2}, {"web-svc-west", 1, ServiceRole::Mirror},
                        {"api-svc-west", 1, ServiceRole::Mirror}}, east_applied);
  after.flush();
  // Whatever else a restarted hub re-derives (health it has not heard yet),
  // each FailoverService keeps the revisions it had: nothing moves them.
  for (const auto& [name, recorded] : {std::pair{"web-svc", web}, std::pair{"api-svc", api}}) {
    const auto was = parse(recorded);
    for (const auto& write : after.statuses.of(WriteKind::FailoverServiceStatus, name)) {
      INFO(name << ": " << write.status_json);
      const auto now = parse(write.status_json);
      for (std::size_t c = 0; c < 2; ++c) {
        CHECK(consumer_field(*now, c, "desiredRevision") == consumer_field(*was, c, "desiredRevision"));
        CHECK(consumer_field(*now, c, "appliedRevision") == consumer_field(*was, c, "appliedRevision"));
      }
    }
  }
  const auto web_writes = after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").size();
  // A new decision after the restart gets a revision above every recorded one.
  after.now += 1000;
  after.report("west", {{"api-svc", 0}}, west_applied, false);
  after.flush();
  const auto moved = after.last_status("api-svc");
  CHECK(consumer_field(*moved, 0, "desiredRevision") == after.controller.revision("west"));
  CHECK(consumer_field(*moved, 0, "desiredRevision") > west_applied);
  CHECK(after.statuses.of(WriteKind::FailoverServiceStatus, "web-svc").size() == web_writes);
}

TEST_CASE("an agent's apply errors become one ApplyFailed Event per change, and Applied when they clear", "[hub]") {
  Hub hub;
  hub.add_members({"west", "east"});
  hub.controller.failover_service_changed(fos_object(kTwoClusterSpec), hub.now);
  hub.all_healthy();
  hub.flush();
  protocol::Report report;
  report.agent_id = "west-agent";
  report.full = true;
  report.applied.errors = {"TrafficSplit emojivoto/web-svc exists and is not managed by switchyard"};
  for (int i = 0; i < 3; ++i) {  // the agent repeats them in every report while it retries
    report.seq = ++hub.seq["west"];
    hub.controller.report_received("west", protocol::Report(report), hub.now);
    hub.flush();
  }
  const auto failed = hub.events.with_reason("ApplyFailed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].warning);
  CHECK(failed[0].subject.kind == "MemberCluster");
  CHECK(failed[0].subject.name == "west");
  CHECK_THAT(failed[0].message, Catch::Contains("not managed by switchyard"));

  report.applied.errors.clear();
  report.seq = ++hub.seq["west"];
  hub.controller.report_received("west", protocol::Report(report), hub.now);
  hub.flush();
  CHECK(hub.events.with_reason("ApplyFailed").size() == 1);
  REQUIRE(hub.events.with_reason("Applied").size() == 1);
  CHECK_FALSE(hub.events.with_reason("Applied")[0].warning);
}
