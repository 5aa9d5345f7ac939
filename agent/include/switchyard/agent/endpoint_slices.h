// Counting a Service's endpoints from its EndpointSlices the way Kubernetes
// defines readiness (discovery.k8s.io/v1):
//   - `conditions.ready` true or unset counts as ready ("unknown is ready");
//   - a terminating endpoint is not ready, whatever `ready` says;
//   - an address that appears in several slices (slices overlap while the
//     EndpointSlice controller moves endpoints) counts once;
//   - a dual-stack Service has one set of slices per address type: the count
//     is that of the address type with the most endpoints, so one pod with an
//     IPv4 and an IPv6 address counts once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::agent {

struct SliceEndpoint {
  std::vector<std::string> addresses;
  std::optional<bool> ready;
  std::optional<bool> terminating;
  std::string pod;  // targetRef.name when targetRef.kind is Pod: whose proxy serves it
};

struct EndpointSlice {
  std::string namespace_name;
  std::string name;
  std::string service_name;  // label kubernetes.io/service-name; empty if absent
  std::string address_type;  // IPv4, IPv6 or FQDN
  std::vector<SliceEndpoint> endpoints;
};

// Decodes an EndpointSlice object (JSON as the API server sends it). Returns
// nothing, with `error` set naming the field, when it is not one.
[[nodiscard]] std::optional<EndpointSlice> decode_endpoint_slice(std::string_view json,
                                                                 std::string& error);

struct EndpointCount {
  std::uint32_t ready = 0;
  std::uint32_t total = 0;
  bool operator==(const EndpointCount&) const = default;
};

// The endpoints of one Service, from all of its slices.
[[nodiscard]] EndpointCount count_endpoints(const std::vector<const EndpointSlice*>& slices);

}  // namespace switchyard::agent
