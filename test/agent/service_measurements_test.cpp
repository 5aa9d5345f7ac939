#include <catch2/catch.hpp>

#include "switchyard/agent/service_measurements.h"

using namespace switchyard;
using namespace switchyard::agent;
using protocol::ServiceKey;
using protocol::ServiceRole;

namespace {

const ServiceKey kWeb{"emojivoto", "web-svc", ServiceRole::Local};
const ServiceKey kMirror{"emojivoto", "web-svc-east", ServiceRole::Mirror};

EndpointSlice slice(const std::string& name, const std::string& service, std::vector<std::string> ready_ips) {
  EndpointSlice s{"emojivoto", name, service, "IPv4", {}};
  for (auto& ip : ready_ips) s.endpoints.push_back({{ip}, true, false, ""});
  return s;
}

}  // namespace

TEST_CASE("watched services are measured from their slices", "[agent]") {
  ServiceMeasurements measurements;
  measurements.set_watch({kWeb, kMirror});
  measurements.service_present("emojivoto", "web-svc");
  measurements.service_present("emojivoto", "web-svc-east");
  measurements.slice_present(slice("web-svc-a", "web-svc", {"10.0.0.1", "10.0.0.2"}));
  measurements.slice_present(slice("web-svc-east-a", "web-svc-east", {"192.168.1.10"}));
  measurements.slice_present(slice("other-a", "other", {"10.0.0.9"}));

  auto measured = measurements.measure();
  REQUIRE(measured.size() == 2);
  CHECK(measured.at(kWeb).exists);
  CHECK(measured.at(kWeb).ready_endpoints == 2);
  CHECK(measured.at(kMirror).ready_endpoints == 1);
  CHECK(measured.at(kMirror).key.role == ServiceRole::Mirror);

  SECTION("losing the last endpoint is measured at once") {
    measurements.slice_present(slice("web-svc-a", "web-svc", {}));
    CHECK(measurements.measure().at(kWeb).ready_endpoints == 0);
  }
  SECTION("a deleted slice no longer counts") {
    measurements.slice_gone("emojivoto", "web-svc-a");
    CHECK(measurements.measure().at(kWeb).total_endpoints == 0);
  }
  SECTION("a relabelled slice moves to its new service") {
    measurements.slice_present(slice("web-svc-a", "other", {"10.0.0.1"}));
    CHECK(measurements.measure().at(kWeb).ready_endpoints == 0);
  }
  SECTION("a deleted service does not exist and has no endpoints, whatever slices remain") {
    measurements.service_gone("emojivoto", "web-svc");
    const auto gone = measurements.measure().at(kWeb);
    CHECK_FALSE(gone.exists);
    CHECK(gone.ready_endpoints == 0);
    CHECK(gone.total_endpoints == 0);
  }
}

TEST_CASE("only what the assignment's watch list names is measured", "[agent]") {
  ServiceMeasurements measurements;
  measurements.service_present("emojivoto", "web-svc");
  CHECK(measurements.measure().empty());
  measurements.set_watch({kMirror});
  const auto measured = measurements.measure();
  REQUIRE(measured.size() == 1);
  CHECK_FALSE(measured.at(kMirror).exists);
}

TEST_CASE("the checks the hub sent for a local service reach its workload", "[agent][data-plane]") {
  ServiceMeasurements measurements;
  const ServiceKey other{"emojivoto", "voting-svc", ServiceRole::Local};
  measurements.set_watch({kWeb, other}, {{kWeb, protocol::DataPlaneChecks{10'000, 0.9, 20'000, std::nullopt, {}}}});
  for (const auto* name : {"web-svc", "voting-svc"}) {
    measurements.service_present("emojivoto", name);
    EndpointSlice s{"emojivoto", std::string(name) + "-a", name, "IPv4", {}};
    s.endpoints.push_back({{"10.0.0.1"}, true, false, std::string(name) + "-5d8f7c9b6-x2k4p"});
    measurements.slice_present(std::move(s));
  }
  const auto workloads = measurements.workloads();
  REQUIRE(workloads.size() == 2);
  const auto& voting = workloads[0].service == "voting-svc" ? workloads[0] : workloads[1];
  const auto& web = workloads[0].service == "web-svc" ? workloads[0] : workloads[1];
  REQUIRE(web.checks);
  CHECK(*web.checks == protocol::DataPlaneChecks{10'000, 0.9, 20'000, std::nullopt, {}});
  CHECK_FALSE(voting.checks);  // none sent: the agent's flags apply
}
