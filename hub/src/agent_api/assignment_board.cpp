#include "switchyard/hub/assignment_board.h"

#include <cstdio>
#include <random>

namespace switchyard::hub {
namespace {

std::string random_epoch() {
  std::random_device device;
  const std::uint64_t value = (static_cast<std::uint64_t>(device()) << 32) ^ device();
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(value));
  return text;
}

// Kept steps may name at most this many TrafficSplits: about twice what the
// complete assignment holds, so the history never costs more than two
// complete answers, and an agent further behind gets the complete one.
std::size_t step_budget(const PublishedAssignment& assignment) { return 2 * assignment.splits.size() + 64; }

// The delta from `after` to the slot's current revision, from the steps
// after it (the caller checked they reach back to it).
std::shared_ptr<const PublishedAssignment> delta_answer(
    const PublishedAssignment& current, const std::string& epoch,
    const std::vector<std::shared_ptr<const AssignmentStep>>& steps) {
  // The latest state of each TrafficSplit a step touched wins.
  std::map<protocol::SplitName, const std::optional<std::string>*> latest;
  bool watch_changed = false;
  for (const auto& step : steps) {
    watch_changed = watch_changed || step->watch_changed;
    for (const auto& [name, object] : step->splits) latest[name] = &object;
  }
  std::vector<const std::string*> changed;
  std::vector<protocol::SplitName> removed;
  for (const auto& [name, object] : latest) {
    if (object->has_value()) {
      changed.push_back(&**object);
    } else {
      removed.push_back(name);
    }
  }
  auto answer = std::make_shared<PublishedAssignment>();
  answer->revision = current.revision;
  answer->body = encode_delta_body(current.revision, epoch, watch_changed ? &current.watch_json : nullptr, changed,
                                   removed);
  return answer;
}

}  // namespace

AssignmentBoard::AssignmentBoard() : epoch_(random_epoch()) {}

AssignmentBoard::Slot& AssignmentBoard::slot_of(const std::string& cluster) {
  auto& slot = slots_[cluster];
  if (!slot) slot = std::make_unique<Slot>();
  return *slot;
}

std::vector<std::function<void()>> AssignmentBoard::take_wakes(Slot& slot) {
  std::vector<std::function<void()>> wakes;
  wakes.reserve(slot.wakes.size());
  for (auto& [ticket, wake] : slot.wakes) wakes.push_back(std::move(wake));
  parked_ -= slot.wakes.size();
  slot.wakes.clear();
  return wakes;
}

void AssignmentBoard::publish(const std::string& cluster, std::shared_ptr<const PublishedAssignment> assignment,
                              std::shared_ptr<const AssignmentStep> step) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    auto& slot = slot_of(cluster);
    const bool follows = step && slot.current && step->revision == assignment->revision &&
                         step->revision == slot.current->revision + 1;
    if (!follows) {
      slot.steps.clear();
      slot.step_entries = 0;
    } else {
      slot.steps.push_back(step);
      slot.step_entries += step->splits.size();
      while (!slot.steps.empty() && slot.step_entries > step_budget(*assignment)) {
        slot.step_entries -= slot.steps.front()->splits.size();
        slot.steps.pop_front();
      }
    }
    slot.current = std::move(assignment);
    slot.changed.notify_all();
    wakes = take_wakes(slot);
  }
  for (auto& wake : wakes) wake();
}

void AssignmentBoard::remove(const std::string& cluster) {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    auto it = slots_.find(cluster);
    if (it == slots_.end()) return;
    // Waiters hold a reference to the slot, so it stays, emptied: they wait out
    // their deadline and get nothing.
    it->second->current.reset();
    it->second->steps.clear();
    it->second->step_entries = 0;
    it->second->changed.notify_all();
    wakes = take_wakes(*it->second);
  }
  for (auto& wake : wakes) wake();
}

bool AssignmentBoard::due(const Slot& slot, std::int64_t after, const std::string& epoch) const {
  const bool same_epoch = epoch == epoch_;
  return stopping_ || (slot.current && (slot.current->revision != after || (!epoch.empty() && !same_epoch)));
}

std::shared_ptr<const PublishedAssignment> AssignmentBoard::answer_from(std::unique_lock<std::mutex>& lock,
                                                                        const Slot& slot, std::int64_t after,
                                                                        const std::string& epoch) const {
  auto current = slot.current;
  if (!current || epoch != epoch_ || after > current->revision) return current;
  if (after == current->revision) return delta_answer(*current, epoch_, {});  // timed out: nothing changed
  if (slot.steps.empty() || slot.steps.front()->revision > after + 1) return current;  // too far behind
  // Copied under the lock, assembled outside it.
  std::vector<std::shared_ptr<const AssignmentStep>> steps;
  for (const auto& step : slot.steps) {
    if (step->revision > after) steps.push_back(step);
  }
  lock.unlock();
  return delta_answer(*current, epoch_, steps);
}

std::shared_ptr<const PublishedAssignment> AssignmentBoard::wait_for_change(const std::string& cluster,
                                                                            std::int64_t after,
                                                                            Clock::time_point deadline,
                                                                            const std::string& epoch) {
  std::unique_lock lock(mutex_);
  Slot& waited = slot_of(cluster);
  ++parked_;
  waited.changed.wait_until(lock, deadline, [&] { return due(waited, after, epoch); });
  --parked_;
  return answer_from(lock, waited, after, epoch);
}

AssignmentBoard::Parking AssignmentBoard::park(const std::string& cluster, std::int64_t after,
                                               const std::string& epoch, std::function<void()> wake) {
  std::unique_lock lock(mutex_);
  Slot& slot = slot_of(cluster);
  Parking parking;
  if (due(slot, after, epoch)) {
    parking.answered = true;
    parking.answer = answer_from(lock, slot, after, epoch);
    return parking;
  }
  parking.ticket = next_ticket_++;
  slot.wakes.emplace(parking.ticket, std::move(wake));
  ++parked_;
  return parking;
}

void AssignmentBoard::unpark(const std::string& cluster, std::uint64_t ticket) {
  std::function<void()> dropped;  // destroyed outside the lock: it may own the caller's state
  std::lock_guard lock(mutex_);
  auto it = slots_.find(cluster);
  if (it == slots_.end()) return;
  auto wake = it->second->wakes.find(ticket);
  if (wake == it->second->wakes.end()) return;
  dropped = std::move(wake->second);
  it->second->wakes.erase(wake);
  --parked_;
}

std::shared_ptr<const PublishedAssignment> AssignmentBoard::answer_now(const std::string& cluster,
                                                                       std::int64_t after,
                                                                       const std::string& epoch) {
  std::unique_lock lock(mutex_);
  return answer_from(lock, slot_of(cluster), after, epoch);
}

void AssignmentBoard::shutdown() {
  std::vector<std::function<void()>> wakes;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [cluster, slot] : slots_) {
      slot->changed.notify_all();
      for (auto& wake : take_wakes(*slot)) wakes.push_back(std::move(wake));
    }
  }
  for (auto& wake : wakes) wake();
}

std::size_t AssignmentBoard::parked() const {
  std::lock_guard lock(mutex_);
  return parked_;
}

}  // namespace switchyard::hub
