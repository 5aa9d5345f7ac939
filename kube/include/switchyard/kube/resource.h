// A resource type addressed by group/version/resource, as the REST paths
// spell it: /api/v1/... for the core group, /apis/<group>/<version>/... else.
#pragma once

#include <string>
#include <string_view>

namespace switchyard::kube {

struct Resource {
  std::string group;    // "" = core
  std::string version;  // "v1"
  std::string plural;   // "services"
  std::string kind;     // "Service"
  bool namespaced = true;

  // "v1" or "discovery.k8s.io/v1"
  [[nodiscard]] std::string api_version() const;
  // "/api/v1" or "/apis/<group>/<version>"
  [[nodiscard]] std::string group_version_path() const;
  // The REST path of a collection (name empty) or one object, with an
  // optional subresource ("status"). ns is ignored for cluster-scoped
  // resources; empty ns on a namespaced resource lists across namespaces.
  [[nodiscard]] std::string path(std::string_view ns, std::string_view name = {},
                                 std::string_view subresource = {}) const;
};

inline const Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const Resource kSecrets{"", "v1", "secrets", "Secret", true};
inline const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline const Resource kServices{"", "v1", "services", "Service", true};
inline const Resource kEvents{"", "v1", "events", "Event", true};
inline const Resource kEndpointSlices{"discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline const Resource kFailoverServices{"switchyard.io", "v1alpha1", "failoverservices",
                                        "FailoverService", true};
inline const Resource kMemberClusters{"switchyard.io", "v1alpha1", "memberclusters",
                                      "MemberCluster", false};
inline const Resource kCustomResourceDefinitions{"apiextensions.k8s.io", "v1",
                                                 "customresourcedefinitions",
                                                 "CustomResourceDefinition", false};

// split.smi-spec.io TrafficSplit in one of "v1alpha1", "v1alpha2", "v1alpha4".
[[nodiscard]] Resource trafficsplits(std::string_view version);

}  // namespace switchyard::kube
