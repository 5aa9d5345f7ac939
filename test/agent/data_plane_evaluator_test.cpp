// The agent's data-plane evaluation loop: which Deployment a service's pods
// belong to, what a round reports, and a Prometheus that is down or slow.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "switchyard/agent/data_plane_evaluator.h"
#include "switchyard/agent/service_measurements.h"

using namespace switchyard::agent;
using namespace std::chrono_literals;
namespace protocol = switchyard::protocol;

namespace {

// Answers every query with one error, after `delay`; counts the queries.
class DownPrometheus : public PrometheusApi {
 public:
  explicit DownPrometheus(std::chrono::milliseconds delay) : delay_(delay) {}
  PromQueryResult query(const std::string&) override {
    ++queries;
    std::this_thread::sleep_for(delay_);
    return PromError{PromErrorKind::Unreachable, "connection refused"};
  }
  std::atomic<int> queries{0};

 private:
  std::chrono::milliseconds delay_;
};

EndpointSlice slice_of(const std::string& service, const std::vector<std::string>& pods) {
  EndpointSlice slice{"shop", service + "-abc", service, "IPv4", {}};
  for (std::size_t i = 0; i < pods.size(); ++i) {
    slice.endpoints.push_back({{"10.0.0." + std::to_string(i + 1)}, true, false, pods[i]});
  }
  return slice;
}

}  // namespace

TEST_CASE("the Deployment of a pod comes from its ReplicaSet-made name only", "[agent][dataplane]") {
  CHECK(workload_of_pod("web-5d8f7c9b6-x2k4p") == "web");
  CHECK(workload_of_pod("my-api-v2-7f9c4b8d6d-abcde") == "my-api-v2");
  CHECK(workload_of_pod("db-0").empty());              // a StatefulSet's pod
  CHECK(workload_of_pod("web").empty());               // a bare pod
  CHECK(workload_of_pod("web-5d8f7c9b6-x2k4").empty());  // not the controller's 5 characters
  CHECK(workload_of_pod("web-5D8F7C9B6-x2k4p").empty());
  CHECK(workload_of_pod("-5d8f7c9b6-x2k4p").empty());
  CHECK(workload_of_pod("").empty());
}

TEST_CASE("each watched local service is measured as the Deployment most of its pods belong to",
          "[agent][dataplane]") {
  ServiceMeasurements measurements;
  measurements.set_watch({{"shop", "checkout", protocol::ServiceRole::Local},
                          {"shop", "checkout-east", protocol::ServiceRole::Mirror},
                          {"shop", "bare", protocol::ServiceRole::Local}});
  for (const auto* name : {"checkout", "checkout-east", "bare"}) measurements.service_present("shop", name);
  measurements.slice_present(
      slice_of("checkout", {"checkout-6b7c8d9f5-aaaaa", "checkout-6b7c8d9f5-bbbbb", "canary-5c6d7e8f9-ccccc"}));
  measurements.slice_present(slice_of("checkout-east", {"checkout-6b7c8d9f5-ddddd"}));
  measurements.slice_present(slice_of("bare", {"bare"}));
  const auto workloads = measurements.workloads();
  REQUIRE(workloads.size() == 1);  // mirrors are measured in their own cluster; a bare pod has no Deployment
  CHECK(workloads[0].namespace_ == "shop");
  CHECK(workloads[0].service == "checkout");
  CHECK(workloads[0].workload == "checkout");
}

TEST_CASE("a round's report: rounded values, and any error makes it an error without numbers",
          "[agent][dataplane]") {
  DataPlaneMeasurement measured{
      {"shop", "checkout", "checkout", std::nullopt}, 12.34, {0.95123, ""}, {812.4, ""}, {}, std::nullopt,
      {{"errors", {0.01234, ""}}}, {}};
  CHECK(to_report(measured) ==
        protocol::DataPlaneMeasurement{12.0, 0.951, 810.0, {{"errors", 0.0123}}, "", std::nullopt, std::nullopt});
  measured.queries["queue"] = {std::nullopt, "query queue answered 0 series"};
  CHECK(to_report(measured).error == "query queue answered 0 series");
  measured.queries.erase("queue");
  measured.latency_ms = {std::nullopt, "latency query: timeout"};
  CHECK(to_report(measured) ==
        protocol::DataPlaneMeasurement{std::nullopt, std::nullopt, std::nullopt, {}, "latency query: timeout",
                                       std::nullopt, std::nullopt});
}

TEST_CASE("Prometheus down or slow: rounds keep coming with the error, and stop() returns", "[agent][dataplane]") {
  switchyard::metrics::Registry registry;
  AgentMetrics metrics(registry);
  auto prometheus = std::make_unique<DownPrometheus>(150ms);  // slower than the interval
  auto& down = *prometheus;
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<DataPlaneRound> rounds;
  DataPlaneOptions options{50ms, {{}, 0.99}};
  DataPlaneEvaluator evaluator(std::move(prometheus), options, metrics, [&](DataPlaneRound round) {
    std::lock_guard lock(mutex);
    rounds.push_back(std::move(round));
    arrived.notify_all();
  });
  evaluator.set_workloads({{"shop", "checkout", "checkout", std::nullopt}});
  evaluator.start();
  {
    std::unique_lock lock(mutex);
    REQUIRE(arrived.wait_for(lock, 10s, [&] { return rounds.size() >= 3; }));
  }
  evaluator.stop();
  const protocol::ServiceKey key{"shop", "checkout", protocol::ServiceRole::Local};
  REQUIRE(rounds[0].measured.count(key) == 1);
  CHECK_THAT(rounds[0].measured.at(key).error, Catch::Contains("connection refused"));
  CHECK_FALSE(rounds[0].measured.at(key).success_rate);
  // Rounds do not pile up behind the slow queries: two queries per round.
  CHECK(down.queries.load() <= 2 * static_cast<int>(rounds.size()) + 2);
}
