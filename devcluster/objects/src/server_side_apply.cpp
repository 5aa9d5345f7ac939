#include "switchyard/devcluster/objects/server_side_apply.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "field_set.h"
#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

using Allocator = rapidjson::Document::AllocatorType;
using KeyPath = std::vector<std::string>;

bool ignored_field(bool at_root, bool in_metadata, std::string_view name) {
  if (at_root) return name == "apiVersion" || name == "kind";
  if (!in_metadata) return false;
  return name == "name" || name == "namespace" || name == "uid" || name == "resourceVersion" ||
         name == "generation" || name == "creationTimestamp" || name == "managedFields" || name == "selfLink" ||
         name == "deletionTimestamp" || name == "deletionGracePeriodSeconds";
}

std::string child_type_path(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

const std::vector<std::string>* list_keys(const ApplyListTypes* types, const std::string& path) {
  if (types == nullptr) return nullptr;
  auto it = types->lists.find(path);
  return it == types->lists.end() ? nullptr : &it->second;
}

// "k:" + the item's key fields as a JSON object with sorted names.
std::optional<std::string> item_key(const rapidjson::Value& item, const std::vector<std::string>& keys) {
  if (!item.IsObject()) return std::nullopt;
  rapidjson::Document key_object(rapidjson::kObjectType);
  for (const std::string& key : keys) {
    const rapidjson::Value* value = find_member(item, key);
    if (value == nullptr) continue;
    rapidjson::Value copy(*value, key_object.GetAllocator());
    set_member(key_object, key, std::move(copy), key_object.GetAllocator());
  }
  if (key_object.ObjectEmpty()) return std::nullopt;
  return "k:" + canonical_json(key_object);
}

class Applier {
 public:
  Applier(const ApplyOptions& options, Allocator& allocator) : options_(options), allocator_(allocator) {}

  // The FieldsV1 set of an applied configuration.
  void collect(const rapidjson::Value& value, const std::string& type_path, KeyPath& path, FieldSet& out,
               bool at_root, bool in_metadata) const {
    for (const auto& member : value.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      if (member.value.IsNull() || ignored_field(at_root, in_metadata, name)) continue;
      path.push_back("f:" + std::string(name));
      const std::string member_type_path = child_type_path(type_path, name);
      const rapidjson::Value& child = member.value;
      const std::vector<std::string>* keys = list_keys(options_.list_types, member_type_path);
      if (child.IsObject() && !child.ObjectEmpty()) {
        collect(child, member_type_path, path, out, false, at_root && name == "metadata");
      } else if (child.IsArray() && keys != nullptr && !child.Empty()) {
        for (const auto& item : child.GetArray()) {
          std::optional<std::string> key = keys->empty() ? std::optional<std::string>("v:" + canonical_json(item))
                                                         : item_key(item, *keys);
          if (!key) continue;
          path.push_back(*key);
          if (keys->empty()) {
            out.insert(path);
          } else {
            path.push_back(".");
            out.insert(path);
            path.pop_back();
            collect(item, member_type_path, path, out, false, false);
          }
          path.pop_back();
        }
      } else {
        out.insert(path);
      }
      path.pop_back();
    }
  }

  // Merges the applied configuration into the live object.
  void merge(rapidjson::Value& live, const rapidjson::Value& applied, const std::string& type_path) {
    if (!live.IsObject()) live.SetObject();
    for (const auto& member : applied.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      if (member.value.IsNull()) continue;
      const std::string member_type_path = child_type_path(type_path, name);
      rapidjson::Value* existing = find_member(live, name);
      if (member.value.IsObject()) {
        if (existing == nullptr) {
          set_member(live, name, rapidjson::Value(rapidjson::kObjectType), allocator_);
          existing = find_member(live, name);
        }
        merge(*existing, member.value, member_type_path);
        continue;
      }
      const std::vector<std::string>* keys = list_keys(options_.list_types, member_type_path);
      if (member.value.IsArray() && keys != nullptr && existing != nullptr && existing->IsArray()) {
        merge_list(*existing, member.value, *keys, member_type_path);
        continue;
      }
      rapidjson::Value copy(member.value, allocator_);
      set_member(live, name, std::move(copy), allocator_);
    }
  }

 private:
  void merge_list(rapidjson::Value& live, const rapidjson::Value& applied, const std::vector<std::string>& keys,
                  const std::string& type_path) {
    for (const auto& item : applied.GetArray()) {
      rapidjson::Value* match = nullptr;
      if (keys.empty()) {
        for (auto& existing : live.GetArray())
          if (existing == item) match = &existing;
        if (match == nullptr) live.PushBack(rapidjson::Value(item, allocator_), allocator_);
        continue;
      }
      std::optional<std::string> key = item_key(item, keys);
      for (auto& existing : live.GetArray())
        if (key && item_key(existing, keys) == key) match = &existing;
      if (match != nullptr && item.IsObject()) merge(*match, item, type_path);
      else live.PushBack(rapidjson::Value(item, allocator_), allocator_);
    }
  }

  const ApplyOptions& options_;
  Allocator& allocator_;
};

// The array item a "k:" or "v:" key names, with its index.
std::optional<rapidjson::SizeType> find_item(const rapidjson::Value& list, const std::string& key) {
  if (!list.IsArray()) return std::nullopt;
  if (key.rfind("v:", 0) == 0) {
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i)
      if (canonical_json(list[i]) == key.substr(2)) return i;
    return std::nullopt;
  }
  rapidjson::Document wanted;
  if (key.rfind("k:", 0) != 0 || parse_json(key.substr(2), wanted) || !wanted.IsObject()) return std::nullopt;
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    bool same = list[i].IsObject();
    for (const auto& member : wanted.GetObject()) {
      const rapidjson::Value* field = find_member(list[i], {member.name.GetString(), member.name.GetStringLength()});
      same = same && field != nullptr && *field == member.value;
    }
    if (same) return i;
  }
  return std::nullopt;
}

// The value a path names, or nullptr. "." stands for the item itself.
rapidjson::Value* value_at(rapidjson::Value& root, const KeyPath& path, std::size_t length) {
  rapidjson::Value* node = &root;
  for (std::size_t i = 0; i < length && node != nullptr; ++i) {
    const std::string& key = path[i];
    if (key == ".") continue;
    if (key.rfind("f:", 0) == 0) {
      node = find_member(*node, std::string_view(key).substr(2));
    } else {
      std::optional<rapidjson::SizeType> index = find_item(*node, key);
      node = index ? &(*node)[*index] : nullptr;
    }
  }
  return node;
}

// Removes what a path names from the live object; false when absent.
bool remove_at(rapidjson::Value& root, const KeyPath& path) {
  std::size_t length = path.size();
  if (length > 0 && path.back() == ".") --length;  // the list item itself
  if (length == 0) return false;
  rapidjson::Value* parent = value_at(root, path, length - 1);
  if (parent == nullptr) return false;
  const std::string& last = path[length - 1];
  if (last.rfind("f:", 0) == 0) return remove_member(*parent, std::string_view(last).substr(2));
  std::optional<rapidjson::SizeType> index = find_item(*parent, last);
  if (!index) return false;
  parent->Erase(parent->Begin() + *index);
  return true;
}

struct ManagerEntry {
  rapidjson::Value* json;
  std::string manager, operation, subresource, api_version;
  FieldSet fields;
};

}  // namespace

ApplyListTypes apply_list_types(const StrategicPatchMeta& meta) {
  ApplyListTypes types;
  for (const auto& [path, strategy] : meta.lists)
    types.lists[path] = strategy.merge_key.empty() ? std::vector<std::string>{} : std::vector<std::string>{strategy.merge_key};
  return types;
}

namespace {
void collect_list_types(const SchemaNode& node, const std::string& path, ApplyListTypes& types, std::size_t depth) {
  if (depth > kMaxJsonDepth) return;
  if (node.list_type == "map" && !node.list_map_keys.empty()) types.lists[path] = node.list_map_keys;
  if (node.list_type == "set") types.lists[path] = {};
  for (const auto& [name, property] : node.properties)
    collect_list_types(*property, child_type_path(path, name), types, depth + 1);
  if (node.items) collect_list_types(*node.items, path, types, depth + 1);
}
}  // namespace

ApplyListTypes apply_list_types(const SchemaNode& schema) {
  ApplyListTypes types;
  collect_list_types(schema, "", types, 0);
  return types;
}

PatchOutcome server_side_apply(rapidjson::Document& live, const rapidjson::Value& applied,
                               const ApplyOptions& options) {
  if (options.manager.empty())
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 "PATCH, application/apply-patch+yaml requests must have a fieldManager");
  if (!applied.IsObject())
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 "apply configuration must be an object, got " + std::string(json_type_name(applied)));
  // managedFields live in metadata: it must be an object on both sides.
  for (const rapidjson::Value* object : {static_cast<const rapidjson::Value*>(&live), &applied}) {
    const rapidjson::Value* metadata = object->IsObject() ? find_member(*object, "metadata") : nullptr;
    if (metadata != nullptr && !metadata->IsObject()) {
      return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                   "metadata must be an object, got " + std::string(json_type_name(*metadata)));
    }
  }
  rapidjson::Document working;
  working.CopyFrom(live, working.GetAllocator());
  if (!working.IsObject()) working.SetObject();
  Allocator& allocator = working.GetAllocator();
  Applier applier(options, allocator);

  FieldSet applied_fields;
  KeyPath scratch;
  applier.collect(applied, "", scratch, applied_fields, true, false);

  // Existing ownership.
  std::vector<ManagerEntry> entries;
  rapidjson::Value* metadata = find_member(working, "metadata");
  rapidjson::Value* managed = metadata == nullptr ? nullptr : find_member(*metadata, "managedFields");
  if (managed != nullptr && managed->IsArray()) {
    for (auto& entry : managed->GetArray()) {
      if (!entry.IsObject()) continue;
      const rapidjson::Value* fields = find_member(entry, "fieldsV1");
      entries.push_back({&entry, std::string(string_member(entry, "manager").value_or("")),
                         std::string(string_member(entry, "operation").value_or("")),
                         std::string(string_member(entry, "subresource").value_or("")),
                         std::string(string_member(entry, "apiVersion").value_or("")),
                         fields == nullptr ? FieldSet{} : field_set_from_json(*fields)});
    }
  }
  auto is_mine = [&](const ManagerEntry& entry) {
    return entry.manager == options.manager && entry.operation == "Apply" && entry.subresource == options.subresource;
  };

  // Conflicts: another manager owns a field this apply sets to a new value.
  const auto applied_leaves = applied_fields.leaves();
  std::vector<std::pair<const ManagerEntry*, KeyPath>> conflicts;
  for (ManagerEntry& entry : entries) {
    if (is_mine(entry)) continue;
    for (const KeyPath& leaf : applied_leaves) {
      if (leaf.back() == "." || !entry.fields.contains(leaf)) continue;
      rapidjson::Value* current = value_at(working, leaf, leaf.size());
      const rapidjson::Value* wanted = value_at(const_cast<rapidjson::Value&>(applied), leaf, leaf.size());
      if (current == nullptr || wanted == nullptr || *current == *wanted) continue;
      if (options.force) entry.fields.erase(leaf);
      else conflicts.emplace_back(&entry, leaf);
    }
  }
  if (!conflicts.empty()) {
    std::string message = "Apply failed with " + std::to_string(conflicts.size()) +
                          (conflicts.size() == 1 ? " conflict: " : " conflicts: ");
    if (conflicts.size() == 1) {
      message += "conflict with \"" + conflicts[0].first->manager + "\"" +
                 (conflicts[0].first->api_version.empty() ? "" : " using " + conflicts[0].first->api_version) +
                 ": " + field_path_text(conflicts[0].second);
    } else {
      const ManagerEntry* current = nullptr;
      for (const auto& [entry, path] : conflicts) {
        if (entry != current) {
          message += std::string(current ? "\n" : "") + "conflicts with \"" + entry->manager + "\"" +
                     (entry->api_version.empty() ? "" : " using " + entry->api_version) + ":";
          current = entry;
        }
        message += "\n- " + field_path_text(path);
      }
    }
    return PatchOutcome::failure(PatchErrorKind::kConflict, message);
  }

  // Fields this manager applied before and dropped now go, unless shared.
  for (const ManagerEntry& entry : entries) {
    if (!is_mine(entry)) continue;
    for (const KeyPath& leaf : entry.fields.leaves()) {
      if (applied_fields.contains(leaf)) continue;
      bool shared = std::any_of(entries.begin(), entries.end(), [&](const ManagerEntry& other) {
        return !is_mine(other) && other.fields.contains(leaf);
      });
      if (shared || !remove_at(working, leaf)) continue;
      // A map or list the removal left empty goes too when nothing else
      // claims anything under it (the applier created it).
      for (std::size_t length = leaf.size() - 1; length > 0; --length) {
        KeyPath prefix(leaf.begin(), leaf.begin() + static_cast<std::ptrdiff_t>(length));
        if (prefix.back().rfind("f:", 0) != 0 || applied_fields.has_prefix(prefix)) break;
        bool claimed = std::any_of(entries.begin(), entries.end(), [&](const ManagerEntry& other) {
          return !is_mine(other) && other.fields.has_prefix(prefix);
        });
        const rapidjson::Value* container = value_at(working, prefix, prefix.size());
        bool empty = container != nullptr && ((container->IsObject() && container->ObjectEmpty()) ||
                                              (container->IsArray() && container->Empty()));
        if (claimed || !empty || !remove_at(working, prefix)) break;
      }
    }
  }

  applier.merge(working, applied, "");

  // Rebuild managedFields: others as they are now, then this manager's entry.
  rapidjson::Value rebuilt(rapidjson::kArrayType);
  bool placed = false;
  auto mine = [&] {
    rapidjson::Value entry(rapidjson::kObjectType);
    entry.AddMember("manager", rapidjson::Value(options.manager.c_str(), allocator), allocator);
    entry.AddMember("operation", "Apply", allocator);
    entry.AddMember("apiVersion", rapidjson::Value(options.api_version.c_str(), allocator), allocator);
    entry.AddMember("time", rapidjson::Value(options.now.c_str(), allocator), allocator);
    entry.AddMember("fieldsType", "FieldsV1", allocator);
    entry.AddMember("fieldsV1", field_set_to_json(applied_fields, allocator), allocator);
    if (!options.subresource.empty())
      entry.AddMember("subresource", rapidjson::Value(options.subresource.c_str(), allocator), allocator);
    return entry;
  };
  for (ManagerEntry& entry : entries) {
    if (is_mine(entry)) {
      if (!placed) rebuilt.PushBack(mine(), allocator);
      placed = true;
      continue;
    }
    if (entry.fields.empty()) continue;  // lost every field to a forced apply
    rapidjson::Value copy(*entry.json, allocator);
    set_member(copy, "fieldsV1", field_set_to_json(entry.fields, allocator), allocator);
    rebuilt.PushBack(copy, allocator);
  }
  if (!placed) rebuilt.PushBack(mine(), allocator);
  metadata = find_member(working, "metadata");
  if (metadata == nullptr) {
    set_member(working, "metadata", rapidjson::Value(rapidjson::kObjectType), allocator);
    metadata = find_member(working, "metadata");
  }
  set_member(*metadata, "managedFields", std::move(rebuilt), allocator);
  live.Swap(working);
  return PatchOutcome::success();
}

}  // namespace switchyard::devcluster::objects
