// The watch list the hub sends carries each checked local service's data-plane
// checks (docs/protocol.md, "Data-plane checks"), decodable by the agent.
#include <catch2/catch.hpp>

#include "switchyard/hub/assignment_board.h"
#include "switchyard/protocol/codec.h"

using switchyard::core::ClusterAssignment;
using switchyard::core::MeasureRequest;
using switchyard::core::ServiceRole;
using namespace switchyard::hub;

TEST_CASE("the watch list carries a checked service's windows, quantile and latency maximum, and nothing for the others",
          "[hub][dataplane]") {
  const std::vector<ClusterAssignment::WatchItem> watch{
      {"emojivoto", "voting-svc", ServiceRole::Local, std::nullopt},
      {"emojivoto", "web-svc", ServiceRole::Local, MeasureRequest{20'000, 0.95, 60'000, 500, {}}},
      {"emojivoto", "web-svc-east", ServiceRole::Mirror, std::nullopt}};
  const auto body = encode_assignment_body(4, "e1", encode_watch_json(watch), EncodedSplits());
  const auto decoded = switchyard::protocol::decode_assignment(body);
  INFO(decoded.message());
  REQUIRE(decoded.ok());
  REQUIRE(decoded.value->watch.size() == 3);
  REQUIRE(decoded.value->checks.size() == 1);
  const switchyard::protocol::ServiceKey web{"emojivoto", "web-svc", switchyard::protocol::ServiceRole::Local};
  CHECK(decoded.value->checks.at(web) == switchyard::protocol::DataPlaneChecks{20'000, 0.95, 60'000, 500, {}});
}
