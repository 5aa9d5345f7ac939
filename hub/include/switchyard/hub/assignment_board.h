// Where the loop publishes each cluster's current assignment and where long
// polls wait for it to change (docs/protocol.md, "Assignments").
//
// Thread-safe. The loop thread publishes immutable, already-encoded
// assignments; HTTP threads wait on a per-cluster condition, so a publish
// wakes only that cluster's pollers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "switchyard/core/engine.h"

namespace switchyard::hub {

struct PublishedAssignment {
  std::int64_t revision = 0;
  std::string body;  // the encoded protocol::Assignment
};

// The encoded protocol::Assignment (the complete desired state,
// docs/protocol.md) from TrafficSplits already encoded one by one, so that a
// change re-encodes only the TrafficSplits it changed and copies the others.
[[nodiscard]] std::string encode_assignment_body(std::int64_t revision,
                                                 const std::vector<core::ClusterAssignment::WatchItem>& watch,
                                                 const std::vector<std::string>& split_objects);

class AssignmentBoard {
 public:
  using Clock = std::chrono::steady_clock;

  void publish(const std::string& cluster, std::shared_ptr<const PublishedAssignment> assignment);
  void remove(const std::string& cluster);

  // The cluster's assignment as soon as its revision differs from `after`
  // (a different revision, not only a newer one, so an agent that applied a
  // previous hub's revision converges at once), or at `deadline` whatever it
  // is, or at shutdown. Nullptr when nothing was ever published for it.
  [[nodiscard]] std::shared_ptr<const PublishedAssignment> wait_for_change(
      const std::string& cluster, std::int64_t after, Clock::time_point deadline);

  // Wakes every waiter; later waits return at once.
  void shutdown();

  [[nodiscard]] std::size_t parked() const;

 private:
  struct Slot {
    std::shared_ptr<const PublishedAssignment> current;
    std::condition_variable changed;
  };
  mutable std::mutex mutex_;  // guards slots_, parked_, stopping_
  std::map<std::string, std::unique_ptr<Slot>> slots_;
  std::size_t parked_ = 0;
  bool stopping_ = false;
};

}  // namespace switchyard::hub
