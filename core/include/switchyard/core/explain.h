// Why traffic is where it is (issue 17, `kubectl switchyard explain`): the
// rules of api.md applied to what a FailoverService's spec and recorded
// status show, one line per finding, each naming the rule that decided.
//
// Pure: from the spec, the status the hub wrote and the MemberClusters as
// the API server shows them (what_if.h's LiveCluster). It explains the
// recorded decision; it does not decide again. The failback timer left is
// estimated from status (the higher group's last transition to Healthy and
// the consumer's activeSince), as the hub's clock is not in status.
#pragma once

#include <string>
#include <vector>

#include "switchyard/core/time.h"
#include "switchyard/core/what_if.h"

namespace switchyard::core {

struct ExplainLine {
  // "state", "1" (health), "1a" (data plane), "overrides", "2" (usable from
  // a consumer), "3", "4" (group and failback), "5" (weights).
  std::string rule;
  std::string text;
  bool operator==(const ExplainLine&) const = default;
};

[[nodiscard]] std::vector<ExplainLine> explain(const LiveFailoverService& service,
                                               const std::vector<LiveCluster>& clusters, TimeMs now);

}  // namespace switchyard::core
