// One open watch: a queue the loop thread fills and a stream thread drains.
// The loop never waits on it: when a watcher falls more than `max_queued`
// events behind it is closed (the client re-lists and re-watches, as it
// would after a real server drops it), so a slow reader cannot hold up
// writers or other watchers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "json_util.h"

namespace switchyard::devcluster {

enum class EventType { kAdded, kModified, kDeleted };

[[nodiscard]] const char* event_type_name(EventType type);

struct Event {
  std::uint64_t resource_version = 0;
  EventType type = EventType::kAdded;
  std::string storage_key;  // group/resource
  std::string namespace_name;
  ObjectPtr object;    // the object after the change (for DELETED: as deleted)
  ObjectPtr previous;  // before the change; null for ADDED
  std::shared_ptr<const std::string> object_json;  // `object`, serialised once
};

class Watcher {
 public:
  Watcher(std::string storage_key, std::string namespace_name, std::size_t max_queued);

  [[nodiscard]] const std::string& storage_key() const { return storage_key_; }
  [[nodiscard]] const std::string& namespace_name() const { return namespace_name_; }  // "" = all

  // Loop side. push() drops the watcher (closes it) instead of growing past max_queued.
  void push(const Event& event);
  void close();

  // Stream side: waits up to `wait` for events, moves what is queued into
  // `out`. Returns false once closed and drained.
  [[nodiscard]] bool take(std::vector<Event>& out, std::chrono::milliseconds wait);
  [[nodiscard]] bool overflowed() const;

 private:
  const std::string storage_key_;
  const std::string namespace_name_;
  const std::size_t max_queued_;
  mutable std::mutex mutex_;  // guards queue_, closed_, overflowed_
  std::condition_variable ready_;
  std::deque<Event> queue_;
  bool closed_ = false;
  bool overflowed_ = false;
};

}  // namespace switchyard::devcluster
