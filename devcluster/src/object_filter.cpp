#include "object_filter.h"

#include <vector>

#include "switchyard/devcluster/objects/field_selector.h"
#include "switchyard/devcluster/objects/label_selector.h"

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
    const bool event = type.group.empty() && type.resource == "events";
    objects::ParsedFieldSelector parsed = objects::parse_field_selector(
        *field_selector, event ? objects::event_selectable_fields() : objects::default_selectable_fields());
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

}  // namespace switchyard::devcluster
