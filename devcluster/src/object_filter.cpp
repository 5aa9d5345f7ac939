#include "object_filter.h"

#include <vector>

#include "switchyard/devcluster/objects/field_cause.h"
#include "switchyard/devcluster/objects/field_selector.h"
#include "switchyard/devcluster/objects/label_selector.h"
#include "switchyard/devcluster/objects/schema_defaulting.h"
#include "switchyard/devcluster/objects/schema_validation.h"

#include "json_util.h"
#include "object_rules.h"

namespace switchyard::devcluster {

namespace {

class SelectorFilter final : public ObjectFilter {
 public:
  objects::LabelSelector labels;
  objects::FieldSelector fields;
  std::shared_ptr<const ObjectFilter> inner;

  bool matches(const rapidjson::Value& object) const override {
    if (inner && !inner->matches(object)) return false;
    return labels.matches(objects::object_labels(object)) && fields.matches(object);
  }
};

}  // namespace

std::optional<ApiError> make_object_filter(const ApiRequest& request, const ResourceType& type,
                                           std::shared_ptr<const ObjectFilter>& filter) {
  auto label_selector = request.param("labelSelector");
  auto field_selector = request.param("fieldSelector");
  if ((!label_selector || label_selector->empty()) && (!field_selector || field_selector->empty())) {
    return std::nullopt;
  }
  auto selector = std::make_shared<SelectorFilter>();
  selector->inner = filter;
  if (label_selector && !label_selector->empty()) {
    objects::ParsedLabelSelector parsed = objects::parse_label_selector(*label_selector);
    if (!parsed.ok()) return bad_request(parsed.error);
    selector->labels = std::move(*parsed.selector);
  }
  if (field_selector && !field_selector->empty()) {
    objects::ParsedFieldSelector parsed = objects::parse_field_selector(*field_selector);
    if (!parsed.ok()) return bad_request(parsed.error);
    selector->fields = std::move(*parsed.selector);
  }
  filter = selector;
  return std::nullopt;
}

std::shared_ptr<const ObjectFilter> name_filter(const std::string& name, std::shared_ptr<const ObjectFilter> inner) {
  auto selector = std::make_shared<SelectorFilter>();
  selector->inner = std::move(inner);
  selector->fields.requirements.push_back({"metadata.name", true, name});
  return selector;
}

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
