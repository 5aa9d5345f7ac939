#include <catch2/catch.hpp>

#include <cmath>
#include <deque>
#include <limits>

#include "recorded_prometheus.h"
#include "switchyard/agent/data_plane.h"
#include "switchyard/agent/data_plane_evaluator.h"

using namespace switchyard::agent;
using switchyard::agent::test::recorded;
using namespace std::chrono_literals;

namespace {

const std::vector<WatchedWorkload> kWatched = {
    {"emojivoto", "web-svc", "web", std::nullopt},   {"emojivoto", "voting-svc", "voting", std::nullopt},
    {"books", "authors", "authors", std::nullopt}, {"books", "ghost", "ghost", std::nullopt},
    {"slow", "api", "api", std::nullopt}};

const auto kNow = std::chrono::system_clock::time_point(1796406355s);

DataPlaneQueries queries_p99() {
  DataPlaneQueries queries;
  queries.options.window = 10s;
  queries.latency_quantile = 0.99;
  return queries;
}

PromQueryResult decoded(const std::string& name) {
  const auto answer = recorded(name);
  return decode_query_response(answer.http_status, answer.body);
}

// Answers queued in order; records what was asked.
class FakePrometheus : public PrometheusApi {
 public:
  std::deque<PromQueryResult> answers;
  std::vector<std::string> asked;
  PromQueryResult query(const std::string& promql) override {
    asked.push_back(promql);
    auto answer = std::move(answers.front());
    answers.pop_front();
    return answer;
  }
};

}  // namespace

TEST_CASE("recorded answers give each watched service its success rate, request rate and latency",
          "[agent][data-plane]") {
  const auto success = decoded("success_rate");
  const auto latency = decoded("latency_p99");
  const auto m = measurements_from(kWatched, queries_p99(), success, &latency, kNow);
  REQUIRE(m.size() == 5);

  SECTION("two replicas at 20 rps failing 25%") {
    CHECK(m[0].watched.service == "web-svc");
    REQUIRE(m[0].request_rate);
    CHECK(*m[0].request_rate == Approx(40).margin(0.1));
    REQUIRE(m[0].success_rate.value);
    CHECK(*m[0].success_rate.value == Approx(0.75).margin(0.001));
    REQUIRE(m[0].latency_ms.value);
    CHECK(*m[0].latency_ms.value == Approx(49.9));  // 45 ms lands in the (40, 50] bucket
    CHECK(m[0].evaluated_at == kNow);
  }
  SECTION("no failures") {
    CHECK(*m[1].success_rate.value == 1.0);
    CHECK(*m[1].request_rate == Approx(4).margin(0.1));
  }
  SECTION("series but no traffic: no value and no error (not enough traffic)") {
    CHECK(*m[2].request_rate == 0);
    CHECK_FALSE(m[2].success_rate.value);
    CHECK(m[2].success_rate.error.empty());
    CHECK_FALSE(m[2].latency_ms.value);  // Prometheus answered NaN
    CHECK(m[2].latency_ms.error.empty());
  }
  SECTION("no series at all: an error, no number") {
    CHECK_FALSE(m[3].request_rate);
    CHECK_FALSE(m[3].success_rate.value);
    CHECK(m[3].success_rate.error == "no response_total series for deployment books/ghost");
    CHECK(m[3].latency_ms.error == "no response_latency_ms series for deployment books/ghost");
  }
  SECTION("a latency past the last finite bucket reads as that bound") {
    CHECK(*m[4].latency_ms.value == 50000);
  }
}

TEST_CASE("a failed query makes every service's check an error, never a number", "[agent][data-plane]") {
  const PromQueryResult down = PromError{PromErrorKind::Unreachable, "prometheus http://p:9090 unreachable: Connection"};
  const auto bad = decoded("bad_data");
  const auto latency = decoded("latency_p99");
  const auto m = measurements_from(kWatched, queries_p99(), down, &bad, kNow);
  for (const auto& one : m) {
    CHECK_FALSE(one.request_rate);
    CHECK_FALSE(one.success_rate.value);
    CHECK(one.success_rate.error == "success rate query: prometheus http://p:9090 unreachable: Connection");
    CHECK_FALSE(one.latency_ms.value);
    CHECK(one.latency_ms.error.find("latency query: bad_data: ") == 0);
  }
  SECTION("each check fails on its own") {
    const auto success = decoded("success_rate");
    const auto mixed = measurements_from(kWatched, queries_p99(), success, &bad, kNow);
    CHECK(*mixed[0].success_rate.value == Approx(0.75).margin(0.001));
    CHECK_FALSE(mixed[0].latency_ms.value);
  }
}

TEST_CASE("NaN with traffic, a negative rate or an unknown classification is an error", "[agent][data-plane]") {
  const auto sample = [](std::string classification, double value) {
    return PromSample{{{"namespace", "emojivoto"}, {"deployment", "web"}, {"classification", classification}},
                      value, 1};
  };
  const std::vector<WatchedWorkload> web = {kWatched[0]};
  const PromQueryResult nan_latency = PromVector{{PromSample{{{"namespace", "emojivoto"}, {"deployment", "web"}},
                                                            std::nan(""), 1}}, {}};
  auto m = measurements_from(web, queries_p99(), PromVector{{sample("success", 3)}, {}}, &nan_latency, kNow);
  CHECK(m[0].latency_ms.error == "latency quantile is NaN");
  CHECK_FALSE(m[0].latency_ms.value);

  m = measurements_from(web, queries_p99(), PromVector{{sample("success", std::nan(""))}, {}}, nullptr, kNow);
  CHECK_FALSE(m[0].success_rate.value);
  CHECK(m[0].success_rate.error.find("response_total rate is") == 0);

  m = measurements_from(web, {}, PromVector{{sample("success", -1)}, {}}, nullptr, kNow);
  CHECK_FALSE(m[0].success_rate.value);

  m = measurements_from(web, {}, PromVector{{sample("success", 3), sample("", 1)}, {}}, nullptr, kNow);
  CHECK(m[0].success_rate.error == "response_total has classification \"\" (expected success or failure)");
  CHECK_FALSE(m[0].request_rate);
}

TEST_CASE("one evaluation sends one query per check kind, whatever the number of services",
          "[agent][data-plane]") {
  FakePrometheus prometheus;
  prometheus.answers.push_back(decoded("success_rate"));
  prometheus.answers.push_back(decoded("latency_p99"));
  const auto m = evaluate_data_plane(prometheus, kWatched, queries_p99(), kNow);
  REQUIRE(prometheus.asked.size() == 2);
  CHECK(prometheus.asked[0] == recorded("success_rate").query);
  CHECK(prometheus.asked[1] == recorded("latency_p99").query);
  CHECK(m.size() == 5);

  SECTION("without a latency check only the success-rate query") {
    FakePrometheus only_success;
    only_success.answers.push_back(decoded("success_rate"));
    const auto n = evaluate_data_plane(only_success, kWatched, DataPlaneQueries{}, kNow);
    CHECK(only_success.asked.size() == 1);
    CHECK_FALSE(n[0].latency_ms.value);
    CHECK(n[0].latency_ms.error.empty());
  }
  SECTION("nothing watched: nothing asked") {
    FakePrometheus idle;
    CHECK(evaluate_data_plane(idle, {}, queries_p99(), kNow).empty());
    CHECK(idle.asked.empty());
  }
}

TEST_CASE("the hub's checks choose each service's windows and quantile, one query per distinct one",
          "[agent][data-plane]") {
  using switchyard::protocol::DataPlaneChecks;
  auto watched = kWatched;
  watched[0].checks = DataPlaneChecks{10'000, 0.99, 10'000, std::nullopt, {}};  // the flags' values: batched with the flags'
  watched[1].checks = DataPlaneChecks{20'000, std::nullopt, 30'000, std::nullopt, {}};
  watched[2].checks = DataPlaneChecks{20'000, 0.5, 60'000, std::nullopt, {}};
  // 3 and 4 have none (an older hub): queries_p99()'s flags, 10s and p99.
  const auto planned = plan_queries(watched, queries_p99());
  REQUIRE(planned.size() == 4);
  CHECK(planned[0].kind == PlannedQuery::Kind::Rates);
  CHECK(planned[0].members == std::vector<std::size_t>{0, 3, 4});
  CHECK_THAT(planned[0].promql, Catch::Contains("[10s]"));
  CHECK(planned[1].kind == PlannedQuery::Kind::Rates);
  CHECK(planned[1].members == std::vector<std::size_t>{1, 2});
  CHECK_THAT(planned[1].promql, Catch::Contains("[20s]"));
  CHECK(planned[2].kind == PlannedQuery::Kind::Latency);
  CHECK_THAT(planned[2].promql, Catch::StartsWith("histogram_quantile(0.5,") && Catch::Contains("[60s]"));
  CHECK(planned[2].members == std::vector<std::size_t>{2});
  CHECK(planned[3].kind == PlannedQuery::Kind::Latency);
  CHECK_THAT(planned[3].promql, Catch::StartsWith("histogram_quantile(0.99,") && Catch::Contains("[10s]"));
  CHECK(planned[3].members == std::vector<std::size_t>{0, 3, 4});

  SECTION("a latency-only check's request rate comes from its own window") {
    auto latency_only = kWatched;
    latency_only.resize(1);
    latency_only[0].checks = DataPlaneChecks{45'000, 0.9, 45'000, std::nullopt, {}};
    const auto only = plan_queries(latency_only, DataPlaneQueries{});
    REQUIRE(only.size() == 2);
    CHECK_THAT(only[0].promql, Catch::Contains("[45s]"));
    CHECK_THAT(only[1].promql, Catch::StartsWith("histogram_quantile(0.9,") && Catch::Contains("[45s]"));
  }

  SECTION("each service is measured from the answers of its own queries") {
    FakePrometheus prometheus;
    const auto success = decoded("success_rate");
    const auto latency = decoded("latency_p99");
    prometheus.answers = {success, PromError{PromErrorKind::Unreachable, "down"}, PromError{PromErrorKind::Query, "slow"}, latency};
    const auto m = evaluate_data_plane(prometheus, watched, queries_p99(), kNow);
    REQUIRE(prometheus.asked.size() == 4);
    REQUIRE(m.size() == 5);
    CHECK(m[0].request_rate);             // 10s rates answered
    CHECK(m[0].latency_ms.value);         // p99 answered
    CHECK_FALSE(m[1].request_rate);       // 20s rates failed
    CHECK_THAT(m[1].success_rate.error, Catch::Contains("down"));
    CHECK(m[1].latency_ms.error.empty());  // no latency asked of it
    CHECK_THAT(m[2].latency_ms.error, Catch::Contains("slow"));
  }
}

TEST_CASE("custom checks: one query per service when the template names one, else one for all",
          "[agent][data-plane]") {
  using switchyard::protocol::DataPlaneChecks;
  auto watched = kWatched;
  watched.resize(2);
  DataPlaneChecks custom;  // no Linkerd window: no rates query
  custom.queries = {{"errors", R"(sum(rate(http_errors_total{namespace="{namespace}",app="{workload}"}[{window}])))",
                     10'000},
                    {"queue", "max(queue_depth)", 30'000}};
  watched[0].checks = custom;
  watched[1].checks = custom;
  const auto planned = plan_queries(watched, queries_p99());
  REQUIRE(planned.size() == 3);
  CHECK(planned[0].kind == PlannedQuery::Kind::Custom);
  CHECK(planned[0].name == "queue");
  CHECK(planned[0].promql == "max(queue_depth)");
  CHECK(planned[0].members == std::vector<std::size_t>{0, 1});
  CHECK(planned[1].promql == R"(sum(rate(http_errors_total{namespace="emojivoto",app="web"}[10s])))");
  CHECK(planned[1].members == std::vector<std::size_t>{0});
  CHECK(planned[2].promql == R"(sum(rate(http_errors_total{namespace="emojivoto",app="voting"}[10s])))");

  FakePrometheus prometheus;
  const auto one = [](double value) { return PromVector{{PromSample{{}, value, 0}}, {}}; };
  prometheus.answers = {one(3), one(0.2), PromVector{{PromSample{{}, 1, 0}, PromSample{{}, 2, 0}}, {}}};
  const auto m = evaluate_data_plane(prometheus, watched, queries_p99(), kNow);
  REQUIRE(m.size() == 2);
  CHECK(m[0].queries.at("queue").value == 3.0);
  CHECK(m[1].queries.at("queue").value == 3.0);  // one answer for both
  CHECK(m[0].queries.at("errors").value == 0.2);
  CHECK_FALSE(m[1].queries.at("errors").value);
  CHECK_THAT(m[1].queries.at("errors").error, Catch::Contains("answered 2 series"));
  CHECK_FALSE(m[0].request_rate);
  CHECK(m[0].success_rate.error.empty());  // not asked: neither a value nor an error
}

TEST_CASE("a maximum at a bucket bound is measured as the share within it, one query per (bound, window)",
          "[agent][data-plane]") {
  using switchyard::protocol::DataPlaneChecks;
  auto watched = kWatched;
  watched[0].checks = DataPlaneChecks{10'000, 0.99, 10'000, 500, {}};
  watched[1].checks = DataPlaneChecks{10'000, 0.9, 10'000, 500, {}};   // another quantile: the same share
  watched[2].checks = DataPlaneChecks{10'000, 0.99, 10'000, 250, {}};  // between bounds: the quantile
  watched[3].checks = DataPlaneChecks{10'000, 0.99, 30'000, 500, {}};  // another window than its rates'
  // 4 has none (an older hub): the quantile, as before.
  const auto planned = plan_queries(watched, queries_p99());
  REQUIRE(planned.size() == 4);
  CHECK(planned[0].kind == PlannedQuery::Kind::Rates);
  CHECK(planned[1].kind == PlannedQuery::Kind::LatencyShare);
  CHECK(planned[1].members == std::vector<std::size_t>{0, 1});
  CHECK(planned[1].bound_ms == 500);
  CHECK_THAT(planned[1].promql, Catch::Contains(R"(le=~"500(\\.0)?")") && Catch::Contains("[10s]") &&
                                    !Catch::Contains("histogram_quantile"));
  // Their rates query has the same window: it gives the denominator.
  CHECK(planned[1].count_promql.empty());
  CHECK(planned[2].kind == PlannedQuery::Kind::LatencyShare);
  CHECK(planned[2].members == std::vector<std::size_t>{3});
  CHECK_THAT(planned[2].promql, Catch::Contains("[30s]"));
  CHECK_THAT(planned[2].count_promql, Catch::Contains("response_latency_ms_count{") && Catch::Contains("[30s]"));
  CHECK(planned[3].kind == PlannedQuery::Kind::Latency);
  CHECK(planned[3].members == std::vector<std::size_t>{2, 4});
  CHECK_THAT(planned[3].promql, Catch::StartsWith("histogram_quantile(0.99,"));
}

TEST_CASE("the share's answer over its count: a number per workload, NaN without traffic, errors otherwise",
          "[agent][data-plane]") {
  using switchyard::protocol::DataPlaneChecks;
  auto watched = kWatched;
  // The latency's window is not the rates': the count query is the denominator.
  for (auto& w : watched) w.checks = DataPlaneChecks{10'000, 0.99, 30'000, 50, {}};
  const auto share = [](const std::string& ns, const std::string& workload, double value) {
    return PromSample{{{"namespace", ns}, {"deployment", workload}}, value, 1};
  };
  FakePrometheus prometheus;
  prometheus.answers.push_back(decoded("success_rate"));  // web 40 rps, voting 4, authors 0, slow 5; no ghost
  // The bucket's rates, then the count's: ghost has neither; authors no requests; api's count is 0 with traffic.
  prometheus.answers.push_back(PromVector{{share("emojivoto", "web", 38.88), share("emojivoto", "voting", 4.0001),
                                           share("books", "authors", 0), share("slow", "api", 0)},
                                          {}});
  prometheus.answers.push_back(PromVector{{share("emojivoto", "web", 40), share("emojivoto", "voting", 4),
                                           share("books", "authors", 0), share("slow", "api", 0)},
                                          {}});
  const auto m = evaluate_data_plane(prometheus, watched, queries_p99(), kNow);
  REQUIRE(prometheus.asked.size() == 3);
  CHECK_THAT(prometheus.asked[1], Catch::Contains("response_latency_ms_bucket{"));
  CHECK_THAT(prometheus.asked[2], Catch::Contains("response_latency_ms_count{"));
  CHECK(m[0].latency_within_share.value == Approx(0.972));
  CHECK(m[0].latency_within_ms == 50);
  CHECK_FALSE(m[0].latency_ms.value);
  CHECK(m[0].latency_ms.error.empty());  // the quantile was not asked
  CHECK(m[1].latency_within_share.value == 1.0);  // rate() extrapolation past the count: at most 1
  CHECK_FALSE(m[2].latency_within_share.value);    // no requests: 0/0, "not enough traffic"
  CHECK(m[2].latency_within_share.error.empty());
  CHECK(m[3].latency_within_share.error == "no response_latency_ms series for deployment books/ghost");
  CHECK_THAT(m[4].latency_within_share.error, Catch::StartsWith("share of requests within 50ms is 0"));  // traffic, yet 0/0

  const auto reported = to_report(m[0]);
  CHECK(reported.latency_within_share == Approx(0.972));
  CHECK(reported.latency_within_ms == 50);
  CHECK_FALSE(reported.latency_ms);
  CHECK(to_report(m[3]).error == m[3].success_rate.error + "; " + m[3].latency_within_share.error);
  CHECK_FALSE(to_report(m[3]).latency_within_share);

  SECTION("a failed share query is every member's error") {
    FakePrometheus down;
    down.answers.push_back(decoded("success_rate"));
    down.answers.push_back(PromError{PromErrorKind::Query, "query timed out"});
    down.answers.push_back(PromVector{});
    const auto n = evaluate_data_plane(down, watched, queries_p99(), kNow);
    CHECK(n[0].latency_within_share.error == "latency bucket query: query timed out");
    CHECK(to_report(n[0]).error == "latency bucket query: query timed out");
  }
  SECTION("a histogram without the bound: an error naming it") {
    FakePrometheus no_bucket;
    no_bucket.answers.push_back(decoded("success_rate"));
    no_bucket.answers.push_back(PromVector{});
    no_bucket.answers.push_back(PromVector{{share("emojivoto", "web", 40)}, {}});
    const auto n = evaluate_data_plane(no_bucket, watched, queries_p99(), kNow);
    CHECK(n[0].latency_within_share.error ==
          "no response_latency_ms_bucket series with le=\"50\" for deployment emojivoto/web");
  }
}

TEST_CASE("the share over the request rate of the same window: one query less, the same numbers",
          "[agent][data-plane]") {
  using switchyard::protocol::DataPlaneChecks;
  auto watched = kWatched;
  for (auto& w : watched) w.checks = DataPlaneChecks{10'000, 0.99, 10'000, 50, {}};
  const auto bucket = [](const std::string& ns, const std::string& workload, double value) {
    return PromSample{{{"namespace", ns}, {"deployment", workload}}, value, 1};
  };
  const PromVector buckets{{bucket("emojivoto", "web", 38.88), bucket("emojivoto", "voting", 4.0001),
                            bucket("books", "authors", 0), bucket("slow", "api", 0)},
                           {}};
  FakePrometheus prometheus;
  prometheus.answers.push_back(decoded("success_rate"));  // web 40 rps, voting 4, authors 0, slow 5; no ghost
  prometheus.answers.push_back(buckets);
  const auto m = evaluate_data_plane(prometheus, watched, queries_p99(), kNow);
  REQUIRE(prometheus.asked.size() == 2);
  CHECK_THAT(prometheus.asked[1], Catch::Contains("response_latency_ms_bucket{"));
  REQUIRE(m[0].request_rate);
  CHECK(m[0].latency_within_share.value == Approx(38.88 / *m[0].request_rate));
  CHECK(m[0].latency_within_share.value == Approx(0.972).margin(0.003));
  CHECK(m[0].latency_within_ms == 50);
  CHECK(m[1].latency_within_share.value == 1.0);  // a bucket's rate past the request rate: at most 1
  CHECK_FALSE(m[2].latency_within_share.value);    // no requests: "not enough traffic"
  CHECK(m[2].latency_within_share.error.empty());
  CHECK(m[3].latency_within_share.error == "no response_latency_ms series for deployment books/ghost");
  CHECK(m[4].latency_within_share.value == 0.0);  // 5 rps, none within 50 ms
  CHECK(m[4].latency_within_share.error.empty());

  SECTION("the rates query failed: no share, its error said once") {
    FakePrometheus down;
    down.answers.push_back(PromError{PromErrorKind::Query, "query timed out"});
    down.answers.push_back(buckets);
    const auto n = evaluate_data_plane(down, watched, queries_p99(), kNow);
    CHECK_FALSE(n[0].latency_within_share.value);
    CHECK(n[0].latency_within_share.error == "no request rate to divide by");
    CHECK(to_report(n[0]).error == "success rate query: query timed out; no request rate to divide by");
  }
  SECTION("a histogram without the bound: an error naming it") {
    FakePrometheus no_bucket;
    no_bucket.answers.push_back(decoded("success_rate"));
    no_bucket.answers.push_back(PromVector{});
    const auto n = evaluate_data_plane(no_bucket, watched, queries_p99(), kNow);
    CHECK(n[0].latency_within_share.error ==
          "no response_latency_ms_bucket series with le=\"50\" for deployment emojivoto/web");
  }
  SECTION("a failed bucket query is every member's error") {
    FakePrometheus down;
    down.answers.push_back(decoded("success_rate"));
    down.answers.push_back(PromError{PromErrorKind::Query, "query timed out"});
    const auto n = evaluate_data_plane(down, watched, queries_p99(), kNow);
    CHECK(n[0].latency_within_share.error == "latency bucket query: query timed out");
    CHECK(n[4].latency_within_share.error == "latency bucket query: query timed out");
  }
  SECTION("a bucket rate that is NaN or infinite is an error, never a share") {
    FakePrometheus broken;
    broken.answers.push_back(decoded("success_rate"));
    broken.answers.push_back(PromVector{{bucket("emojivoto", "web", std::nan("")),
                                         bucket("emojivoto", "voting", std::numeric_limits<double>::infinity())},
                                        {}});
    const auto n = evaluate_data_plane(broken, watched, queries_p99(), kNow);
    CHECK_FALSE(n[0].latency_within_share.value);
    CHECK_THAT(n[0].latency_within_share.error, Catch::StartsWith("share of requests within 50ms is nan / 39.99"));
    CHECK_FALSE(n[1].latency_within_share.value);
    CHECK_THAT(n[1].latency_within_share.error, Catch::StartsWith("share of requests within 50ms is inf / 3.99"));
  }
}
