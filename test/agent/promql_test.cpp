#include <catch2/catch.hpp>

#include "recorded_prometheus.h"
#include "switchyard/agent/promql.h"

using namespace switchyard::agent;
using namespace std::chrono_literals;

namespace {

const std::vector<WatchedWorkload> kWatched = {
    {"emojivoto", "web-svc", "web", std::nullopt},   {"emojivoto", "voting-svc", "voting", std::nullopt},
    {"books", "authors", "authors", std::nullopt}, {"books", "ghost", "ghost", std::nullopt},
    {"slow", "api", "api", std::nullopt}};

std::string expanded(const std::string& text, const WatchedWorkload& w = kWatched[0]) {
  auto result = expand_query_template(text, w, 30s);
  if (const auto* error = std::get_if<TemplateError>(&result)) FAIL(error->message);
  return std::get<std::string>(result);
}

std::string template_error(const std::string& text, const WatchedWorkload& w = kWatched[0]) {
  auto result = expand_query_template(text, w, 30s);
  REQUIRE(std::holds_alternative<TemplateError>(result));
  return std::get<TemplateError>(result).message;
}

}  // namespace

TEST_CASE("one batched success-rate query covers every watched workload", "[agent][promql]") {
  LinkerdQueryOptions options;
  options.window = 10s;
  // The recorded answers were produced by exactly these queries.
  CHECK(success_rate_query(kWatched, options) == switchyard::agent::test::recorded("success_rate").query);
  CHECK(latency_query(kWatched, 0.99, options) == switchyard::agent::test::recorded("latency_p99").query);
  CHECK(success_rate_query({}, options).empty());
  SECTION("the workload label is configurable (statefulset, a relabelled scrape)") {
    options.workload_label = "statefulset";
    options.window = 90s;
    CHECK(success_rate_query({{"db", "pg", "pg", std::nullopt}}, options) ==
          R"(sum by (namespace, statefulset, classification) (rate(response_total{direction="inbound", )"
          R"(namespace=~"db", statefulset=~"pg"}[90s])))");
  }
}

TEST_CASE("names are regex-escaped inside the matchers", "[agent][promql]") {
  LinkerdQueryOptions options;
  options.window = 1500ms;
  CHECK(latency_query({{"a.b", "s", "w.x", std::nullopt}}, 0.5, options) ==
        R"(histogram_quantile(0.5, sum by (le, namespace, deployment) (rate(response_latency_ms_bucket{)"
        R"(direction="inbound", namespace=~"a\\.b", deployment=~"w\\.x"}[1500ms]))))");
  // Not Kubernetes names, but nothing may end the string early.
  CHECK(success_rate_query({{"a\"b", "s", "w|x", std::nullopt}}, options)
            .find(R"(namespace=~"a\"b", deployment=~"w\\|x")") != std::string::npos);
}

TEST_CASE("durations use Prometheus's syntax", "[agent][promql]") {
  CHECK(promql_duration(30s) == "30s");
  CHECK(promql_duration(2min) == "120s");
  CHECK(promql_duration(250ms) == "250ms");
}

TEST_CASE("a custom query template gets its variables replaced", "[agent][promql]") {
  CHECK(expanded(R"(sum(rate(http_requests_total{namespace="{namespace}", service="{service}", )"
                 R"(code=~"5.."}[{window}])) / sum(rate(http_requests_total{app="{workload}"}[{window}])))") ==
        R"(sum(rate(http_requests_total{namespace="emojivoto", service="web-svc", code=~"5.."}[30s])) / )"
        R"(sum(rate(http_requests_total{app="web"}[30s])))");
  SECTION("PromQL's own braces and text without variables are left as written") {
    CHECK(expanded("up{job=\"x\"}") == "up{job=\"x\"}");
    CHECK(expanded("{__name__=~\"a.*\"}") == "{__name__=~\"a.*\"}");
    CHECK(expanded("vector(1) {") == "vector(1) {");
    CHECK(expanded("{}") == "{}");
    CHECK(expanded("") == "");
  }
}

TEST_CASE("an unknown template variable is an error naming it", "[agent][promql]") {
  CHECK(template_error("rate(x{ns=\"{ns}\"}[{window}])") ==
        "query template: unknown variable {ns} at offset 11 (known: {namespace} {service} {workload} {window})");
  CHECK(template_error("{Namespace}").find("unknown variable {Namespace} at offset 0") != std::string::npos);
  REQUIRE(check_query_template("x{a=\"{cluster}\"}"));
  CHECK(check_query_template("x{a=\"{cluster}\"}")->message.find("{cluster}") != std::string::npos);
  CHECK_FALSE(check_query_template("x{a=\"{service}\"}[{window}]"));
}

TEST_CASE("a value that is not a Kubernetes name is refused, not spliced into PromQL", "[agent][promql]") {
  const WatchedWorkload hostile{"emojivoto", "x\"} or vector(1) #", "web", std::nullopt};
  CHECK(template_error("up{service=\"{service}\"}", hostile) ==
        "query template: {service} = \"x\"} or vector(1) #\" is not a Kubernetes name (only letters, digits, "
        "'.', '_' and '-')");
  CHECK(template_error("{workload}", {"ns", "svc", "", std::nullopt}).find("{workload} = \"\"") !=
        std::string::npos);
}

TEST_CASE("the latency share's queries read one bucket and the count, batched", "[agent][promql]") {
  LinkerdQueryOptions options;
  options.window = 30s;
  CHECK(latency_bucket_query({{"db", "pg", "pg", std::nullopt}}, 500, options) ==
        R"(sum by (namespace, deployment) (rate(response_latency_ms_bucket{direction="inbound", namespace=~"db", )"
        R"(deployment=~"pg", le=~"500(\\.0)?"}[30s])))");
  CHECK(latency_count_query({{"db", "pg", "pg", std::nullopt}}, options) ==
        R"(sum by (namespace, deployment) (rate(response_latency_ms_count{direction="inbound", namespace=~"db", )"
        R"(deployment=~"pg"}[30s])))");
  CHECK(latency_bucket_query({}, 500, options).empty());
  CHECK(latency_count_query({}, options).empty());
}

TEST_CASE("Linkerd's latency bucket bounds", "[agent][promql]") {
  for (const auto bound : {1, 5, 10, 50, 100, 200, 300, 500, 1000, 5000, 10000, 50000}) {
    CHECK(is_linkerd_latency_bound(bound));
  }
  for (const auto between : {0, 6, 250, 750, 1500, 60000}) CHECK_FALSE(is_linkerd_latency_bound(between));
  // The stand-in proxies export the same bounds (test/support/fake_linkerd_proxy.py): 25 finite and +Inf.
  CHECK(std::size(kLinkerdLatencyBoundsMs) == 25);
}
