#include "switchyard/devcluster/objects/field_cause.h"

#include <algorithm>

namespace switchyard::devcluster::objects {

std::string FieldCause::text() const { return field.empty() ? message : field + ": " + message; }

std::string_view cause_reason_name(CauseReason reason) {
  switch (reason) {
    case CauseReason::kRequired: return "FieldValueRequired";
    case CauseReason::kInvalid: return "FieldValueInvalid";
    case CauseReason::kTypeInvalid: return "FieldValueTypeInvalid";
    case CauseReason::kNotSupported: return "FieldValueNotSupported";
    case CauseReason::kTooLong: return "FieldValueTooLong";
    case CauseReason::kTooMany: return "FieldValueTooMany";
    case CauseReason::kDuplicate: return "FieldValueDuplicate";
    case CauseReason::kForbidden: return "FieldValueForbidden";
  }
  return "FieldValueInvalid";
}

std::string invalid_status_message(std::string_view qualified_kind, std::string_view name,
                                   const std::vector<FieldCause>& causes) {
  std::vector<std::string> texts;
  for (const FieldCause& cause : causes) {
    std::string text = cause.text();
    if (std::find(texts.begin(), texts.end(), text) == texts.end()) texts.push_back(std::move(text));
  }
  std::string message = std::string(qualified_kind) + " \"" + std::string(name) + "\" is invalid: ";
  if (texts.size() == 1) return message + texts.front();
  message += "[";
  for (std::size_t i = 0; i < texts.size(); ++i) message += (i ? ", " : "") + texts[i];
  return message + "]";
}

std::string child_path(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  return std::string(parent) + "." + std::string(name);
}

std::string index_path(std::string_view parent, std::size_t index) {
  return std::string(parent) + "[" + std::to_string(index) + "]";
}

std::string key_path(std::string_view parent, std::string_view key) {
  return std::string(parent) + "[" + std::string(key) + "]";
}

}  // namespace switchyard::devcluster::objects
