// Rule 1a (api.md): data-plane evidence. One test per clause; each fails
// when its clause is broken.
#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include "engine_fixture.h"
#include "switchyard/core/data_plane.h"

using namespace switchyard::core;
using namespace switchyard::core::testing;
using S = std::vector<std::string>;

namespace {

DataPlanePolicy rate_policy(std::uint32_t failures = 2, std::uint32_t successes = 2) {
  DataPlanePolicy policy;
  policy.success_rate = SuccessRateCheck{0.95, 30'000, 1};
  policy.failure_threshold = failures;
  policy.success_threshold = successes;
  return policy;
}

DataPlaneSample sample(double rps, std::optional<double> rate, std::optional<double> latency = std::nullopt) {
  return DataPlaneSample{rps, rate, latency, {}, "", std::nullopt, std::nullopt};
}

// What an agent that measured the share within `within_ms` reports.
DataPlaneSample share_sample(double rps, double share, TimeMs within_ms) {
  return DataPlaneSample{rps, 0.99, std::nullopt, {}, "", share, within_ms};
}

const std::string kChecked =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},)"
    R"("health":{"successRate":{"minimum":0.95,"window":"30s"},"failureThreshold":2,"successThreshold":3}})";

// `cluster`'s agent reports one evaluation of its web-svc.
void evaluated(Fleet& fleet, const std::string& cluster, std::optional<DataPlaneSample> measured) {
  const auto id = fleet.engine.cluster_id(cluster);
  fleet.engine.heard_from(id, fleet.now);
  fleet.engine.observe_data_plane(fleet.engine.service_id(id, "emojivoto", "web-svc", ServiceRole::Local),
                                  std::move(measured));
  fleet.engine.data_plane_evaluated(id);
  fleet.evaluate();
}

}  // namespace

TEST_CASE("judge: a rate under the minimum fails, at or over it passes", "[core][dataplane]") {
  const auto policy = rate_policy();
  const auto low = sample(12.3, 0.41);
  const auto at = sample(12.3, 0.95);
  CHECK(judge(policy, &low) == CheckOutcome::Fail);
  CHECK(judge(policy, &at) == CheckOutcome::Pass);
  CHECK(describe(policy, &low) == "success rate 41% < 95% over 30s at 12.3 rps");
}

TEST_CASE("judge: below minRequestsPerSecond is not enough traffic, never a failure", "[core][dataplane]") {
  const auto policy = rate_policy();
  const auto quiet = sample(0.5, 0.0);
  CHECK(judge(policy, &quiet) == CheckOutcome::NotEnoughTraffic);
  CHECK(describe(policy, &quiet) == "not enough traffic (0.5 rps < 1)");
}

TEST_CASE("judge: an error, no sample or no number is Unknown", "[core][dataplane]") {
  const auto policy = rate_policy();
  DataPlaneSample failed;
  failed.error = "Prometheus unreachable: connection refused";
  const auto no_rate = sample(5, std::nullopt);
  CHECK(judge(policy, &failed) == CheckOutcome::Unknown);
  CHECK(judge(policy, nullptr) == CheckOutcome::Unknown);
  CHECK(judge(policy, &no_rate) == CheckOutcome::Unknown);
}

TEST_CASE("judge: latency over its maximum fails, and a failure outranks an Unknown", "[core][dataplane]") {
  DataPlanePolicy policy = rate_policy();
  policy.latency = LatencyCheck{0.99, 500, 30'000};
  const auto slow = sample(10, 0.99, 812);
  const auto fast = sample(10, 0.99, 120);
  const auto slow_rate_unknown = sample(10, std::nullopt, 812);
  const auto fast_rate_unknown = sample(10, std::nullopt, 120);
  CHECK(judge(policy, &slow) == CheckOutcome::Fail);
  CHECK(judge(policy, &fast) == CheckOutcome::Pass);
  CHECK(judge(policy, &slow_rate_unknown) == CheckOutcome::Fail);
  CHECK(judge(policy, &fast_rate_unknown) == CheckOutcome::Unknown);
  CHECK(describe(policy, &slow) == "success rate 99% >= 95% over 30s at 10 rps; latency p99 812ms > 500ms over 30s");
}

TEST_CASE("judge: latency as the share within the maximum passes while share >= quantile", "[core][dataplane]") {
  DataPlanePolicy policy = rate_policy();
  policy.latency = LatencyCheck{0.99, 500, 30'000};
  const auto below = share_sample(12.3, 0.972, 500);
  const auto at = share_sample(12.3, 0.99, 500);
  const auto above = share_sample(12.3, 0.996, 500);
  CHECK(judge(policy, &below) == CheckOutcome::Fail);
  CHECK(judge(policy, &at) == CheckOutcome::Pass);  // p99 at the bound itself is within the maximum
  CHECK(judge(policy, &above) == CheckOutcome::Pass);
  CHECK(describe(policy, &below) ==
        "success rate 99% >= 95% over 30s at 12.3 rps; latency p99 over 500ms: 97.2% of requests within 500ms "
        "< 99% over 30s at 12.3 rps");
  CHECK(describe(policy, &above) ==
        "success rate 99% >= 95% over 30s at 12.3 rps; latency p99 within 500ms: 99.6% of requests within 500ms "
        ">= 99% over 30s at 12.3 rps");
  const auto shown = evidence(policy, CheckStreak{}, &below);
  CHECK(shown.latency_within_share == 0.972);
  CHECK(shown.latency_quantile == 0.99);
  CHECK(shown.max_latency_ms == 500);
  CHECK_FALSE(shown.latency_ms);

  SECTION("the quantile the check asks, not the one another FailoverService had measured") {
    policy.latency->quantile = 0.9;
    CHECK(judge(policy, &below) == CheckOutcome::Pass);
  }
  SECTION("no share and no quantile: Unknown, as a missing latency always was") {
    const auto none = DataPlaneSample{12.3, 0.99, std::nullopt, {}, "", std::nullopt, std::nullopt};
    CHECK(judge(policy, &none) == CheckOutcome::Unknown);
    CHECK(describe(policy, &none) == "success rate 99% >= 95% over 30s at 12.3 rps; latency p99 unknown");
  }
  SECTION("a share within another maximum says nothing of this one: Unknown, or the quantile when reported") {
    const auto other = share_sample(12.3, 0.5, 1000);
    CHECK(judge(policy, &other) == CheckOutcome::Unknown);
    auto with_quantile = other;
    with_quantile.latency_ms = 812;
    CHECK(judge(policy, &with_quantile) == CheckOutcome::Fail);
    with_quantile.latency_ms = 120;
    CHECK(judge(policy, &with_quantile) == CheckOutcome::Pass);
  }
  SECTION("an old agent's latencyMs is still judged against the maximum") {
    const auto old_slow = sample(12.3, 0.99, 812);
    const auto old_fast = sample(12.3, 0.99, 120);
    CHECK(judge(policy, &old_slow) == CheckOutcome::Fail);
    CHECK(judge(policy, &old_fast) == CheckOutcome::Pass);
  }
  SECTION("the error and the not-enough-traffic rules come first, as for every check") {
    auto failed = below;
    failed.error = "latency share query: timeout";
    CHECK(judge(policy, &failed) == CheckOutcome::Unknown);
    const auto quiet = share_sample(0.5, 0.2, 500);
    CHECK(judge(policy, &quiet) == CheckOutcome::NotEnoughTraffic);
  }
}

TEST_CASE("advance: failureThreshold failures in a row make failing, a pass in between starts over",
          "[core][dataplane]") {
  const auto policy = rate_policy(3, 2);
  CheckStreak streak;
  CHECK_FALSE(advance(streak, CheckOutcome::Fail, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Fail, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Pass, policy));  // breaks the run
  CHECK_FALSE(advance(streak, CheckOutcome::Fail, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Fail, policy));
  CHECK_FALSE(streak.failing);
  CHECK(advance(streak, CheckOutcome::Fail, policy));
  CHECK(streak.failing);
}

TEST_CASE("advance: successThreshold passes in a row (not enough traffic counts) make passing again",
          "[core][dataplane]") {
  const auto policy = rate_policy(1, 3);
  CheckStreak streak;
  CHECK(advance(streak, CheckOutcome::Fail, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Pass, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::NotEnoughTraffic, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Fail, policy));  // breaks the run
  CHECK_FALSE(advance(streak, CheckOutcome::Pass, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Pass, policy));
  CHECK(streak.failing);
  CHECK(advance(streak, CheckOutcome::NotEnoughTraffic, policy));
  CHECK_FALSE(streak.failing);
}

TEST_CASE("advance: Unknown keeps the verdict and neither counts nor breaks a run", "[core][dataplane]") {
  const auto policy = rate_policy(2, 2);
  CheckStreak streak;
  for (int i = 0; i < 5; ++i) CHECK_FALSE(advance(streak, CheckOutcome::Unknown, policy));
  CHECK_FALSE(streak.failing);
  CHECK_FALSE(advance(streak, CheckOutcome::Fail, policy));
  CHECK_FALSE(advance(streak, CheckOutcome::Unknown, policy));
  CHECK(advance(streak, CheckOutcome::Fail, policy));
  for (int i = 0; i < 5; ++i) CHECK_FALSE(advance(streak, CheckOutcome::Unknown, policy));
  CHECK(streak.failing);
  CHECK(streak.last == CheckOutcome::Unknown);
}

TEST_CASE("parse: spec.health's data-plane fields, defaults and field-named errors", "[core][dataplane][parse]") {
  SECTION("defaults") {
    const auto fos = parse_ok(fos_json(
        R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"}],)"
        R"("health":{"successRate":{"minimum":0.9},"latency":{"quantile":0.95,"maximum":"250ms"}}})"));
    const auto& policy = fos.spec.health.data_plane;
    REQUIRE(policy.success_rate);
    CHECK(policy.success_rate->minimum == 0.9);
    CHECK(policy.success_rate->window_ms == 30'000);
    CHECK(policy.success_rate->min_requests_per_second == 1);
    REQUIRE(policy.latency);
    CHECK(policy.latency->maximum_ms == 250);
    CHECK(policy.latency->quantile == 0.95);
    CHECK(policy.failure_threshold == 2);
    CHECK(policy.success_threshold == 2);
  }
  SECTION("no check: rule 1a off") {
    CHECK_FALSE(parse_ok(fos_json(kTwoClusterSpec)).spec.health.data_plane.any());
  }
  SECTION("errors name the field") {
    const auto parsed = parse_failover_service(fos_json(
        R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"}],)"
        R"("health":{"successRate":{"minimum":1.5,"window":"30x","minRequestsPerSecond":-1},)"
        R"("latency":{"quantile":0.75},"failureThreshold":0,"successThreshold":"2"}})"));
    REQUIRE_FALSE(parsed.ok());
    const auto message = parsed.message();
    CHECK_THAT(message, Catch::Contains("spec.health.successRate.minimum: must be within 0..1, got 1.5"));
    CHECK_THAT(message, Catch::Contains("spec.health.successRate.window: \"30x\" is not a duration"));
    CHECK_THAT(message, Catch::Contains("spec.health.successRate.minRequestsPerSecond"));
    CHECK_THAT(message, Catch::Contains("spec.health.latency.quantile: must be 0.5, 0.9, 0.95 or 0.99, got 0.75"));
    CHECK_THAT(message, Catch::Contains("spec.health.latency.maximum: is required"));
    CHECK_THAT(message, Catch::Contains("spec.health.failureThreshold"));
    CHECK_THAT(message, Catch::Contains("spec.health.successThreshold"));
  }
  SECTION("durations") {
    CHECK(parse_duration("1m30s") == 90'000);
    CHECK(parse_duration("500ms") == 500);
    CHECK(parse_duration("2h") == 7'200'000);
    CHECK_FALSE(parse_duration("30"));
    CHECK_FALSE(parse_duration("-5s"));
    CHECK_FALSE(parse_duration("1.5s"));
    CHECK_FALSE(parse_duration(""));
    CHECK_FALSE(parse_duration("99999999999h"));
  }
}

TEST_CASE("rule 1a: failureThreshold failing evaluations fail the backend over although its pods are Ready",
          "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kChecked);
  all_healthy(fleet);
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});

  evaluated(fleet, "west", sample(12.3, 0.41));
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});  // one failure: not yet
  evaluated(fleet, "west", sample(12.3, 0.41));
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK(fleet.split("west") == S{"web-svc=0", "web-svc-east=1"});
  REQUIRE_FALSE(fleet.events.empty());
  CHECK(fleet.events.back().reason == "FailedOver");
  CHECK_THAT(fleet.events.back().message,
             Catch::Contains("west/emojivoto/web-svc success rate 41% < 95% over 30s at 12.3 rps"));

  const auto status = fleet.status();
  REQUIRE(status.backing_services[0].data_plane);
  CHECK(status.backing_services[0].health == Health::Unhealthy);
  CHECK(status.backing_services[0].ready_endpoints == 2);
  CHECK(status.backing_services[0].data_plane->verdict == "Failing");
  CHECK(status.backing_services[0].data_plane->success_rate == 0.41);
  CHECK(status.backing_services[0].data_plane->min_success_rate == 0.95);
  CHECK(status.backing_services[0].data_plane->request_rate == 12.3);
  const auto condition = std::find_if(status.conditions.begin(), status.conditions.end(),
                                      [](const Condition& c) { return c.type == "DataPlaneHealthy"; });
  REQUIRE(condition != status.conditions.end());
  CHECK(condition->status == "False");
}

TEST_CASE("rule 1a: successThreshold passing evaluations make it healthy, then the failback delay",
          "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kChecked);
  all_healthy(fleet);
  evaluated(fleet, "west", sample(12.3, 0.41));
  evaluated(fleet, "west", sample(12.3, 0.41));
  REQUIRE(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});

  evaluated(fleet, "west", sample(12.3, 0.99));
  evaluated(fleet, "west", sample(12.3, 0.99));
  CHECK(fleet.status().backing_services[0].health == Health::Unhealthy);  // 2 of 3 passes
  evaluated(fleet, "west", sample(12.3, 0.99));
  CHECK(fleet.status().backing_services[0].health == Health::Healthy);
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});  // the delay is on top
  fleet.heartbeat("west");
  fleet.heartbeat("east");
  fleet.advance(29);
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  fleet.heartbeat("west");
  fleet.heartbeat("east");
  fleet.advance(1.5);
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
}

TEST_CASE("rule 1a: Unknown evidence (Prometheus down) never moves traffic and keeps the last verdict",
          "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kChecked);
  all_healthy(fleet);
  DataPlaneSample down;
  down.error = "Prometheus unreachable: connection refused";
  SECTION("while healthy") {
    for (int i = 0; i < 10; ++i) evaluated(fleet, "west", down);
    CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
    const auto status = fleet.status();
    const auto condition = std::find_if(status.conditions.begin(), status.conditions.end(),
                                        [](const Condition& c) { return c.type == "DataPlaneHealthy"; });
    REQUIRE(condition != status.conditions.end());
    CHECK(condition->status == "Unknown");
    CHECK_THAT(condition->message, Catch::Contains("Prometheus unreachable"));
  }
  SECTION("while failing") {
    evaluated(fleet, "west", sample(12.3, 0.41));
    evaluated(fleet, "west", sample(12.3, 0.41));
    REQUIRE(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
    for (int i = 0; i < 10; ++i) evaluated(fleet, "west", down);
    evaluated(fleet, "west", std::nullopt);  // an agent that stopped measuring
    fleet.advance(60);
    fleet.heartbeat("west");
    fleet.heartbeat("east");
    CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
    CHECK(fleet.status().backing_services[0].health == Health::Unhealthy);
  }
}

TEST_CASE("rule 1a: not enough traffic never fails a backend", "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  fleet.apply(kChecked);
  all_healthy(fleet);
  for (int i = 0; i < 10; ++i) evaluated(fleet, "west", sample(0.2, 0.0));
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  CHECK(fleet.status().backing_services[0].data_plane->last == "NotEnoughTraffic");
}

TEST_CASE("rule 1a: a spec without checks ignores measurements, and one evaluation counts once", "[core][dataplane]") {
  SECTION("no checks") {
    Fleet fleet({"west", "east"});
    fleet.apply(kTwoClusterSpec);
    all_healthy(fleet);
    for (int i = 0; i < 5; ++i) evaluated(fleet, "west", sample(12.3, 0.0));
    CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
    CHECK_FALSE(fleet.status().backing_services[0].data_plane);
  }
  SECTION("a sample reported again without a new evaluation does not count") {
    Fleet fleet({"west", "east"});
    fleet.apply(kChecked);
    all_healthy(fleet);
    evaluated(fleet, "west", sample(12.3, 0.41));
    const auto west = fleet.engine.cluster_id("west");
    const auto web = fleet.engine.service_id(west, "emojivoto", "web-svc", ServiceRole::Local);
    fleet.engine.observe_data_plane(web, sample(12.3, 0.41));
    fleet.engine.observe_data_plane(web, sample(11, 0.40));
    fleet.evaluate();
    CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
  }
}

TEST_CASE("rule 1a: a new measurement or a counted evaluation is a status change the hub writes",
          "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  const auto id = fleet.apply(kChecked);
  all_healthy(fleet);
  const auto status_changed = [&] {
    for (const auto& change : fleet.last_changes) {
      if (change.record == id && change.status_changed) return true;
    }
    return false;
  };
  evaluated(fleet, "west", sample(12, 0.99));
  CHECK(status_changed());
  CHECK(fleet.status().backing_services[0].data_plane->success_rate == 0.99);
  evaluated(fleet, "west", sample(12, 0.99));  // consecutive 2
  CHECK(status_changed());
  evaluated(fleet, "west", sample(12, 0.99));  // consecutive 3 = successThreshold
  CHECK(status_changed());
  evaluated(fleet, "west", sample(12, 0.99));  // nothing new (capped): no write
  CHECK_FALSE(status_changed());
}

TEST_CASE("rule 1a: the assignment carries each checked local service's windows and quantile",
          "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  fleet.apply(
      R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
      R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],)"
      R"("health":{"successRate":{"minimum":0.9,"window":"20s"},"latency":{"quantile":0.9,"maximum":"300ms","window":"1m"}}})");
  using W = ClusterAssignment::WatchItem;
  const MeasureRequest asked{20'000, 0.9, 60'000, 300, {}};
  const auto west = fleet.engine.assignment_for("west");
  REQUIRE(west.watch.size() == 2);
  CHECK(west.watch[0] == W{"emojivoto", "web-svc", ServiceRole::Local, asked});
  CHECK_FALSE(west.watch[1].measure);  // the mirror: measured by its own cluster's agent

  SECTION("latency alone: the request rate over latency's window") {
    DataPlanePolicy latency_only;
    latency_only.latency = LatencyCheck{0.5, 200, 15'000};
    CHECK(measure_request(latency_only) == MeasureRequest{15'000, 0.5, 15'000, 200, {}});
  }
  SECTION("a service two FailoverServices check is measured once: shorter windows, higher quantile, "
          "no maximum when they ask different ones") {
    fleet.apply(
        R"({"service":"web-b","backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
        R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],)"
        R"("health":{"successRate":{"minimum":0.9,"window":"45s"},"latency":{"quantile":0.99,"maximum":"1s","window":"10s"}}})",
        std::nullopt, "web-b");
    const auto merged = fleet.engine.assignment_for("west");
    REQUIRE(merged.watch.size() == 2);  // one local item, one mirror: both FailoverServices share them
    // 300ms and 1s: a share within one says nothing of the other; the quantile answers both.
    CHECK(merged.watch[0] ==
          W{"emojivoto", "web-svc", ServiceRole::Local, MeasureRequest{20'000, 0.99, 10'000, std::nullopt, {}}});
  }
  SECTION("two FailoverServices asking the same maximum keep it, whatever their quantiles") {
    fleet.apply(
        R"({"service":"web-b","backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
        R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],)"
        R"("health":{"latency":{"quantile":0.99,"maximum":"300ms","window":"1m"}}})",
        std::nullopt, "web-b");
    const auto merged = fleet.engine.assignment_for("west");
    CHECK(merged.watch[0] ==
          W{"emojivoto", "web-svc", ServiceRole::Local, MeasureRequest{20'000, 0.99, 60'000, 300, {}}});
  }
  SECTION("a service one of them checks and the other does not is measured for the one that checks") {
    fleet.apply(
        R"({"service":"web-c","backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
        R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}]})",
        std::nullopt, "web-c");
    const auto merged = fleet.engine.assignment_for("west");
    CHECK(merged.watch[0] == W{"emojivoto", "web-svc", ServiceRole::Local, asked});
  }
}

namespace {

const char* const kErrorRatio =
    R"j(sum(rate(http_errors_total{namespace=\"{namespace}\",app=\"{workload}\"}[{window}])))j";

DataPlanePolicy query_policy() {
  DataPlanePolicy policy;
  policy.queries.push_back({"errors", kErrorRatio, Comparison::Less, 0.05, 30'000});
  return policy;
}

DataPlaneSample with_query(std::optional<double> value) {
  DataPlaneSample measured;
  if (value) measured.queries["errors"] = *value;
  return measured;
}

}  // namespace

TEST_CASE("parse: spec.health.queries[] with field-named errors", "[core][dataplane][parse]") {
  const auto spec = [](const std::string& queries) {
    return fos_json(R"j({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"}],)j"
                    R"j("health":{"queries":)j" + queries + "}}");
  };
  SECTION("a valid check") {
    const auto fos = parse_ok(spec(R"j([{"name":"errors","query":"sum(rate(x{ns=\"{namespace}\"}[{window}]))",)j"
                                   R"j("comparison":"<=","threshold":0.05,"window":"1m"}])j"));
    const auto& policy = fos.spec.health.data_plane;
    REQUIRE(policy.queries.size() == 1);
    CHECK(policy.queries[0].name == "errors");
    CHECK(policy.queries[0].comparison == Comparison::LessOrEqual);
    CHECK(policy.queries[0].threshold == 0.05);
    CHECK(policy.queries[0].window_ms == 60'000);
    CHECK(policy.any());
    CHECK_FALSE(policy.built_in());
  }
  SECTION("unknown variable, bad comparison, threshold out of range, a name twice") {
    const auto parsed = parse_failover_service(spec(
        R"j([{"name":"a","query":"sum(up{job=\"{svc}\"})","comparison":"<","threshold":1},)j"
        R"j({"name":"b","query":"sum(up)","comparison":"less","threshold":1},)j"
        R"j({"name":"c","query":"sum(up)","comparison":">","threshold":1e300},)j"
        R"j({"name":"c","query":"sum(up)","comparison":">"}])j"));
    REQUIRE_FALSE(parsed.ok());
    const auto message = parsed.message();
    CHECK_THAT(message, Catch::Contains("spec.health.queries[0].query: unknown variable {svc} at offset 12 (known: "
                                        "{namespace} {service} {workload} {window})"));
    CHECK_THAT(message, Catch::Contains("spec.health.queries[1].comparison: must be \"<\", \"<=\", \">\" or \">=\""));
    CHECK_THAT(message, Catch::Contains("spec.health.queries[2].threshold: must be within"));
    CHECK_THAT(message, Catch::Contains("spec.health.queries[3].name: \"c\" names two checks"));
    CHECK_THAT(message, Catch::Contains("spec.health.queries[3].threshold: is required"));
  }
}

TEST_CASE("judge: a custom check passes while value <comparison> threshold, with no traffic gate",
          "[core][dataplane]") {
  const auto policy = query_policy();
  const auto good = with_query(0.01);
  const auto bad = with_query(0.2);
  const auto missing = with_query(std::nullopt);
  CHECK(judge(policy, &good) == CheckOutcome::Pass);  // no request rate needed: not Linkerd's metrics
  CHECK(judge(policy, &bad) == CheckOutcome::Fail);
  CHECK(judge(policy, &missing) == CheckOutcome::Unknown);
  CHECK(describe(policy, &bad) == "query errors 0.2, not < 0.05 over 30s");
  CHECK(describe(policy, &good) == "query errors 0.01, < 0.05 over 30s");
  CHECK(passes(Comparison::GreaterOrEqual, 1, 1));
  CHECK_FALSE(passes(Comparison::Greater, 1, 1));

  SECTION("beside a built-in check, a failing custom one fails the evaluation") {
    auto both = rate_policy();
    both.queries = policy.queries;
    auto measured = sample(12.3, 0.99);
    measured.queries["errors"] = 0.2;
    CHECK(judge(both, &measured) == CheckOutcome::Fail);
    measured.queries["errors"] = 0.01;
    CHECK(judge(both, &measured) == CheckOutcome::Pass);
  }
}

TEST_CASE("status: each custom check's value, comparison, threshold and result, read back as written",
          "[core][dataplane][status]") {
  const auto policy = query_policy();
  const auto bad = with_query(0.2);
  const auto good = with_query(0.01);
  const auto missing = with_query(std::nullopt);
  const auto failing = evidence(policy, CheckStreak{}, &bad);
  REQUIRE(failing.queries.size() == 1);
  CHECK(failing.queries[0] == QueryEvidence{"errors", 0.2, "<", 0.05, "Fail"});
  CHECK(evidence(policy, CheckStreak{}, &good).queries[0] == QueryEvidence{"errors", 0.01, "<", 0.05, "Pass"});
  CHECK(evidence(policy, CheckStreak{}, &missing).queries[0] ==
        QueryEvidence{"errors", std::nullopt, "<", 0.05, "Unknown"});
  CHECK(evidence(policy, CheckStreak{}, nullptr).queries[0].result == "Unknown");
  CHECK(evidence(rate_policy(), CheckStreak{}, &bad).queries.empty());  // no custom check: no list

  FosStatus status;
  status.backing_services.push_back({"west", "emojivoto", "web-svc", Health::Unhealthy, 2, 0, failing});
  rapidjson::Document document;
  document.Parse(status_to_json(status).c_str());
  REQUIRE_FALSE(document.HasParseError());
  const auto& shown = document["backingServices"][0]["dataPlane"]["queries"];
  REQUIRE(shown.IsArray());
  REQUIRE(shown.Size() == 1);
  CHECK(std::string(shown[0]["name"].GetString()) == "errors");
  CHECK(shown[0]["value"].GetDouble() == 0.2);
  CHECK(std::string(shown[0]["comparison"].GetString()) == "<");
  CHECK(shown[0]["threshold"].GetDouble() == 0.05);
  CHECK(std::string(shown[0]["result"].GetString()) == "Fail");
  const auto read = status_from_json(document);
  REQUIRE(read);
  CHECK(read->backing_services.at(0).data_plane == failing);

  SECTION("a hand-edited list: entries that are not objects are skipped, fields of the wrong type read as absent") {
    rapidjson::Document edited;
    edited.Parse(R"j({"backingServices":[{"cluster":"west","dataPlane":{"verdict":"Failing","queries":)j"
                 R"j([7,"errors",null,{"name":5,"value":"high","threshold":[1],"result":{}},)j"
                 R"j({"name":"errors","value":0.2,"comparison":"<","threshold":0.05,"result":"Fail"}]}}]})j");
    REQUIRE_FALSE(edited.HasParseError());
    const auto taken = status_from_json(edited);
    REQUIRE(taken);
    REQUIRE(taken->backing_services.at(0).data_plane);
    CHECK(taken->backing_services[0].data_plane->queries ==
          std::vector<QueryEvidence>{{"", std::nullopt, "", 0, ""}, {"errors", 0.2, "<", 0.05, "Fail"}});
  }
}

TEST_CASE("rule 1a: a custom check fails a Ready backend over like the built-in ones, and reaches the agent",
          "[core][dataplane]") {
  Fleet fleet({"west", "east"});
  fleet.apply(
      R"j({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)j"
      R"j({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},)j"
      R"j("health":{"queries":[{"name":"errors","query":"sum(rate(http_errors_total{app=\"{workload}\"}[{window}]))",)j"
      R"j("comparison":"<","threshold":0.05,"window":"10s"}],"failureThreshold":2}})j");
  all_healthy(fleet);
  const auto west = fleet.engine.assignment_for("west");
  REQUIRE(west.watch[0].measure);
  CHECK_FALSE(west.watch[0].measure->rate_window_ms);  // no Linkerd query for a custom-only spec
  REQUIRE(west.watch[0].measure->queries.size() == 1);
  CHECK(west.watch[0].measure->queries[0].window_ms == 10'000);

  evaluated(fleet, "west", with_query(0.2));
  CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});  // one failure: not yet
  evaluated(fleet, "west", with_query(0.2));
  CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
  CHECK_THAT(fleet.events.back().message, Catch::Contains("query errors 0.2, not < 0.05 over 10s"));
}

TEST_CASE("parse and rule 1a: a backing service's own health overrides spec.health's checks field by field",
          "[core][dataplane][parse]") {
  const std::string spec =
      R"j({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc",)j"
      R"j("health":{"successRate":{"minimum":0.5},"failureThreshold":3}},)j"
      R"j({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},)j"
      R"j("health":{"successRate":{"minimum":0.95,"window":"10s"},"latency":{"maximum":"300ms"},)j"
      R"j("failureThreshold":2,"successThreshold":3}})j";
  const auto fos = parse_ok(fos_json(spec));
  const auto& west = fos.spec.data_plane_for(0);
  REQUIRE(west.success_rate);
  CHECK(west.success_rate->minimum == 0.5);          // its own
  CHECK(west.success_rate->window_ms == 30'000);     // its successRate replaces spec.health's whole
  CHECK(west.failure_threshold == 3);                // its own
  CHECK(west.success_threshold == 3);                // spec.health's
  REQUIRE(west.latency);                             // spec.health's
  CHECK(west.latency->maximum_ms == 300);
  CHECK(fos.spec.data_plane_for(1) == fos.spec.health.data_plane);

  SECTION("errors name the backing service's field") {
    const auto parsed = parse_failover_service(fos_json(
        R"j({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc",)j"
        R"j("health":{"successRate":{"minimum":2},"queries":[{"name":"q","query":"sum(up{a=\"{ns}\"})",)j"
        R"j("comparison":"~","threshold":1}]}}]})j"));
    REQUIRE_FALSE(parsed.ok());
    const auto message = parsed.message();
    CHECK_THAT(message, Catch::Contains("spec.backingServices[0].health.successRate.minimum: must be within 0..1"));
    CHECK_THAT(message, Catch::Contains("spec.backingServices[0].health.queries[0].query: unknown variable {ns}"));
    CHECK_THAT(message, Catch::Contains("spec.backingServices[0].health.queries[0].comparison"));
  }

  SECTION("the engine judges west by its own minimum and threshold") {
    Fleet fleet({"west", "east"});
    fleet.apply(spec);
    all_healthy(fleet);
    // 60% passes west's own 50% minimum (spec.health's 95% would fail it).
    for (int i = 0; i < 3; ++i) evaluated(fleet, "west", sample(12.3, 0.6, 100));
    CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
    CHECK(fleet.status().backing_services[0].data_plane->min_success_rate == 0.5);
    // 40% fails it, after its own 3 evaluations, not spec.health's 2.
    evaluated(fleet, "west", sample(12.3, 0.4, 100));
    evaluated(fleet, "west", sample(12.3, 0.4, 100));
    CHECK(fleet.split("east") == S{"web-svc-west=1", "web-svc=0"});
    evaluated(fleet, "west", sample(12.3, 0.4, 100));
    CHECK(fleet.split("east") == S{"web-svc-west=0", "web-svc=1"});
    const auto west_watch = fleet.engine.assignment_for("west").watch[0];
    REQUIRE(west_watch.measure);
    CHECK(west_watch.measure->rate_window_ms == 30'000);  // west's own successRate window
  }
}
