// What the agent must do to make its cluster's TrafficSplits match an
// assignment: create what is missing, merge-patch what differs, leave alone
// what matches, refuse to touch a TrafficSplit it does not manage (reported as
// a conflict), and delete the ones it manages that are no longer assigned.
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

// A TrafficSplit as it is in the cluster.
struct ExistingTrafficSplit {
  std::string namespace_name;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string spec_json;  // compact JSON of .spec
  std::string resource_version;

  [[nodiscard]] bool managed() const;
};

[[nodiscard]] std::optional<ExistingTrafficSplit> decode_existing_traffic_split(std::string_view json,
                                                                                std::string& error);

enum class SplitAction { Create, Patch, Delete, ForeignConflict };

struct PlannedSplitAction {
  SplitAction action;
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

// `existing` holds the managed TrafficSplits in the cluster plus any object
// found at a desired name. Unchanged splits yield no action.
[[nodiscard]] std::vector<PlannedSplitAction> plan_split_actions(
    const std::vector<protocol::DesiredTrafficSplit>& desired,
    const std::vector<ExistingTrafficSplit>& existing);

}  // namespace switchyard::agent
