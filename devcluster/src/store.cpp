#include "store.h"

#include <algorithm>

namespace switchyard::devcluster {

namespace {

void stamp_version(rapidjson::Document& object, std::uint64_t version) {
  auto& metadata = object_member(object, "metadata", object.GetAllocator());
  set_string(metadata, "resourceVersion", std::to_string(version), object.GetAllocator());
}

}  // namespace

Store::Store(std::size_t event_window, std::size_t watcher_queue_limit)
    : event_window_(std::max<std::size_t>(event_window, 1)),
      watcher_queue_limit_(watcher_queue_limit),
      published_(std::make_shared<std::atomic<std::uint64_t>>(1)) {}

Store::~Store() { close_watchers(); }

ObjectPtr Store::get(const std::string& key, const std::string& ns, const std::string& name) const {
  auto collection = collections_.find(key);
  if (collection == collections_.end()) return nullptr;
  auto found = collection->second.find({ns, name});
  return found == collection->second.end() ? nullptr : found->second;
}

std::vector<ObjectPtr> Store::list(const std::string& key, const std::string& ns) const {
  std::vector<ObjectPtr> out;
  auto collection = collections_.find(key);
  if (collection == collections_.end()) return out;
  if (ns.empty()) {
    for (const auto& [id, object] : collection->second) out.push_back(object);
    return out;
  }
  for (auto it = collection->second.lower_bound({ns, ""}); it != collection->second.end() && it->first.first == ns;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::size_t Store::count(const std::string& key) const {
  auto collection = collections_.find(key);
  return collection == collections_.end() ? 0 : collection->second.size();
}

ObjectPtr Store::put(const std::string& key, const std::string& ns, const std::string& name,
                     std::unique_ptr<rapidjson::Document> object) {
  std::uint64_t version = ++resource_version_;
  stamp_version(*object, version);
  ObjectPtr stored(std::move(object));
  ObjectPtr& slot = collections_[key][{ns, name}];
  ObjectPtr previous = slot;
  slot = stored;
  record(Event{version, previous ? EventType::kModified : EventType::kAdded, key, ns, stored, previous, nullptr});
  return stored;
}

ObjectPtr Store::remove(const std::string& key, const std::string& ns, const std::string& name) {
  auto collection = collections_.find(key);
  if (collection == collections_.end()) return nullptr;
  auto found = collection->second.find({ns, name});
  if (found == collection->second.end()) return nullptr;
  ObjectPtr previous = found->second;
  collection->second.erase(found);
  std::uint64_t version = ++resource_version_;
  auto deleted = copy_document(*previous);
  stamp_version(*deleted, version);
  ObjectPtr last(std::move(deleted));
  record(Event{version, EventType::kDeleted, key, ns, last, previous, nullptr});
  return last;
}

std::uint64_t Store::last_write(const std::string& key) const {
  auto found = last_write_.find(key);
  return found == last_write_.end() ? 0 : found->second;
}

void Store::record(Event event) {
  last_write_[event.storage_key] = event.resource_version;
  event.object_json = std::make_shared<const std::string>(to_json(*event.object));
  // Drop closed watchers while fanning out, so the list never grows stale.
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [&](const std::shared_ptr<Watcher>& watcher) {
                                   if (watcher->storage_key() == event.storage_key &&
                                       (watcher->namespace_name().empty() ||
                                        watcher->namespace_name() == event.namespace_name)) {
                                     watcher->push(event);
                                   }
                                   return watcher.use_count() == 1;
                                 }),
                  watchers_.end());
  published_->store(event.resource_version);
  ring_.push_back(std::move(event));
  while (ring_.size() > event_window_) {
    compacted_ = ring_.front().resource_version;
    ring_.pop_front();
  }
}

std::shared_ptr<Watcher> Store::watch(const std::string& key, const std::string& ns,
                                      std::optional<std::uint64_t> since, std::vector<Event>& replay, bool& too_old) {
  too_old = false;
  if (since) {
    if (*since < compacted_) {
      too_old = true;
      return nullptr;
    }
    for (const auto& event : ring_) {
      if (event.resource_version > *since && event.storage_key == key &&
          (ns.empty() || event.namespace_name == ns)) {
        replay.push_back(event);
      }
    }
  }
  auto watcher = std::make_shared<Watcher>(key, ns, watcher_queue_limit_);
  watchers_.push_back(watcher);
  return watcher;
}

void Store::close_watchers() {
  for (auto& watcher : watchers_) watcher->close();
  watchers_.clear();
}

void Store::close_watchers_of(const std::string& key) {
  watchers_.erase(std::remove_if(watchers_.begin(), watchers_.end(),
                                 [&](const std::shared_ptr<Watcher>& watcher) {
                                   if (watcher->storage_key() != key) return false;
                                   watcher->close();
                                   return true;
                                 }),
                  watchers_.end());
}

void Store::for_each(const std::function<void(const std::string&, const ObjectPtr&)>& visit) const {
  for (const auto& [key, collection] : collections_) {
    for (const auto& [id, object] : collection) visit(key, object);
  }
}

void Store::restore(const std::string& key, const std::string& ns, const std::string& name, ObjectPtr object) {
  collections_[key][{ns, name}] = std::move(object);
}

void Store::restore_version(std::uint64_t version) {
  resource_version_ = std::max(resource_version_, version);
  compacted_ = resource_version_;
  published_->store(resource_version_);
}

}  // namespace switchyard::devcluster
