// A compiled apiextensions.k8s.io/v1 structural schema (one version's
// `schema.openAPIV3Schema`), ready for validation, defaulting and pruning.
// Compiled once when a CRD is stored; immutable and safe to share between
// threads afterwards.
//
// Understood: type, format, nullable, properties, additionalProperties
// (schema or true), items, required, enum, minimum/maximum with
// exclusiveMinimum/exclusiveMaximum, multipleOf, minLength/maxLength, pattern,
// minItems/maxItems, uniqueItems, minProperties/maxProperties, default,
// x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string,
// x-kubernetes-embedded-resource, x-kubernetes-list-type and
// x-kubernetes-list-map-keys. Logical junctors (allOf/anyOf/oneOf/not) and
// CEL rules are accepted but not enforced.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

enum class SchemaType { kAny, kObject, kArray, kString, kInteger, kNumber, kBoolean };

struct SchemaNode {
  SchemaType type = SchemaType::kAny;
  std::string type_name;  // as written ("integer"), empty for kAny
  std::string format;
  bool nullable = false;
  bool preserve_unknown_fields = false;
  bool int_or_string = false;
  bool embedded_resource = false;

  std::vector<std::pair<std::string, std::unique_ptr<SchemaNode>>> properties;  // schema order
  std::unique_ptr<SchemaNode> additional_properties;  // schema of map values
  bool additional_properties_any = false;             // additionalProperties: true
  std::unique_ptr<SchemaNode> items;
  std::vector<std::string> required;

  std::optional<double> minimum, maximum, multiple_of;
  bool exclusive_minimum = false, exclusive_maximum = false;
  std::optional<std::uint64_t> min_length, max_length, min_items, max_items;
  std::optional<std::uint64_t> min_properties, max_properties;
  std::string pattern_text;
  std::optional<std::regex> pattern;
  bool unique_items = false;
  std::string list_type;  // "", "atomic", "set", "map"
  std::vector<std::string> list_map_keys;

  // enum (an array) and default, owned here; null when absent.
  rapidjson::Document enum_values;
  rapidjson::Document default_value;
  bool has_default = false;

  [[nodiscard]] const SchemaNode* property(std::string_view name) const;
  // Properties or additionalProperties decide which members are known.
  [[nodiscard]] bool lists_fields() const {
    return !properties.empty() || additional_properties != nullptr || additional_properties_any;
  }
};

struct [[nodiscard]] CompiledSchema {
  std::unique_ptr<SchemaNode> root;  // null on error
  std::string error;                 // names the schema path, e.g. "properties.spec.pattern: ..."
  [[nodiscard]] bool ok() const { return root != nullptr; }
};

// Compiles `open_api_v3_schema`. Fails on a wrong-typed keyword or a pattern
// that std::regex (ECMAScript) cannot compile.
[[nodiscard]] CompiledSchema compile_schema(const rapidjson::Value& open_api_v3_schema);

}  // namespace switchyard::devcluster::objects
