// FieldsV1 field sets as trees: member keys "f:<field>", "k:<json keys>",
// "v:<json value>" and "." (the list item itself). Internal to apply.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

struct FieldSet {
  std::map<std::string, FieldSet> children;

  [[nodiscard]] bool empty() const { return children.empty(); }
  // Every path to a leaf, e.g. {"f:spec", "f:containers", "k:{\"name\":\"web\"}", "f:image"}.
  [[nodiscard]] std::vector<std::vector<std::string>> leaves() const;
  [[nodiscard]] bool contains(const std::vector<std::string>& path) const;
  // Whether any path in the set starts with `prefix`.
  [[nodiscard]] bool has_prefix(const std::vector<std::string>& prefix) const;
  void insert(const std::vector<std::string>& path);
  void erase(const std::vector<std::string>& path);
};

[[nodiscard]] FieldSet field_set_from_json(const rapidjson::Value& fields_v1);
[[nodiscard]] rapidjson::Value field_set_to_json(const FieldSet& set, rapidjson::Document::AllocatorType& allocator);

// ".spec.containers[name=\"web\"].image" for conflict messages.
[[nodiscard]] std::string field_path_text(const std::vector<std::string>& path);

}  // namespace switchyard::devcluster::objects
