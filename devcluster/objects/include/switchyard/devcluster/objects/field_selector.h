// Field selectors as list and watch requests carry them (`fieldSelector=`):
// `metadata.name=x`, `metadata.namespace==y`, `metadata.name!=z`,
// comma-separated, with `\,` `\=` `\\` escapes in values. Only the fields the
// resource supports are accepted ("metadata.name" and "metadata.namespace" for
// every kind, and an Event's as kube-apiserver's ToSelectableFields lists
// them). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

struct FieldRequirement {
  std::string field;  // dotted path, e.g. "metadata.name"
  bool equals;        // false for !=
  std::string value;
  bool operator==(const FieldRequirement&) const = default;
};

struct FieldSelector {
  std::vector<FieldRequirement> requirements;

  [[nodiscard]] bool empty() const { return requirements.empty(); }
  // Looks each field up by its dotted path ("source" of an Event is
  // source.component, or reportingComponent when that is empty, as on real
  // servers); an absent field reads as "".
  [[nodiscard]] bool matches(const rapidjson::Value& object) const;
};

struct [[nodiscard]] ParsedFieldSelector {
  std::optional<FieldSelector> selector;
  // "invalid selector: 'x'; can't understand 'x'" or
  // "field label not supported: spec.foo" (both 400 BadRequest).
  std::string error;
  [[nodiscard]] bool ok() const { return selector.has_value(); }
};

inline const std::vector<std::string>& default_selectable_fields() {
  static const std::vector<std::string> fields = {"metadata.name", "metadata.namespace"};
  return fields;
}

// core/v1 Events (pkg/registry/core/event/strategy.go ToSelectableFields).
inline const std::vector<std::string>& event_selectable_fields() {
  static const std::vector<std::string> fields = {
      "metadata.name",          "metadata.namespace",           "involvedObject.kind",
      "involvedObject.namespace", "involvedObject.name",        "involvedObject.uid",
      "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
      "reason",                 "reportingComponent",           "source",
      "type"};
  return fields;
}

[[nodiscard]] ParsedFieldSelector parse_field_selector(
    std::string_view text, const std::vector<std::string>& supported_fields = default_selectable_fields());

}  // namespace switchyard::devcluster::objects
