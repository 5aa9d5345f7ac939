// Where the loop publishes each cluster's current assignment and where long
// polls wait for it to change (docs/protocol.md, "Assignments" and
// "Revisions").
//
// Thread-safe. The loop thread publishes immutable, already-encoded
// assignments, each with the step that led to it from the revision before.
// A poll either blocks a thread (wait_for_change) or parks without one
// (park: a wake-up callback the publishing thread calls once); either way a
// publish wakes only that cluster's pollers. A poller that names this board's epoch and a revision
// the kept steps reach back to is answered with a delta (what changed since
// its revision, assembled from the steps), any other with the complete
// assignment.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "switchyard/core/engine.h"
#include "switchyard/hub/encoded_splits.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::hub {

// One cluster's assignment at one revision, or an answer made from it.
// Immutable once handed to the board (shared by polls on any thread).
struct PublishedAssignment {
  std::int64_t revision = 0;
  std::string body;        // the encoded answer; empty when the parts below make it
  std::string epoch;       // with the parts: the board's
  std::string watch_json;  // the watch list as an encoded array
  EncodedSplits splits;    // every TrafficSplit, encoded, in order

  // `body`, or else the complete assignment assembled from the parts, once,
  // by the first poll that needs it (a poll answered with a delta never does).
  [[nodiscard]] const std::string& text() const;

 private:
  mutable std::once_flag assembled_once_;
  mutable std::string assembled_;
};

// What one revision changed in a cluster's assignment, from revision - 1.
struct AssignmentStep {
  std::int64_t revision = 0;
  bool watch_changed = false;
  // Each TrafficSplit added or changed (its encoded object) or removed (nullopt).
  std::vector<std::pair<protocol::SplitName, std::optional<std::string>>> splits;
};

// The watch list as the encoded JSON array an assignment carries.
[[nodiscard]] std::string encode_watch_json(const std::vector<core::ClusterAssignment::WatchItem>& watch);

// The complete protocol::Assignment, from TrafficSplits already encoded one
// by one, so that a change re-encodes only the TrafficSplits it changed and
// copies the others.
[[nodiscard]] std::string encode_assignment_body(std::int64_t revision, const std::string& epoch,
                                                 const std::string& watch_json, const EncodedSplits& split_objects);

// A delta protocol::Assignment: `watch_json` only when the watch list changed.
[[nodiscard]] std::string encode_delta_body(std::int64_t revision, const std::string& epoch,
                                            const std::string* watch_json,
                                            const std::vector<const std::string*>& split_objects,
                                            const std::vector<protocol::SplitName>& removed);

class AssignmentBoard {
 public:
  using Clock = std::chrono::steady_clock;

  AssignmentBoard();  // picks a random epoch

  // This board's revisions are numbered within this epoch: a delta is only
  // ever computed against a revision of the same epoch.
  [[nodiscard]] const std::string& epoch() const { return epoch_; }

  // `step` is what changed from the previous publish (revision - 1); without
  // one (a first publish, or one whose difference is not known) the kept
  // steps are dropped and the next polls get the complete assignment.
  void publish(const std::string& cluster, std::shared_ptr<const PublishedAssignment> assignment,
               std::shared_ptr<const AssignmentStep> step = nullptr);
  void remove(const std::string& cluster);

  // The answer to a poll from an agent that holds revision `after` of epoch
  // `epoch` (empty: none, or from a hub that never sent one): as soon as the
  // cluster's revision differs from `after` (a different revision, not only
  // a newer one, so an agent that applied a previous hub's revision
  // converges at once) or the epochs differ, or at `deadline` whatever it is,
  // or at shutdown. A delta when this board holds every step since `after`,
  // else the complete assignment. Nullptr when nothing was ever published.
  [[nodiscard]] std::shared_ptr<const PublishedAssignment> wait_for_change(const std::string& cluster,
                                                                           std::int64_t after,
                                                                           Clock::time_point deadline,
                                                                           const std::string& epoch = "");

  // A poll that holds no thread. When the answer is due now (wait_for_change
  // would return at once), `answered` and the answer (nullptr when nothing
  // was ever published). Otherwise the board keeps `wake` under `ticket` and
  // calls it once, on the thread that publishes, removes or shuts down for
  // this cluster, without the board's lock held: the caller then parks again
  // (the answer may be due) or, at its deadline, takes answer_now().
  // `wake` must only hand off (post to the caller's own thread), never call
  // back into the board.
  struct Parking {
    bool answered = false;
    std::shared_ptr<const PublishedAssignment> answer;
    std::uint64_t ticket = 0;
  };
  [[nodiscard]] Parking park(const std::string& cluster, std::int64_t after, const std::string& epoch,
                             std::function<void()> wake);
  // Drops a parked poll's wake-up if it was not called yet (poll answered,
  // timed out, or its client went away).
  void unpark(const std::string& cluster, std::uint64_t ticket);
  // What a poll gets at its deadline, whatever the revision.
  [[nodiscard]] std::shared_ptr<const PublishedAssignment> answer_now(const std::string& cluster, std::int64_t after,
                                                                      const std::string& epoch);

  // Wakes every waiter; later waits return at once.
  void shutdown();

  [[nodiscard]] std::size_t parked() const;

 private:
  struct Slot {
    std::shared_ptr<const PublishedAssignment> current;
    // Steps leading to current, oldest first, revisions without gaps.
    std::deque<std::shared_ptr<const AssignmentStep>> steps;
    std::size_t step_entries = 0;  // TrafficSplits named by the kept steps
    std::condition_variable changed;
    std::map<std::uint64_t, std::function<void()>> wakes;  // parked polls, by ticket
  };

  Slot& slot_of(const std::string& cluster);  // mutex_ held
  [[nodiscard]] bool due(const Slot& slot, std::int64_t after, const std::string& epoch) const;
  // The answer from `slot` (mutex_ held by `lock`, released while a delta is assembled).
  [[nodiscard]] std::shared_ptr<const PublishedAssignment> answer_from(std::unique_lock<std::mutex>& lock,
                                                                       const Slot& slot, std::int64_t after,
                                                                       const std::string& epoch) const;
  // Takes the slot's wake-ups to call once the lock is released.
  std::vector<std::function<void()>> take_wakes(Slot& slot);

  const std::string epoch_;
  mutable std::mutex mutex_;  // guards slots_, parked_, stopping_
  std::map<std::string, std::unique_ptr<Slot>> slots_;
  std::size_t parked_ = 0;  // blocked in wait_for_change or parked with a wake-up
  std::uint64_t next_ticket_ = 1;
  bool stopping_ = false;
};

}  // namespace switchyard::hub
