// The leader-election decision logic of client-go's leaderelection package
// as a pure state machine: it is told what a GET of the Lease returned and
// what time it is, and says what to write. The shell (leader_election.cpp)
// does the API calls and the waiting.
//
// Expiry is judged the way client-go judges it: by the local steady time at
// which this elector last saw the record change, plus the record's
// leaseDurationSeconds. The holder's renewTime is never compared with the
// local clock, so clock skew between machines does not matter.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace switchyard::kube {

// The spec of a coordination.k8s.io/v1 Lease, as the election uses it.
struct LeaseRecord {
  std::string holder_identity;  // "" = nobody holds the lease
  int lease_duration_seconds = 0;
  std::string acquire_time;  // MicroTime text ("2026-11-25T03:00:00.000000Z")
  std::string renew_time;
  int lease_transitions = 0;

  bool operator==(const LeaseRecord&) const = default;
};

struct ElectionNow {
  std::chrono::steady_clock::time_point steady;  // judges expiry and deadlines
  std::chrono::system_clock::time_point wall;    // written into acquireTime/renewTime
};

// "2026-11-25T03:00:00.123456Z": metav1.MicroTime as the API server writes it.
[[nodiscard]] std::string format_micro_time(std::chrono::system_clock::time_point time);

enum class LeaseAction { None, Create, Update };

struct LeasePlan {
  LeaseAction action = LeaseAction::None;
  LeaseRecord record;  // what to write for Create/Update
};

class ElectionState {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  ElectionState(std::string identity, std::chrono::milliseconds lease_duration,
                std::chrono::milliseconds renew_deadline);

  // One acquire-or-renew round (client-go's tryAcquireOrRenew): `current` is
  // what the GET returned (nullopt: the Lease does not exist), `now` the time
  // the answer arrived. Returns Create/Update with the record to write, or
  // None when another holder's lease is still valid.
  [[nodiscard]] LeasePlan plan(const std::optional<LeaseRecord>& current, ElectionNow now);

  // The planned write of `record` succeeded. `attempt_started` is when the
  // round began (renewals count from there, so the leader's deadline errs
  // early); `now` is when the answer arrived (the record was observed then).
  void written(const LeaseRecord& record, SteadyTime attempt_started, SteadyTime now);

  // The record that gives the lease up on a clean shutdown, as client-go
  // writes it: holderIdentity "", leaseDurationSeconds 1, transitions kept.
  // nullopt when this elector does not hold the lease.
  [[nodiscard]] std::optional<LeaseRecord> release_record(ElectionNow now) const;
  void released(const LeaseRecord& record, SteadyTime now);

  // Whether the last observed record names this elector.
  [[nodiscard]] bool holds_lease() const { return observed_.holder_identity == identity_; }
  // Whether this elector should act as leader at `now`: it holds the lease and
  // renewed it successfully less than the renew deadline ago.
  [[nodiscard]] bool leading(SteadyTime now) const;
  // When leading(now) turns false unless a renewal succeeds first.
  [[nodiscard]] SteadyTime renew_deadline_at() const { return last_renewal_ + renew_deadline_; }
  // Whether the observed record is still valid at `now` by local observation.
  [[nodiscard]] bool lease_valid(SteadyTime now) const;

  [[nodiscard]] const LeaseRecord& observed() const { return observed_; }

  // How long a candidate waits before its next round: `jittered_retry`, but
  // no longer than until the lease it observed held by another runs out, so
  // it takes over as the lease expires instead of up to a jittered retry
  // period (4.4 s with client-go's defaults) after. With it, a takeover
  // after the holder dies comes within leaseDuration + retryPeriod + jitter
  // of the holder's last renewal (the jittered wait is how late the
  // candidate may see that renewal): 19.4 s with the defaults, where it was
  // up to 23.8 s.
  [[nodiscard]] std::chrono::milliseconds candidate_wait(SteadyTime now,
                                                         std::chrono::milliseconds jittered_retry) const;

 private:
  void observe(const LeaseRecord& record, SteadyTime now);

  std::string identity_;
  std::chrono::milliseconds lease_duration_;
  std::chrono::milliseconds renew_deadline_;
  LeaseRecord observed_;
  bool has_observed_ = false;
  SteadyTime observed_time_{};  // local time the observed record last changed
  bool has_renewed_ = false;
  SteadyTime last_renewal_{};  // start of the last successful write as holder
};

}  // namespace switchyard::kube
