#include "informer_store.h"

#include <utility>

namespace switchyard::kube {

std::string InformerStore::key_of(std::string_view ns, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append("/").append(name);
  return key;
}

std::string InformerStore::key_of(const Object& object) {
  return key_of(object.namespace_name(), object.name());
}

std::vector<Change> InformerStore::replace(const std::vector<ObjectPtr>& items,
                                           std::string resource_version) {
  std::vector<Change> changes;
  std::map<std::string, ObjectPtr, std::less<>> next;
  for (const ObjectPtr& item : items) {
    std::string key = key_of(*item);
    auto previous = objects_.find(key);
    // A list never names one object twice; if a server did, the later entry
    // wins and the earlier one is diffed against it like any other state.
    auto already_listed = next.find(key);
    const ObjectPtr& old = already_listed != next.end() ? already_listed->second
                           : previous != objects_.end() ? previous->second
                                                        : nullptr;
    if (!old) {
      changes.push_back({ChangeType::Added, nullptr, item});
    } else if (old->resource_version() != item->resource_version()) {
      changes.push_back({ChangeType::Updated, old, item});
    }
    next[std::move(key)] = item;
  }
  for (auto& [key, old] : objects_) {
    if (!next.contains(key)) changes.push_back({ChangeType::Deleted, old, nullptr});
  }
  objects_ = std::move(next);
  resource_version_ = std::move(resource_version);
  return changes;
}

std::optional<Change> InformerStore::apply(WatchChange what, const ObjectPtr& object) {
  std::string key = key_of(*object);
  if (!object->resource_version().empty()) resource_version_ = std::string(object->resource_version());
  auto stored = objects_.find(key);
  if (what == WatchChange::Deleted) {
    if (stored == objects_.end()) return std::nullopt;
    objects_.erase(stored);
    return Change{ChangeType::Deleted, object, nullptr};
  }
  if (stored == objects_.end()) {
    objects_.emplace(std::move(key), object);
    return Change{ChangeType::Added, nullptr, object};
  }
  if (stored->second->resource_version() == object->resource_version()) return std::nullopt;
  ObjectPtr old = std::exchange(stored->second, object);
  return Change{ChangeType::Updated, std::move(old), object};
}

ObjectPtr InformerStore::find(std::string_view ns, std::string_view name) const {
  auto found = objects_.find(key_of(ns, name));
  return found == objects_.end() ? nullptr : found->second;
}

std::vector<ObjectPtr> InformerStore::list() const {
  std::vector<ObjectPtr> all;
  all.reserve(objects_.size());
  for (const auto& [key, object] : objects_) all.push_back(object);
  return all;
}

}  // namespace switchyard::kube
