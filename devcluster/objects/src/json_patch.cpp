#include "switchyard/devcluster/objects/json_patch.h"

#include <optional>
#include <string>
#include <string_view>

#include "switchyard/devcluster/objects/json_document.h"
#include "switchyard/devcluster/objects/json_pointer.h"

namespace switchyard::devcluster::objects {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

PatchOutcome not_applicable(std::string message) {
  return PatchOutcome::failure(PatchErrorKind::kNotApplicable, std::move(message));
}

// Inserts `value` at `pointer` (RFC 6902 "add"): replaces the root for "",
// sets an object member, inserts into an array before the index or appends
// for "-".
PatchOutcome add_at(rapidjson::Value& root, const JsonPointer& pointer, std::string_view path,
                    rapidjson::Value&& value, Allocator& allocator, std::string_view op) {
  if (pointer.tokens.empty()) {
    root = std::move(value);
    return PatchOutcome::success();
  }
  rapidjson::Value* parent = resolve_pointer(root, pointer, pointer.tokens.size() - 1);
  if (parent == nullptr || !(parent->IsObject() || parent->IsArray())) {
    return not_applicable(std::string(op) + " operation does not apply: doc is missing path: " +
                          go_quote(path) + ": missing value");
  }
  const std::string& last = pointer.tokens.back();
  if (parent->IsObject()) {
    set_member(*parent, last, std::move(value), allocator);
    return PatchOutcome::success();
  }
  std::size_t index = parent->Size();
  if (last != "-") {
    std::optional<std::size_t> parsed = parse_array_index(last);
    if (!parsed || *parsed > parent->Size()) {
      return not_applicable("unable to access invalid index: " + last + " in " +
                            std::string(path) + ": invalid index referenced");
    }
    index = *parsed;
  }
  parent->PushBack(rapidjson::Value(), allocator);
  for (std::size_t i = parent->Size() - 1; i > index; --i) {
    (*parent)[static_cast<rapidjson::SizeType>(i)] =
        std::move((*parent)[static_cast<rapidjson::SizeType>(i - 1)]);
  }
  (*parent)[static_cast<rapidjson::SizeType>(index)] = std::move(value);
  return PatchOutcome::success();
}

// Detaches the value at `pointer` into `removed`; false when it is missing.
bool take_at(rapidjson::Value& root, const JsonPointer& pointer, rapidjson::Value& removed) {
  if (pointer.tokens.empty()) return false;
  rapidjson::Value* parent = resolve_pointer(root, pointer, pointer.tokens.size() - 1);
  if (parent == nullptr) return false;
  const std::string& last = pointer.tokens.back();
  if (parent->IsObject()) {
    rapidjson::Value* member = find_member(*parent, last);
    if (member == nullptr) return false;
    removed = std::move(*member);
    remove_member(*parent, last);
    return true;
  }
  if (parent->IsArray()) {
    std::optional<std::size_t> index = parse_array_index(last);
    if (!index || *index >= parent->Size()) return false;
    removed = std::move((*parent)[static_cast<rapidjson::SizeType>(*index)]);
    parent->Erase(parent->Begin() + *index);
    return true;
  }
  return false;
}

bool is_proper_prefix(const JsonPointer& prefix, const JsonPointer& path) {
  if (prefix.tokens.size() >= path.tokens.size()) return false;
  for (std::size_t i = 0; i < prefix.tokens.size(); ++i)
    if (prefix.tokens[i] != path.tokens[i]) return false;
  return true;
}

PatchOutcome apply_operation(rapidjson::Value& root, const rapidjson::Value& operation,
                             std::size_t number, Allocator& allocator) {
  const std::string where = "operation " + std::to_string(number);
  if (!operation.IsObject())
    return PatchOutcome::failure(PatchErrorKind::kMalformed, where + ": must be a JSON object");
  std::optional<std::string_view> op = string_member(operation, "op");
  if (!op)
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 where + ": missing or non-string \"op\"");
  std::optional<std::string_view> path = string_member(operation, "path");
  if (!path)
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 where + " (" + std::string(*op) + "): missing \"path\"");
  std::optional<JsonPointer> pointer = parse_json_pointer(*path);
  if (!pointer)
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 where + ": invalid JSON pointer " + go_quote(*path));
  const rapidjson::Value* value = find_member(operation, "value");
  auto require_value = [&]() -> std::optional<PatchOutcome> {
    if (value != nullptr) return std::nullopt;
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 where + " (" + std::string(*op) + " " + std::string(*path) +
                                     "): missing \"value\"");
  };
  auto from_pointer = [&]() -> std::optional<JsonPointer> {
    std::optional<std::string_view> from = string_member(operation, "from");
    if (!from) return std::nullopt;
    return parse_json_pointer(*from);
  };

  if (*op == "add") {
    if (auto missing = require_value()) return *missing;
    rapidjson::Value copy(*value, allocator);
    return add_at(root, *pointer, *path, std::move(copy), allocator, "add");
  }
  if (*op == "remove") {
    rapidjson::Value removed;
    if (!take_at(root, *pointer, removed))
      return not_applicable("unable to remove nonexistent key: " + std::string(*path) +
                            ": missing value");
    return PatchOutcome::success();
  }
  if (*op == "replace") {
    if (auto missing = require_value()) return *missing;
    rapidjson::Value* existing = resolve_pointer(root, *pointer, pointer->tokens.size());
    if (existing == nullptr)
      return not_applicable("replace operation does not apply: doc is missing key: " +
                            std::string(*path) + ": missing value");
    existing->CopyFrom(*value, allocator);
    return PatchOutcome::success();
  }
  if (*op == "move" || *op == "copy") {
    std::optional<JsonPointer> from = from_pointer();
    if (!from)
      return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                   where + " (" + std::string(*op) +
                                       "): missing or invalid \"from\"");
    std::string from_text = std::string(*string_member(operation, "from"));
    rapidjson::Value moved;
    if (*op == "move") {
      if (is_proper_prefix(*from, *pointer))
        return not_applicable("move operation does not apply: " + std::string(*path) +
                              " is inside " + from_text);
      if (!take_at(root, *from, moved))
        return not_applicable("move operation does not apply: doc is missing from path: " +
                              from_text + ": missing value");
    } else {
      const rapidjson::Value* source = resolve_pointer(root, *from);
      if (source == nullptr)
        return not_applicable("copy operation does not apply: doc is missing from path: " +
                              from_text + ": missing value");
      moved.CopyFrom(*source, allocator);
    }
    return add_at(root, *pointer, *path, std::move(moved), allocator, *op);
  }
  if (*op == "test") {
    if (auto missing = require_value()) return *missing;
    const rapidjson::Value* actual = resolve_pointer(root, *pointer);
    if (actual == nullptr ? !value->IsNull() : *actual != *value)
      return PatchOutcome::failure(PatchErrorKind::kTestFailed,
                                   "testing value " + std::string(*path) + " failed: test failed");
    return PatchOutcome::success();
  }
  return PatchOutcome::failure(PatchErrorKind::kMalformed,
                               where + ": unexpected op " + go_quote(*op));
}

}  // namespace

PatchOutcome apply_json_patch(rapidjson::Document& target, const rapidjson::Value& patch) {
  if (!patch.IsArray())
    return PatchOutcome::failure(
        PatchErrorKind::kMalformed,
        "json patch must be a JSON array of operations, got " + std::string(json_type_name(patch)));
  if (patch.Size() > kMaxJsonPatchOperations)
    return PatchOutcome::failure(PatchErrorKind::kMalformed,
                                 "The allowed maximum operations in a JSON patch is " +
                                     std::to_string(kMaxJsonPatchOperations) + ", got " +
                                     std::to_string(patch.Size()));
  // Work on a copy so a failing operation half way leaves the object as it was.
  rapidjson::Document working;
  working.CopyFrom(target, working.GetAllocator());
  std::size_t number = 0;
  for (const auto& operation : patch.GetArray()) {
    PatchOutcome outcome = apply_operation(working, operation, number++, working.GetAllocator());
    if (!outcome.ok()) return outcome;
  }
  target.Swap(working);
  return PatchOutcome::success();
}

}  // namespace switchyard::devcluster::objects
