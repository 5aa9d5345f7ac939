#include "switchyard/hub/agent_sessions.h"

namespace switchyard::hub {

AdmitResult AgentSessions::admit(const std::string& cluster, protocol::Report&& report,
                                 const Forward& forward) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(cluster);
  if (report.full) {
    // A full snapshot starts (or restarts) the sequence, whatever came before.
    sessions_[cluster] = Session{report.agent_id, report.seq};
    forward(std::move(report));
    return {AdmitVerdict::Accepted, {}};
  }
  if (it == sessions_.end() || it->second.agent_id != report.agent_id) {
    return {AdmitVerdict::NeedFullSnapshot,
            "agent " + report.agent_id + " of cluster " + cluster +
                " is not known to this hub; send a full snapshot"};
  }
  auto& session = it->second;
  if (report.seq == session.last_seq) {
    // Heard from, so alive; what it carries was applied the first time.
    report.services.clear();
    forward(std::move(report));
    return {AdmitVerdict::Duplicate, "seq " + std::to_string(session.last_seq) + " was already received"};
  }
  if (report.seq < session.last_seq) {
    return {AdmitVerdict::NeedFullSnapshot,
            "seq " + std::to_string(report.seq) + " is behind " + std::to_string(session.last_seq) +
                ", the last accepted from agent " + report.agent_id + "; send a full snapshot"};
  }
  if (report.seq != session.last_seq + 1) {
    return {AdmitVerdict::NeedFullSnapshot,
            "expected seq " + std::to_string(session.last_seq + 1) + ", got " +
                std::to_string(report.seq) + "; send a full snapshot"};
  }
  session.last_seq = report.seq;
  forward(std::move(report));
  return {AdmitVerdict::Accepted, {}};
}

void AgentSessions::forget(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  sessions_.erase(cluster);
}

}  // namespace switchyard::hub
