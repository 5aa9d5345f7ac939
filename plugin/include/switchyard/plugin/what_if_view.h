// kubectl switchyard what-if: the live objects as core::what_if takes them,
// and its predictions as text or JSON. Pure: JSON in, text out.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/what_if.h"

namespace switchyard::plugin {

struct LiveObjects {
  core::LiveState state;
  // FailoverServices whose spec cannot be parsed: "failoverservice ns/name: spec.x: ...".
  std::vector<std::string> unreadable;
};

// From JSON arrays of FailoverService and MemberCluster objects as the API
// server lists them. A MemberCluster counts as heard now when its status says
// connected, else at status.lastHeartbeatTime (never: no status); a malformed
// spec.drain counts as a drain, as the hub counts it.
[[nodiscard]] LiveObjects live_state_from(const rapidjson::Value& failover_services,
                                          const rapidjson::Value& member_clusters);

// Why `failure` names nothing in the state ("--fail: no MemberCluster \"eest\""),
// or empty when it names a MemberCluster (or a backing service of some
// FailoverService).
[[nodiscard]] std::string check_failure(const core::LiveState& state, const core::Failure& failure);

// The predictions as an operator reads them: per FailoverService its state
// now and after, per consumer each backend's weight now -> after.
[[nodiscard]] std::string what_if_text(const core::Failure& failure,
                                       const std::vector<core::ServicePrediction>& predictions);

// -o json: {"failure": ..., "failoverServices": [{namespace, name, stateNow,
// stateAfter, invalid?, consumers: [{cluster, silent, moves, now: [{backend,
// weight}], after: [...]}]}]}.
[[nodiscard]] std::string what_if_json(const core::Failure& failure,
                                       const std::vector<core::ServicePrediction>& predictions);

}  // namespace switchyard::plugin
