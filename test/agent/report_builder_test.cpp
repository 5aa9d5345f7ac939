#include <catch2/catch.hpp>

#include "switchyard/agent/report_builder.h"

using namespace switchyard;
using namespace switchyard::agent;
using protocol::ServiceHealth;
using protocol::ServiceKey;
using protocol::ServiceRole;

namespace {

const ServiceKey kWeb{"emojivoto", "web-svc", ServiceRole::Local};
const ServiceKey kMirror{"emojivoto", "web-svc-east", ServiceRole::Mirror};

std::map<ServiceKey, ServiceHealth> measured(std::uint32_t web_ready, std::uint32_t mirror_ready) {
  return {{kWeb, {kWeb, true, web_ready, 2, {}}}, {kMirror, {kMirror, true, mirror_ready, 1, {}}}};
}

}  // namespace

TEST_CASE("the first report is a full snapshot, then deltas carry only changes", "[agent]") {
  ReportBuilder builder("a1", "0.1.0");
  const auto first = builder.next(measured(2, 1), {});
  CHECK(first.full);
  CHECK(first.seq == 1);
  CHECK(first.agent_version == "0.1.0");
  CHECK(first.services.size() == 2);
  builder.accepted(first);

  const auto heartbeat = builder.next(measured(2, 1), {7, {}});
  CHECK_FALSE(heartbeat.full);
  CHECK(heartbeat.seq == 2);
  CHECK(heartbeat.services.empty());
  CHECK(heartbeat.applied.revision == 7);
  builder.accepted(heartbeat);

  const auto delta = builder.next(measured(0, 1), {7, {}});
  CHECK(delta.seq == 3);
  REQUIRE(delta.services.size() == 1);
  CHECK(delta.services[0].key == kWeb);
  CHECK(delta.services[0].ready_endpoints == 0);
}

TEST_CASE("a change not yet accepted is sent again in the next delta", "[agent]") {
  ReportBuilder builder("a1");
  builder.accepted(builder.next(measured(2, 1), {}));
  const auto lost = builder.next(measured(0, 1), {});
  REQUIRE(lost.services.size() == 1);
  // `lost` was never accepted, so the change stays pending.
  const auto again = builder.next(measured(0, 1), {});
  REQUIRE(again.services.size() == 1);
  CHECK(again.services[0].ready_endpoints == 0);
}

TEST_CASE("after a 409 or a failed send the next report is full", "[agent]") {
  ReportBuilder builder("a1");
  builder.accepted(builder.next(measured(2, 1), {}));
  builder.require_full();
  const auto full = builder.next(measured(2, 1), {});
  CHECK(full.full);
  CHECK(full.services.size() == 2);
  CHECK(full.seq == 2);
}

TEST_CASE("a service the agent now watches is sent in the next delta", "[agent]") {
  ReportBuilder builder("a1");
  std::map<ServiceKey, ServiceHealth> only_web{{kWeb, {kWeb, true, 2, 2, {}}}};
  builder.accepted(builder.next(only_web, {}));
  const auto delta = builder.next(measured(2, 1), {});
  REQUIRE(delta.services.size() == 1);
  CHECK(delta.services[0].key == kMirror);
}
