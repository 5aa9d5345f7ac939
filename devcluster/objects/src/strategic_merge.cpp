#include "switchyard/devcluster/objects/strategic_merge.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

constexpr std::string_view kPatchDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList/";
constexpr std::string_view kSetElementOrder = "$setElementOrder/";

std::string_view name_of(const rapidjson::Value& key) { return {key.GetString(), key.GetStringLength()}; }

std::string child(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

class StrategicMerger {
 public:
  StrategicMerger(const StrategicPatchMeta& meta, Allocator& allocator) : meta_(meta), allocator_(allocator) {}

  std::optional<PatchError> error;

  // Merges map `patch` into `target` (made an object if it is not). Returns
  // false when the patch says `$patch: delete` for this map.
  bool merge_map(rapidjson::Value& target, const rapidjson::Value& patch, const std::string& path) {
    if (!target.IsObject()) target.SetObject();
    if (std::optional<std::string_view> directive = string_member(patch, kPatchDirective)) {
      if (*directive == "delete") return false;
      if (*directive == "replace") {
        target.SetObject();
        copy_without_directives(target, patch, path);
        return true;
      }
      if (*directive != "merge") {
        fail(PatchErrorKind::kMalformed, "unknown patch type: " + std::string(*directive) + " in map at " + where(path));
        return true;
      }
    } else if (const rapidjson::Value* bad = find_member(patch, kPatchDirective); bad != nullptr) {
      fail(PatchErrorKind::kMalformed, "$patch must be a string at " + where(path));
      return true;
    }
    for (const auto& member : patch.GetObject()) {
      if (error) return true;
      std::string_view name = name_of(member.name);
      if (!name.empty() && name.front() == '$') continue;  // directives, handled below
      const rapidjson::Value& value = member.value;
      const std::string field_path = child(path, name);
      if (value.IsNull()) {
        remove_member(target, name);
        continue;
      }
      rapidjson::Value* existing = find_member(target, name);
      if (existing == nullptr) {
        rapidjson::Value fresh;
        if (value.IsObject()) fresh.SetObject();
        if (value.IsArray()) fresh.SetArray();
        if (merge_value(fresh, value, field_path)) set_member(target, name, std::move(fresh), allocator_);
        continue;
      }
      if (!merge_value(*existing, value, field_path)) remove_member(target, name);
    }
    if (error) return true;
    apply_map_directives(target, patch, path);
    return true;
  }

 private:
  void fail(PatchErrorKind kind, std::string message) {
    if (!error) error = PatchError{kind, std::move(message)};
  }
  static std::string where(const std::string& path) { return path.empty() ? std::string("the root") : path; }

  // Merges any patch value into `target`; false when it asks to delete it.
  bool merge_value(rapidjson::Value& target, const rapidjson::Value& patch, const std::string& path) {
    if (patch.IsObject()) {
      if (!target.IsObject()) target.SetObject();
      return merge_map(target, patch, path);
    }
    if (patch.IsArray() && target.IsArray()) {
      merge_list(target, patch, path);
      return true;
    }
    if (patch.IsArray()) {
      target.SetArray();
      merge_list(target, patch, path);
      return true;
    }
    target.CopyFrom(patch, allocator_);
    return true;
  }

  void copy_without_directives(rapidjson::Value& target, const rapidjson::Value& patch, const std::string& path) {
    for (const auto& member : patch.GetObject()) {
      std::string_view name = name_of(member.name);
      if (!name.empty() && name.front() == '$') continue;
      rapidjson::Value fresh;
      if (member.value.IsObject()) fresh.SetObject();
      if (member.value.IsArray()) fresh.SetArray();
      if (member.value.IsNull()) continue;
      if (merge_value(fresh, member.value, child(path, name))) set_member(target, name, std::move(fresh), allocator_);
    }
  }

  const ListPatchStrategy* strategy(const std::string& path) const {
    auto it = meta_.lists.find(path);
    return it == meta_.lists.end() ? nullptr : &it->second;
  }

  void merge_list(rapidjson::Value& target, const rapidjson::Value& patch, const std::string& path) {
    const ListPatchStrategy* list = strategy(path);
    // A `{"$patch": "replace"}` item replaces the list with the other items.
    bool replace = false;
    for (const auto& item : patch.GetArray())
      if (item.IsObject() && string_member(item, kPatchDirective) == std::optional<std::string_view>("replace"))
        replace = true;
    if (list == nullptr || replace) {
      target.SetArray();
      for (const auto& item : patch.GetArray()) {
        if (item.IsObject() && find_member(item, kPatchDirective) != nullptr) continue;
        rapidjson::Value fresh;
        if (item.IsObject()) fresh.SetObject();
        if (item.IsArray()) fresh.SetArray();
        if (merge_value(fresh, item, path)) target.PushBack(fresh, allocator_);
      }
      return;
    }
    if (list->merge_key.empty()) {
      // A primitive set: add what is missing, keep order.
      std::unordered_set<std::string> present;
      for (const auto& item : target.GetArray()) present.insert(canonical_json(item));
      for (const auto& item : patch.GetArray()) {
        if (item.IsObject() || item.IsArray()) {
          fail(PatchErrorKind::kMalformed, "merging a list of primitives at " + path + ": found a non-primitive item");
          return;
        }
        if (present.insert(canonical_json(item)).second) target.PushBack(rapidjson::Value(item, allocator_), allocator_);
      }
      return;
    }
    const std::string& key = list->merge_key;
    for (const auto& item : patch.GetArray()) {
      if (error) return;
      if (!item.IsObject()) {
        fail(PatchErrorKind::kMalformed, "list " + path + " merges by " + key + " but an item is not a map");
        return;
      }
      const rapidjson::Value* key_value = find_member(item, key);
      if (key_value == nullptr) {
        fail(PatchErrorKind::kMalformed,
             "map: " + go_value(item) + " does not contain declared merge key: " + key + " (in " + path + ")");
        return;
      }
      std::optional<rapidjson::SizeType> match;
      for (rapidjson::SizeType i = 0; i < target.Size(); ++i) {
        const rapidjson::Value* existing_key = find_member(target[i], key);
        if (existing_key != nullptr && *existing_key == *key_value) { match = i; break; }
      }
      if (string_member(item, kPatchDirective) == std::optional<std::string_view>("delete")) {
        // Deletes every item with this key, as the API server does.
        for (rapidjson::SizeType i = target.Size(); i-- > 0;) {
          const rapidjson::Value* existing_key = find_member(target[i], key);
          if (existing_key != nullptr && *existing_key == *key_value) target.Erase(target.Begin() + i);
        }
        continue;
      }
      if (match) {
        if (!merge_map(target[*match], item, path)) target.Erase(target.Begin() + *match);
      } else {
        rapidjson::Value fresh(rapidjson::kObjectType);
        if (merge_map(fresh, item, path)) target.PushBack(fresh, allocator_);
      }
    }
  }

  void apply_map_directives(rapidjson::Value& target, const rapidjson::Value& patch, const std::string& path) {
    for (const auto& member : patch.GetObject()) {
      std::string_view name = name_of(member.name);
      if (name.rfind(kDeleteFromPrimitiveList, 0) == 0) {
        std::string_view field = name.substr(kDeleteFromPrimitiveList.size());
        if (!member.value.IsArray()) {
          fail(PatchErrorKind::kMalformed, std::string(name) + " at " + where(path) + " must be a list");
          return;
        }
        rapidjson::Value* list = find_member(target, field);
        if (list == nullptr || !list->IsArray()) continue;
        std::unordered_set<std::string> doomed;
        for (const auto& value : member.value.GetArray()) doomed.insert(canonical_json(value));
        for (rapidjson::SizeType i = list->Size(); i-- > 0;)
          if (doomed.count(canonical_json((*list)[i])) != 0) list->Erase(list->Begin() + i);
      } else if (name.rfind(kSetElementOrder, 0) == 0) {
        std::string_view field = name.substr(kSetElementOrder.size());
        if (!member.value.IsArray()) {
          fail(PatchErrorKind::kMalformed, std::string(name) + " at " + where(path) + " must be a list");
          return;
        }
        reorder(target, field, member.value, child(path, field));
      }
    }
    const rapidjson::Value* retain = find_member(patch, kRetainKeys);
    if (retain == nullptr) return;
    if (!retain->IsArray()) {
      fail(PatchErrorKind::kMalformed, "$retainKeys at " + where(path) + " must be a list of strings");
      return;
    }
    std::unordered_set<std::string> kept;
    for (const auto& key : retain->GetArray()) {
      if (!key.IsString()) {
        fail(PatchErrorKind::kMalformed, "$retainKeys at " + where(path) + " must be a list of strings");
        return;
      }
      kept.emplace(key.GetString(), key.GetStringLength());
    }
    for (const auto& member : patch.GetObject()) {
      std::string name(name_of(member.name));
      if (!name.empty() && name.front() != '$' && !member.value.IsNull() && kept.count(name) == 0) {
        fail(PatchErrorKind::kNotApplicable,
             "The patch has keys that are not in $retainKeys at " + where(path) + ": " + name);
        return;
      }
    }
    for (auto it = target.MemberBegin(); it != target.MemberEnd();) {
      if (kept.count(std::string(name_of(it->name))) == 0) it = target.EraseMember(it);
      else ++it;
    }
  }

  // Items named in `order` first, in that order; the rest keep theirs.
  void reorder(rapidjson::Value& target, std::string_view field, const rapidjson::Value& order, const std::string& path) {
    rapidjson::Value* list = find_member(target, field);
    if (list == nullptr || !list->IsArray()) return;
    const ListPatchStrategy* strategy_for = strategy(path);
    auto identity = [&](const rapidjson::Value& item) -> std::string {
      if (strategy_for != nullptr && !strategy_for->merge_key.empty()) {
        const rapidjson::Value* key = find_member(item, strategy_for->merge_key);
        return key == nullptr ? std::string() : canonical_json(*key);
      }
      return canonical_json(item);
    };
    std::vector<bool> placed(list->Size(), false);
    rapidjson::Value ordered(rapidjson::kArrayType);
    for (const auto& wanted : order.GetArray()) {
      std::string id = identity(wanted);
      for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        if (!placed[i] && identity((*list)[i]) == id) {
          placed[i] = true;
          ordered.PushBack(rapidjson::Value((*list)[i], allocator_), allocator_);
          break;
        }
      }
    }
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i)
      if (!placed[i]) ordered.PushBack(rapidjson::Value((*list)[i], allocator_), allocator_);
    *list = std::move(ordered);
  }

  const StrategicPatchMeta& meta_;
  Allocator& allocator_;
};

}  // namespace

PatchOutcome apply_strategic_merge_patch(rapidjson::Document& target, const rapidjson::Value& patch,
                                         const StrategicPatchMeta* meta) {
  if (meta == nullptr)
    return PatchOutcome::failure(PatchErrorKind::kUnsupported,
                                 "the body of the request was in an unknown format - accepted media types include: "
                                 "application/json-patch+json, application/merge-patch+json, "
                                 "application/apply-patch+yaml");
  if (!patch.IsObject())
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 "strategic merge patch must be a JSON object, got " + std::string(json_type_name(patch)));
  rapidjson::Document working;
  working.CopyFrom(target, working.GetAllocator());
  StrategicMerger merger(*meta, working.GetAllocator());
  bool keep = merger.merge_map(working, patch, "");
  if (merger.error) return {merger.error};
  if (!keep) working.SetObject();
  target.Swap(working);
  return PatchOutcome::success();
}

}  // namespace switchyard::devcluster::objects
