// The informer's local copy of the watched objects and the diffing that
// turns list results and watch events into add/update/delete changes.
// Pure: no threads, no I/O. Owned by the informer's loop thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/kube/object.h"

namespace switchyard::kube {

enum class ChangeType { Added, Updated, Deleted };

// One change a handler sees. Added: now set. Updated: old and now set.
// Deleted: old is the last state known (the DELETED event's object when the
// watch reported it, the last stored object when a re-list found it gone).
struct Change {
  ChangeType type;
  ObjectPtr old;
  ObjectPtr now;
};

// What a watch reported about one object.
enum class WatchChange { Added, Modified, Deleted };

class InformerStore {
 public:
  // A full list replaces the store. Yields a change for every object that was
  // added, whose resourceVersion differs from the stored one, or that is
  // gone; objects listed unchanged yield nothing. Changes come in list order,
  // then deletions in key order.
  [[nodiscard]] std::vector<Change> replace(const std::vector<ObjectPtr>& items,
                                            std::string resource_version);

  // A watch event. An event that repeats the stored resourceVersion, or
  // deletes an object the store does not hold, yields nothing (so a replayed
  // event is never delivered twice). ADDED for a stored object is an update
  // and MODIFIED for an unknown one an add.
  [[nodiscard]] std::optional<Change> apply(WatchChange what, const ObjectPtr& object);

  // A BOOKMARK: only the resourceVersion moves.
  void bookmark(std::string resource_version) { resource_version_ = std::move(resource_version); }

  [[nodiscard]] ObjectPtr find(std::string_view ns, std::string_view name) const;
  [[nodiscard]] std::vector<ObjectPtr> list() const;  // key order ("namespace/name")
  [[nodiscard]] std::size_t size() const { return objects_.size(); }
  // The newest resourceVersion seen: the list's, an event's or a bookmark's.
  [[nodiscard]] const std::string& resource_version() const { return resource_version_; }

  [[nodiscard]] static std::string key_of(std::string_view ns, std::string_view name);
  [[nodiscard]] static std::string key_of(const Object& object);

 private:
  std::map<std::string, ObjectPtr, std::less<>> objects_;  // by key_of
  std::string resource_version_;
};

}  // namespace switchyard::kube
