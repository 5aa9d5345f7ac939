#include "switchyard/devcluster/objects/schema_defaulting.h"

#include <string_view>

#include "switchyard/devcluster/objects/field_cause.h"
#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

void default_value(const SchemaNode& schema, rapidjson::Value& value, Allocator& allocator) {
  if (value.IsObject()) {
    for (const auto& [name, property] : schema.properties) {
      rapidjson::Value* member = find_member(value, name);
      if (property->has_default &&
          (member == nullptr || (member->IsNull() && !property->nullable))) {
        rapidjson::Value copy(property->default_value, allocator);
        set_member(value, name, std::move(copy), allocator);
        member = find_member(value, name);
      }
      if (member != nullptr) default_value(*property, *member, allocator);
    }
    if (schema.additional_properties) {
      for (auto& member : value.GetObject()) default_value(*schema.additional_properties, member.value, allocator);
    }
  } else if (value.IsArray() && schema.items) {
    for (auto& item : value.GetArray()) default_value(*schema.items, item, allocator);
  }
}

bool kept_at_resource_level(std::string_view name) {
  return name == "apiVersion" || name == "kind" || name == "metadata";
}

void prune(const SchemaNode& schema, rapidjson::Value& value, const std::string& path,
           bool resource_level, std::vector<std::string>& pruned) {
  if (value.IsObject()) {
    const bool drop_unknown = !schema.preserve_unknown_fields && schema.additional_properties == nullptr &&
                              !schema.additional_properties_any;
    for (auto member = value.MemberBegin(); member != value.MemberEnd();) {
      std::string_view name(member->name.GetString(), member->name.GetStringLength());
      const SchemaNode* property = schema.property(name);
      if (resource_level && kept_at_resource_level(name)) {
        // ObjectMeta, apiVersion and kind are the server's, not the schema's.
      } else if (property != nullptr) {
        prune(*property, member->value, child_path(path, name), property->embedded_resource, pruned);
      } else if (schema.additional_properties) {
        prune(*schema.additional_properties, member->value, key_path(path, name),
              schema.additional_properties->embedded_resource, pruned);
      } else if (drop_unknown) {
        pruned.push_back(child_path(path, name));
        member = value.EraseMember(member);
        continue;
      }
      ++member;
    }
  } else if (value.IsArray() && schema.items) {
    std::size_t index = 0;
    for (auto& item : value.GetArray())
      prune(*schema.items, item, index_path(path, index++), schema.items->embedded_resource, pruned);
  }
}

}  // namespace

void apply_schema_defaults(const SchemaNode& schema, rapidjson::Document& object) {
  default_value(schema, object, object.GetAllocator());
}

std::vector<std::string> prune_unknown_fields(const SchemaNode& schema, rapidjson::Document& object) {
  std::vector<std::string> pruned;
  prune(schema, object, "", true, pruned);
  return pruned;
}

}  // namespace switchyard::devcluster::objects
