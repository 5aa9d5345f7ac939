#include "switchyard/hub/assignment_board.h"

namespace switchyard::hub {

void AssignmentBoard::publish(const std::string& cluster,
                              std::shared_ptr<const PublishedAssignment> assignment) {
  std::lock_guard lock(mutex_);
  auto& slot = slots_[cluster];
  if (!slot) slot = std::make_unique<Slot>();
  slot->current = std::move(assignment);
  slot->changed.notify_all();
}

void AssignmentBoard::remove(const std::string& cluster) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(cluster);
  if (it == slots_.end()) return;
  // Waiters hold a reference to the slot, so it stays, emptied: they wait out
  // their deadline and get nothing.
  it->second->current.reset();
  it->second->changed.notify_all();
}

std::shared_ptr<const PublishedAssignment> AssignmentBoard::wait_for_change(
    const std::string& cluster, std::int64_t after, Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  auto& slot = slots_[cluster];
  if (!slot) slot = std::make_unique<Slot>();
  Slot& waited = *slot;
  ++parked_;
  waited.changed.wait_until(lock, deadline, [&] {
    return stopping_ || (waited.current && waited.current->revision != after);
  });
  --parked_;
  return waited.current;
}

void AssignmentBoard::shutdown() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& [cluster, slot] : slots_) slot->changed.notify_all();
}

std::size_t AssignmentBoard::parked() const {
  std::lock_guard lock(mutex_);
  return parked_;
}

}  // namespace switchyard::hub
