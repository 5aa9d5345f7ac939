// Objects by collection (group/resource), namespace and name, one monotonic
// resourceVersion for all of them, a bounded ring of recent events and the
// open watchers. Owned by the loop thread: nothing here locks, except the
// watchers' own queues.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json_util.h"
#include "watcher.h"

namespace switchyard::devcluster {

class Store {
 public:
  // `event_window`: how many events the ring keeps; a watch from a
  // resourceVersion older than that gets 410 Expired.
  explicit Store(std::size_t event_window, std::size_t watcher_queue_limit = 100000);
  ~Store();  // closes every watcher

  [[nodiscard]] std::uint64_t resource_version() const { return resource_version_; }
  // The version every watcher has been sent (or queued) all events up to;
  // readable from stream threads for bookmarks.
  [[nodiscard]] std::shared_ptr<const std::atomic<std::uint64_t>> published_version() const { return published_; }

  [[nodiscard]] ObjectPtr get(const std::string& key, const std::string& ns, const std::string& name) const;
  // Sorted by namespace, then name. `ns` empty = every namespace.
  [[nodiscard]] std::vector<ObjectPtr> list(const std::string& key, const std::string& ns) const;
  [[nodiscard]] std::size_t count(const std::string& key) const;

  // Stores `object` (its metadata.resourceVersion is set here) and records
  // an ADDED or MODIFIED event. Returns the stored snapshot.
  ObjectPtr put(const std::string& key, const std::string& ns, const std::string& name,
                std::unique_ptr<rapidjson::Document> object);
  // Removes the object; the DELETED event carries it with a new resourceVersion.
  ObjectPtr remove(const std::string& key, const std::string& ns, const std::string& name);

  // Opens a watch on `key` (and `ns`, "" = all). With `since`, replays the
  // ring's events after it, or returns null with `too_old` set when the
  // ring no longer reaches back that far; without, the caller sends the
  // current state itself (take it from list() in the same loop turn).
  std::shared_ptr<Watcher> watch(const std::string& key, const std::string& ns, std::optional<std::uint64_t> since,
                                 std::vector<Event>& replay, bool& too_old);
  // Oldest resourceVersion a watch may still start from.
  [[nodiscard]] std::uint64_t oldest_watchable() const { return compacted_; }
  // The resourceVersion of the newest write to `key` since this store began
  // (0 when none): a list page continued from an older snapshot of `key`
  // would no longer be consistent.
  [[nodiscard]] std::uint64_t last_write(const std::string& key) const;
  void close_watchers();
  void close_watchers_of(const std::string& key);
  // Watches still streaming: a watcher only the store holds has lost its
  // stream and is dropped at the next write.
  [[nodiscard]] std::size_t watcher_count() const {
    return static_cast<std::size_t>(std::count_if(watchers_.begin(), watchers_.end(),
                                                  [](const auto& watcher) { return watcher.use_count() > 1; }));
  }

  // Persistence: every stored object, and loading them back at start.
  void for_each(const std::function<void(const std::string& key, const ObjectPtr&)>& visit) const;
  void restore(const std::string& key, const std::string& ns, const std::string& name, ObjectPtr object);
  void restore_version(std::uint64_t version);

 private:
  using Collection = std::map<std::pair<std::string, std::string>, ObjectPtr>;
  void record(Event event);

  std::map<std::string, Collection> collections_;
  std::map<std::string, std::uint64_t> last_write_;  // by key, see last_write()
  std::uint64_t resource_version_ = 1;
  std::deque<Event> ring_;
  std::size_t event_window_;
  std::uint64_t compacted_ = 0;  // newest resourceVersion dropped from the ring
  std::size_t watcher_queue_limit_;
  std::vector<std::shared_ptr<Watcher>> watchers_;
  std::shared_ptr<std::atomic<std::uint64_t>> published_;
};

}  // namespace switchyard::devcluster
