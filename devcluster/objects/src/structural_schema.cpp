#include "switchyard/devcluster/objects/structural_schema.h"

#include <string>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {

const SchemaNode* SchemaNode::property(std::string_view name) const {
  for (const auto& [property_name, node] : properties)
    if (property_name == name) return node.get();
  return nullptr;
}

namespace {

struct Compiler {
  std::string error;

  bool fail(const std::string& path, const std::string& message) {
    if (error.empty()) error = (path.empty() ? std::string("schema") : path) + ": " + message;
    return false;
  }

  bool read_bool(const rapidjson::Value& schema, const char* key, bool& out, const std::string& path) {
    const rapidjson::Value* value = find_member(schema, key);
    if (value == nullptr) return true;
    if (!value->IsBool()) return fail(child(path, key), "must be a boolean");
    out = value->GetBool();
    return true;
  }

  bool read_number(const rapidjson::Value& schema, const char* key, std::optional<double>& out,
                   const std::string& path) {
    const rapidjson::Value* value = find_member(schema, key);
    if (value == nullptr) return true;
    if (!value->IsNumber()) return fail(child(path, key), "must be a number");
    out = value->GetDouble();
    return true;
  }

  bool read_count(const rapidjson::Value& schema, const char* key,
                  std::optional<std::uint64_t>& out, const std::string& path) {
    const rapidjson::Value* value = find_member(schema, key);
    if (value == nullptr) return true;
    if (!value->IsUint64()) return fail(child(path, key), "must be a non-negative integer");
    out = value->GetUint64();
    return true;
  }

  bool read_string(const rapidjson::Value& schema, const char* key, std::string& out,
                   const std::string& path) {
    const rapidjson::Value* value = find_member(schema, key);
    if (value == nullptr) return true;
    if (!value->IsString()) return fail(child(path, key), "must be a string");
    out.assign(value->GetString(), value->GetStringLength());
    return true;
  }

  bool read_strings(const rapidjson::Value& schema, const char* key,
                    std::vector<std::string>& out, const std::string& path) {
    const rapidjson::Value* value = find_member(schema, key);
    if (value == nullptr) return true;
    if (!value->IsArray()) return fail(child(path, key), "must be a list of strings");
    for (const auto& item : value->GetArray()) {
      if (!item.IsString()) return fail(child(path, key), "must be a list of strings");
      out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return true;
  }

  static std::string child(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
  }

  std::unique_ptr<SchemaNode> compile(const rapidjson::Value& schema, const std::string& path,
                                      std::size_t depth) {
    if (depth > kMaxJsonDepth) {
      fail(path, "schema nested too deeply");
      return nullptr;
    }
    if (!schema.IsObject()) {
      fail(path, "must be an object");
      return nullptr;
    }
    auto node = std::make_unique<SchemaNode>();
    if (!read_string(schema, "type", node->type_name, path)) return nullptr;
    static const std::pair<const char*, SchemaType> kTypes[] = {
        {"object", SchemaType::kObject},   {"array", SchemaType::kArray},
        {"string", SchemaType::kString},   {"integer", SchemaType::kInteger},
        {"number", SchemaType::kNumber},   {"boolean", SchemaType::kBoolean}};
    if (!node->type_name.empty()) {
      bool known = false;
      for (const auto& [name, type] : kTypes) {
        if (node->type_name == name) {
          node->type = type;
          known = true;
        }
      }
      if (!known) {
        fail(child(path, "type"), "unsupported type \"" + node->type_name + "\"");
        return nullptr;
      }
    }
    if (!read_string(schema, "format", node->format, path) ||
        !read_bool(schema, "nullable", node->nullable, path) ||
        !read_bool(schema, "x-kubernetes-preserve-unknown-fields", node->preserve_unknown_fields, path) ||
        !read_bool(schema, "x-kubernetes-int-or-string", node->int_or_string, path) ||
        !read_bool(schema, "x-kubernetes-embedded-resource", node->embedded_resource, path) ||
        !read_strings(schema, "required", node->required, path) ||
        !read_number(schema, "minimum", node->minimum, path) ||
        !read_number(schema, "maximum", node->maximum, path) ||
        !read_number(schema, "multipleOf", node->multiple_of, path) ||
        !read_bool(schema, "exclusiveMinimum", node->exclusive_minimum, path) ||
        !read_bool(schema, "exclusiveMaximum", node->exclusive_maximum, path) ||
        !read_count(schema, "minLength", node->min_length, path) ||
        !read_count(schema, "maxLength", node->max_length, path) ||
        !read_count(schema, "minItems", node->min_items, path) ||
        !read_count(schema, "maxItems", node->max_items, path) ||
        !read_count(schema, "minProperties", node->min_properties, path) ||
        !read_count(schema, "maxProperties", node->max_properties, path) ||
        !read_bool(schema, "uniqueItems", node->unique_items, path) ||
        !read_string(schema, "x-kubernetes-list-type", node->list_type, path) ||
        !read_strings(schema, "x-kubernetes-list-map-keys", node->list_map_keys, path) ||
        !read_string(schema, "pattern", node->pattern_text, path)) {
      return nullptr;
    }
    if (!node->pattern_text.empty()) {
      try {
        node->pattern.emplace(node->pattern_text, std::regex::ECMAScript);
      } catch (const std::regex_error& e) {
        fail(child(path, "pattern"), "invalid regular expression: " + std::string(e.what()));
        return nullptr;
      }
    }
    if (const rapidjson::Value* values = find_member(schema, "enum")) {
      if (!values->IsArray()) {
        fail(child(path, "enum"), "must be a list");
        return nullptr;
      }
      node->enum_values.CopyFrom(*values, node->enum_values.GetAllocator());
    }
    if (const rapidjson::Value* value = find_member(schema, "default")) {
      node->default_value.CopyFrom(*value, node->default_value.GetAllocator());
      node->has_default = true;
    }
    if (const rapidjson::Value* properties = find_member(schema, "properties")) {
      if (!properties->IsObject()) {
        fail(child(path, "properties"), "must be an object");
        return nullptr;
      }
      for (const auto& member : properties->GetObject()) {
        std::string name(member.name.GetString(), member.name.GetStringLength());
        auto property = compile(member.value, child(child(path, "properties"), name), depth + 1);
        if (!property) return nullptr;
        node->properties.emplace_back(std::move(name), std::move(property));
      }
    }
    if (const rapidjson::Value* additional = find_member(schema, "additionalProperties")) {
      if (additional->IsBool()) {
        node->additional_properties_any = additional->GetBool();
      } else {
        node->additional_properties = compile(*additional, child(path, "additionalProperties"), depth + 1);
        if (!node->additional_properties) return nullptr;
      }
    }
    if (const rapidjson::Value* items = find_member(schema, "items")) {
      node->items = compile(*items, child(path, "items"), depth + 1);
      if (!node->items) return nullptr;
    }
    return node;
  }
};

}  // namespace

CompiledSchema compile_schema(const rapidjson::Value& open_api_v3_schema) {
  Compiler compiler;
  CompiledSchema result;
  result.root = compiler.compile(open_api_v3_schema, "", 0);
  if (!result.root) result.error = compiler.error;
  return result;
}

}  // namespace switchyard::devcluster::objects
