#include "custom_validation.h"

#include "object_rules.h"
#include "switchyard/devcluster/objects/field_cause.h"
#include "switchyard/devcluster/objects/schema_defaulting.h"
#include "switchyard/devcluster/objects/schema_validation.h"

namespace switchyard::devcluster {

std::optional<ApiError> validate_custom_object(const ResourceType& type, rapidjson::Document& object,
                                               const std::string& field_validation) {
  if (!type.compiled_schema) return std::nullopt;
  const objects::SchemaNode& schema = *type.compiled_schema;
  std::vector<std::string> unknown = objects::prune_unknown_fields(schema, object);
  if (!unknown.empty() && field_validation == "Strict") {
    std::string message = type.kind + " in version \"" + type.version + "\" cannot be handled as a " + type.kind +
                          ": strict decoding error: ";
    for (std::size_t i = 0; i < unknown.size(); ++i) {
      message += (i > 0 ? ", " : "") + std::string("unknown field \"") + unknown[i] + "\"";
    }
    return bad_request(message);
  }
  objects::apply_schema_defaults(schema, object);
  std::vector<objects::FieldCause> causes = objects::validate_against_schema(schema, object);
  if (causes.empty()) return std::nullopt;
  std::string name = metadata_string(object, "name");
  ApiError error{422, "Invalid", objects::invalid_status_message(type.qualified_kind(), name, causes), name, type.group,
                 type.kind, {}};
  for (const auto& cause : causes) {
    error.causes.push_back({std::string(objects::cause_reason_name(cause.reason)), cause.message, cause.field});
  }
  return error;
}

}  // namespace switchyard::devcluster
