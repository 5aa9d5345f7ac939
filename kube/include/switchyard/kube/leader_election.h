// Leader election on a coordination.k8s.io/v1 Lease with client-go's
// algorithm and defaults (lease 15 s, renew deadline 10 s, retry 2 s):
//
// - Candidates GET the Lease every retry period (jittered by up to 1.2x) and
//   take it (create if missing, update with the read resourceVersion, so a
//   concurrent writer loses with 409) when nobody holds it or the holder's
//   record has not changed for leaseDurationSeconds of *local* time since
//   this elector saw it change. The holder's renewTime is never compared with
//   the local clock, so clock skew between machines does not matter.
// - The leader renews every retry period. It stops leading when a renewal has
//   not succeeded for renew_deadline (counted from the start of the last
//   successful attempt, enforced by a loop timer even while a request hangs)
//   or when it sees another holder.
// - stop() releases a held lease as client-go's ReleaseOnCancel does:
//   holderIdentity "" and leaseDurationSeconds 1, so a candidate takes over
//   at its next retry instead of waiting out the lease.
//
// Threads: the API calls run on the elector's own thread; callbacks and
// leading() belong to the owner's libuv loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <uv.h>

#include "switchyard/kube/client.h"

namespace switchyard::kube {

struct LeaderElectionOptions {
  std::string lease_namespace, lease_name, identity;
  // Whole seconds: the Lease stores leaseDurationSeconds.
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};  // must be < lease_duration
  std::chrono::milliseconds retry_period{2000};
  bool release_on_stop = true;
  std::uint64_t random_seed = 0;  // retry jitter; 0 = random
};

class LeaderElector {
 public:
  // Loop thread. `client` and `loop` must outlive the elector. Callbacks run
  // on the loop thread and alternate: started, stopped, started, ...
  LeaderElector(Client& client, uv_loop_t* loop, LeaderElectionOptions options,
                std::function<void()> on_started_leading, std::function<void()> on_stopped_leading);
  ~LeaderElector();  // stop()
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Loop thread; starts campaigning. Call once.
  void start();
  // Loop thread: stops campaigning, releases the lease if held (and
  // release_on_stop), joins the thread. When leading, on_stopped_leading runs
  // before stop() returns. Closes the loop handles (the loop must run once
  // more to free them). Idempotent.
  void stop();

  // Loop thread: whether on_started_leading was called last.
  [[nodiscard]] bool leading() const;
  // Any thread: the holder this elector last observed ("" = none / unknown).
  [[nodiscard]] std::string observed_holder() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchyard::kube
