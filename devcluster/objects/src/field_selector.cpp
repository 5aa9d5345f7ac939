#include "switchyard/devcluster/objects/field_selector.h"

#include <algorithm>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

// Splits on separators not preceded by a backslash escape.
std::vector<std::string> split_unescaped(std::string_view text, char separator) {
  std::vector<std::string> parts(1);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      parts.back() += text.substr(i, 2);
      ++i;
    } else if (text[i] == separator) {
      parts.emplace_back();
    } else {
      parts.back() += text[i];
    }
  }
  return parts;
}

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) ++i;
    out += text[i];
  }
  return out;
}

// Position of the first unescaped "!=", "==" or "=" in `part`.
std::optional<std::pair<std::size_t, std::string_view>> find_operator(std::string_view part) {
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] == '\\') { ++i; continue; }
    if (part.substr(i, 2) == "!=") return std::pair{i, std::string_view("!=")};
    if (part.substr(i, 2) == "==") return std::pair{i, std::string_view("==")};
    if (part[i] == '=') return std::pair{i, std::string_view("=")};
  }
  return std::nullopt;
}

std::string_view field_value(const rapidjson::Value& object, std::string_view path) {
  const rapidjson::Value* node = &object;
  while (node != nullptr && !path.empty()) {
    std::size_t dot = path.find('.');
    node = find_member(*node, path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  if (node == nullptr || !node->IsString()) return {};
  return {node->GetString(), node->GetStringLength()};
}

// The value a field label selects: its dotted path, except an Event's
// "source", which falls back to reportingComponent (events.k8s.io writers
// such as the hub's recorder fill only that).
std::string_view selectable_value(const rapidjson::Value& object, std::string_view label) {
  if (label != "source") return field_value(object, label);
  std::string_view component = field_value(object, "source.component");
  return component.empty() ? field_value(object, "reportingComponent") : component;
}

}  // namespace

bool FieldSelector::matches(const rapidjson::Value& object) const {
  for (const FieldRequirement& requirement : requirements) {
    bool same = selectable_value(object, requirement.field) == requirement.value;
    if (same != requirement.equals) return false;
  }
  return true;
}

ParsedFieldSelector parse_field_selector(std::string_view text,
                                         const std::vector<std::string>& supported_fields) {
  FieldSelector selector;
  if (text.empty()) return {std::move(selector), {}};
  for (const std::string& part : split_unescaped(text, ',')) {
    auto op = find_operator(part);
    if (!op)
      return {std::nullopt, "invalid selector: '" + std::string(text) + "'; can't understand '" + part + "'"};
    std::string field = part.substr(0, op->first);
    if (std::find(supported_fields.begin(), supported_fields.end(), field) == supported_fields.end())
      return {std::nullopt, "field label not supported: " + field};
    selector.requirements.push_back(
        {field, op->second != "!=", unescape(std::string_view(part).substr(op->first + op->second.size()))});
  }
  return {std::move(selector), {}};
}

}  // namespace switchyard::devcluster::objects
