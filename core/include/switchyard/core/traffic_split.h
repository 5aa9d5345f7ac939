// The TrafficSplit a consumer cluster gets (api.md rule 6), as a typed value
// and as the JSON object in each SMI version.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "switchyard/core/failover_service.h"

namespace switchyard::core {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "switchyard";
inline constexpr const char* kFailoverServiceLabel = "switchyard.io/failover-service";

struct SplitBackend {
  std::string service;
  std::uint32_t weight = 0;
  bool operator==(const SplitBackend&) const = default;
};

// Which object a consumer's route is written as (the choice made of
// spec.output per consumer, see output_choice.h).
enum class RouteKind : std::uint8_t { TrafficSplit, GatewayHTTPRoute, LinkerdHTTPRoute };

// The decided route of one consumer: the same weights whatever object it is
// written as (`kind`; traffic_split_to_json or http_route_to_json).
struct TrafficSplit {
  SplitApiVersion api_version = SplitApiVersion::V1Alpha2;  // for RouteKind::TrafficSplit
  std::string namespace_name;
  std::string name;
  std::string owner;  // "<namespace>.<name>" of the FailoverService, the label's value
  std::string apex_service;
  std::vector<SplitBackend> backends;
  RouteKind kind = RouteKind::TrafficSplit;
  std::uint16_t port = 0;  // for the HTTPRoutes: spec.output.port
  bool operator==(const TrafficSplit&) const = default;
};

// v1alpha1 writes weights as quantity strings ("1"), v1alpha2 and v1alpha4
// as integers.
[[nodiscard]] std::string traffic_split_to_json(const TrafficSplit& split);

}  // namespace switchyard::core
