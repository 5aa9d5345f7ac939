// What the agent must do to make its cluster's route objects (TrafficSplits,
// and HTTPRoutes of the Gateway API and of Linkerd) match an assignment:
// create what is missing, merge-patch what differs, leave alone what matches,
// refuse to touch an object it does not manage (reported as a conflict), and
// delete the ones it manages that are no longer assigned. An object's
// identity is its API group, namespace and name (versions of a group are
// views of one object). A desired HTTPRoute whose parent Service already has
// a route of someone else's is not written (a conflict naming that route).
// Pure: the applier does the API calls.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "switchyard";

inline constexpr const char* kOwnerLabel = "switchyard.io/failover-service";

// A Service an HTTPRoute attaches to (parentRefs with group "" or "core" and
// kind Service); port 0: the whole Service.
struct ServiceParent {
  std::string namespace_name;
  std::string name;
  int port = 0;
  bool operator==(const ServiceParent&) const = default;
};

// The Service parents in a route object's spec.parentRefs (none for a
// TrafficSplit, or for parents that are Gateways).
[[nodiscard]] std::vector<ServiceParent> service_parents_of(std::string_view object_json);

// Whether two Service parents can take the same traffic: same Service, and
// the same port or either one the whole Service.
[[nodiscard]] bool same_parent(const ServiceParent& a, const ServiceParent& b);

// A route object (TrafficSplit or HTTPRoute) as it is in the cluster.
struct ExistingTrafficSplit {
  std::string group = "split.smi-spec.io";
  std::string namespace_name;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string spec_json;  // compact JSON of .spec
  std::string resource_version;
  std::vector<ServiceParent> service_parents;  // HTTPRoutes only

  [[nodiscard]] bool managed() const;
  // The FailoverService it routes for ("<namespace>.<name>"), empty if unlabelled.
  [[nodiscard]] std::string owner() const;
};

// "TrafficSplit emojivoto/web-svc" or "HTTPRoute emojivoto/web-svc (gateway.networking.k8s.io)".
[[nodiscard]] std::string describe_route(const std::string& group, const std::string& namespace_name,
                                         const std::string& name);

[[nodiscard]] std::optional<ExistingTrafficSplit> decode_existing_traffic_split(std::string_view json,
                                                                                std::string& error);

enum class SplitAction { Create, Patch, Delete, ForeignConflict };

struct PlannedSplitAction {
  SplitAction action;
  std::string group;
  std::string namespace_name;
  std::string name;
  // Create: the object to create. Patch: the JSON merge patch to send,
  // conditional on the existing object's resourceVersion.
  std::string body;
  std::string reason;  // ForeignConflict: what the status/report says
};

// The JSON merge patch that gives an existing TrafficSplit `desired`'s spec
// and labels; with `resource_version`, only if the object is still at that
// version (the API server answers 409 Conflict otherwise).
[[nodiscard]] std::string merge_patch_for(const protocol::DesiredTrafficSplit& desired,
                                          const std::string& resource_version = "");

// `existing` holds the managed route objects in the cluster plus any object
// found at a desired identity and, for desired HTTPRoutes, the routes of
// their groups attached to the same parents. Unchanged objects yield no
// action. Creates and patches come before deletes, so an object that moves
// to another kind is written before the old one goes.
[[nodiscard]] std::vector<PlannedSplitAction> plan_split_actions(
    const std::vector<protocol::DesiredTrafficSplit>& desired,
    const std::vector<ExistingTrafficSplit>& existing);

}  // namespace switchyard::agent
