// Report sequencing per cluster (docs/protocol.md): the hub accepts a delta
// only when it continues the sequence it holds for that agent, so that no
// health is lost or guessed after a hub restart, an agent restart, or a lost
// report. Anything else is answered 409 and the agent sends a full snapshot.
//
// A delta's seq must be exactly last + 1 (applied) or last (a resend of the
// report accepted last: answered Duplicate and forwarded as a heartbeat, so
// the cluster stays alive). An agent sends one report at a time and never
// resends an older one, so any other seq, before or after, is a gap: a
// report forged with the agent's id and a seq far ahead (docs/protocol.md)
// costs the real agent one 409 and a full snapshot, not its cluster.
//
// Thread-safe. `admit` decides and, for an accepted report, runs `forward`
// under the same lock, so reports reach the loop in the order admitted.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "switchyard/protocol/messages.h"

namespace switchyard::hub {

enum class AdmitVerdict {
  Accepted,          // forwarded to the loop
  Duplicate,         // a resend of the report accepted last: 200, forwarded as a heartbeat only
  NeedFullSnapshot,  // 409: unknown agent or a gap in seq
};

struct AdmitResult {
  AdmitVerdict verdict;
  std::string reason;  // for 409 bodies and logs
};

class AgentSessions {
 public:
  using Forward = std::function<void(protocol::Report&&)>;

  [[nodiscard]] AdmitResult admit(const std::string& cluster, protocol::Report&& report,
                                  const Forward& forward);

  // Forgets a cluster (MemberCluster deleted): its next report must be full.
  void forget(const std::string& cluster);

 private:
  struct Session {
    std::string agent_id;
    std::uint64_t last_seq = 0;
  };
  std::mutex mutex_;  // guards sessions_
  std::map<std::string, Session> sessions_;
};

}  // namespace switchyard::hub
