#include "switchyard/devcluster/objects/merge_patch.h"

#include <string_view>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {

PatchOutcome apply_merge_patch(rapidjson::Document& target, const rapidjson::Value& patch) {
  if (!patch.IsObject()) {
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 "merge patch must be a JSON object, got " +
                                     std::string(json_type_name(patch)));
  }
  merge_patch_value(target, patch, target.GetAllocator());
  return PatchOutcome::success();
}

void merge_patch_value(rapidjson::Value& target, const rapidjson::Value& patch,
                       rapidjson::Document::AllocatorType& allocator) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, allocator);
    return;
  }
  if (!target.IsObject()) target.SetObject();
  for (const auto& member : patch.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (member.value.IsNull()) {
      remove_member(target, name);
      continue;
    }
    if (rapidjson::Value* existing = find_member(target, name)) {
      merge_patch_value(*existing, member.value, allocator);
    } else {
      rapidjson::Value added;
      // A new member still goes through the merge so nulls nested in it vanish.
      merge_patch_value(added, member.value, allocator);
      set_member(target, name, std::move(added), allocator);
    }
  }
}

rapidjson::Value create_merge_patch(const rapidjson::Value& original,
                                    const rapidjson::Value& modified,
                                    rapidjson::Document::AllocatorType& allocator) {
  rapidjson::Value patch;
  if (!original.IsObject() || !modified.IsObject()) {
    patch.CopyFrom(modified, allocator);
    return patch;
  }
  patch.SetObject();
  for (const auto& member : original.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    if (find_member(modified, name) == nullptr)
      set_member(patch, name, rapidjson::Value(rapidjson::kNullType), allocator);
  }
  for (const auto& member : modified.GetObject()) {
    std::string_view name(member.name.GetString(), member.name.GetStringLength());
    const rapidjson::Value* before = find_member(original, name);
    if (before == nullptr) {
      rapidjson::Value copy(member.value, allocator);
      set_member(patch, name, std::move(copy), allocator);
    } else if (*before != member.value) {
      set_member(patch, name, create_merge_patch(*before, member.value, allocator), allocator);
    }
  }
  return patch;
}

}  // namespace switchyard::devcluster::objects
