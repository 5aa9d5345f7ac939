// A FailoverService as typed values, every default of the API resolved
// (docs: ../shared/design/api.md). Produced by parse_failover_service; the
// rest of the core never sees JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/core/data_plane.h"

namespace switchyard::core {

// namespace/name of a Kubernetes object.
struct ObjectKey {
  std::string namespace_name;
  std::string name;

  [[nodiscard]] std::string to_string() const { return namespace_name + "/" + name; }
  auto operator<=>(const ObjectKey&) const = default;
  bool operator==(const ObjectKey&) const = default;
};

struct BackingService {
  std::string cluster;
  std::string namespace_name;
  std::string name;
  std::int32_t priority = 0;  // lower is preferred; default: index in the list
  std::uint32_t weight = 1;   // relative weight inside its priority group
  // spec.backingServices[].health: this backend's data-plane checks, spec.health's
  // with the fields it names replaced; unset: spec.health's.
  std::optional<DataPlanePolicy> data_plane;

  // "east/emojivoto/web-svc", as status messages name it.
  [[nodiscard]] std::string to_string() const { return cluster + "/" + namespace_name + "/" + name; }
  bool operator==(const BackingService&) const = default;
};

struct HealthPolicy {
  std::uint32_t min_ready_endpoints = 1;
  bool require_mirror_ready = true;
  std::uint32_t unknown_after_seconds = 40;
  std::uint32_t silent_failover_seconds = 120;
  DataPlanePolicy data_plane;  // rule 1a; no check: readiness alone decides
  bool operator==(const HealthPolicy&) const = default;
};

// The SMI TrafficSplit version written to consumers.
enum class SplitApiVersion { V1Alpha1, V1Alpha2, V1Alpha4 };

[[nodiscard]] const char* api_version_string(SplitApiVersion version);

// What a FailoverService asks to be written in each consumer (spec.output.kind,
// else the consumer's MemberCluster spec.output, else TrafficSplit).
enum class OutputKind : std::uint8_t {
  TrafficSplit,      // SMI split.smi-spec.io, in spec.output.apiVersion
  HTTPRoute,         // Gateway API gateway.networking.k8s.io/v1
  LinkerdHTTPRoute,  // Linkerd's copy, policy.linkerd.io (kLinkerdHttpRouteApiVersion)
  Auto,              // the first of the three the consumer's cluster serves: HTTPRoute, Linkerd's, TrafficSplit
};

[[nodiscard]] const char* to_string(OutputKind kind);
// "TrafficSplit", "HTTPRoute", "LinkerdHTTPRoute" or "Auto"; nothing for anything else.
[[nodiscard]] std::optional<OutputKind> output_kind_from(std::string_view text);

// spec.mode: Observe decides and shows, and writes no route (overrides.h).
enum class Mode { Enforce, Observe };

// spec.pin: an operator's override of rule 4 (overrides.h). `backing` is the
// index of the pinned backend in spec.backingServices (validation refuses a
// pin naming none of them).
struct Pin {
  std::string cluster, namespace_name, name;
  std::size_t backing = 0;
  std::optional<std::int64_t> until_ms;  // expiry, ms since the epoch
  bool force = false;
  bool operator==(const Pin&) const = default;
};

struct FailoverSpec {
  std::string service;           // apex; default: first backing service's name
  std::string target_namespace;  // default: first backing service's namespace
  std::vector<BackingService> backing_services;
  std::vector<std::string> consumers;  // default: every cluster named, in order of first appearance
  HealthPolicy health;
  std::uint32_t failback_delay_seconds = 30;
  std::string mirror_name_template = "{name}-{cluster}";
  SplitApiVersion output_version = SplitApiVersion::V1Alpha2;
  // Unset: the consumer's MemberCluster decides (see choose_output).
  std::optional<OutputKind> output_kind;
  // The apex Service's port the HTTPRoute attaches to and sends to
  // (spec.output.port); 0 when the spec names none. Linkerd and the Gateway
  // API need a port on a Service backendRef, so an HTTPRoute is only chosen
  // with one.
  std::uint16_t output_port = 0;
  Mode mode = Mode::Enforce;
  std::optional<Pin> pin;
  // The data-plane checks backing service `b` is judged by.
  [[nodiscard]] const DataPlanePolicy& data_plane_for(std::size_t b) const {
    const auto& own = backing_services[b].data_plane;
    return own ? *own : health.data_plane;
  }
  // Whether any backend has data-plane checks (rule 1a applies).
  [[nodiscard]] bool any_data_plane() const {
    for (std::size_t b = 0; b < backing_services.size(); ++b) {
      if (data_plane_for(b).any()) return true;
    }
    return health.data_plane.any();
  }
  bool operator==(const FailoverSpec&) const = default;
};

struct FailoverService {
  ObjectKey key;
  std::int64_t generation = 0;
  FailoverSpec spec;
  bool operator==(const FailoverService&) const = default;
};

// The name of `backing`'s mirror in another cluster, from the spec's
// template ({name}, {cluster}, {namespace}).
[[nodiscard]] std::string mirror_name(const std::string& name_template, const BackingService& backing);

}  // namespace switchyard::core
