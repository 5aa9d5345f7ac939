#include "switchyard/hub/assignment_board.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::hub {

std::string encode_assignment_body(std::int64_t revision, const std::vector<core::ClusterAssignment::WatchItem>& watch,
                                   const std::vector<std::string>& split_objects) {
  std::size_t split_bytes = 0;
  for (const auto& split : split_objects) split_bytes += split.size() + 1;
  rapidjson::StringBuffer buffer;
  buffer.Reserve(split_bytes + watch.size() * 64 + 64);
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("revision");
  out.Int64(revision);
  out.Key("watch");
  out.StartArray();
  for (const auto& item : watch) {
    out.StartObject();
    out.Key("namespace");
    out.String(item.namespace_name.c_str(), static_cast<rapidjson::SizeType>(item.namespace_name.size()));
    out.Key("name");
    out.String(item.name.c_str(), static_cast<rapidjson::SizeType>(item.name.size()));
    out.Key("role");
    out.String(item.role == core::ServiceRole::Local ? "local" : "mirror");
    out.EndObject();
  }
  out.EndArray();
  out.Key("trafficSplits");
  out.StartArray();
  for (const auto& split : split_objects) {
    // Each is a complete, compact object already: written through unchanged.
    out.RawValue(split.data(), split.size(), rapidjson::kObjectType);
  }
  out.EndArray();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

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
