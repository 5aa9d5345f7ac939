// Builds the agent's reports (docs/protocol.md): a full snapshot first, after
// a 409 and after any failed send (the hub may or may not have it, and a full
// snapshot is accepted whatever came before); otherwise a delta with the
// services whose measurement changed since the last report the hub accepted.
// An empty delta is the heartbeat.
//
// Not thread-safe: owned by the agent's loop thread.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

class ReportBuilder {
 public:
  explicit ReportBuilder(std::string agent_id, std::string agent_version = {});

  // `measured` holds every watched service; `applied` the state of the last
  // assignment applied; `outputs` the route APIs discovered in the cluster
  // (docs/protocol.md, "Served route APIs"): sent in every full report and
  // in a delta when they differ from what the hub last accepted.
  [[nodiscard]] protocol::Report next(const std::map<protocol::ServiceKey, protocol::ServiceHealth>& measured,
                                      const protocol::AppliedState& applied,
                                      const std::optional<protocol::ServedApis>& outputs = std::nullopt);

  // The hub applied `report` (200): later deltas are relative to it. A
  // report the hub answered Duplicate is not accepted: its changes go again.
  void accepted(const protocol::Report& report);
  // The hub answered 409, or the send failed: the next report is full.
  void require_full();
  [[nodiscard]] bool full_required() const { return need_full_; }

  [[nodiscard]] const std::string& agent_id() const { return agent_id_; }

 private:
  std::string agent_id_;
  std::string agent_version_;
  std::uint64_t next_seq_ = 1;
  bool need_full_ = true;
  // What the hub holds, as of the last accepted report.
  std::map<protocol::ServiceKey, protocol::ServiceHealth> baseline_;
  std::optional<protocol::ServedApis> baseline_outputs_;
};

}  // namespace switchyard::agent
