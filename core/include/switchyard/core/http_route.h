// The HTTPRoute a consumer cluster gets instead of a TrafficSplit (api.md
// rule 6): the Gateway API's (gateway.networking.k8s.io/v1) or Linkerd's copy
// of it (policy.linkerd.io). A second derivation of the same decided route;
// nothing in the decision knows which one is written.
#pragma once

#include <cstddef>
#include <string>

#include "switchyard/core/traffic_split.h"

namespace switchyard::core {

inline constexpr const char* kGatewayHttpRouteApiVersion = "gateway.networking.k8s.io/v1";
// The newest version Linkerd serves (charts/linkerd-crds policy/httproute.yaml
// of version-2.20: v1alpha1, v1beta1, v1beta2, v1beta3; v1beta3 stored).
inline constexpr const char* kLinkerdHttpRouteApiVersion = "policy.linkerd.io/v1beta3";
// The Gateway API's HTTPRoute schema allows at most 16 backendRefs per rule.
inline constexpr std::size_t kMaxHttpRouteBackends = 16;

[[nodiscard]] const char* api_version_string(const TrafficSplit& route);
[[nodiscard]] const char* kind_string(RouteKind kind);  // "TrafficSplit" or "HTTPRoute"

// The HTTPRoute: parentRefs the apex Service (group "", the core group as the
// Gateway API spells it and Linkerd accepts; kind Service; the port), one rule
// whose backendRefs are the route's backends in order with their weights
// (weight 0 carries no traffic, as the Gateway API defines), each with the
// port. Requires route.kind to be an HTTPRoute and route.port != 0.
[[nodiscard]] std::string http_route_to_json(const TrafficSplit& route);

// Whichever object route.kind names.
[[nodiscard]] std::string route_to_json(const TrafficSplit& route);

}  // namespace switchyard::core
