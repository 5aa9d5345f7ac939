#include "column_value.h"

#include <vector>

#include "json_util.h"

namespace switchyard::devcluster {

namespace {

struct Step {
  enum class Kind { kField, kIndex, kAll, kFilter } kind = Kind::kField;
  std::string field;  // kField; kFilter: key compared
  long index = 0;
  std::string value;  // kFilter: expected string value
};

bool parse_steps(std::string_view path, std::vector<Step>& steps) {
  if (!path.empty() && path.front() == '{' && path.back() == '}') path = path.substr(1, path.size() - 2);
  std::size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      std::size_t end = i;
      while (end < path.size() && path[end] != '.' && path[end] != '[') ++end;
      if (end == i) return false;
      steps.push_back({Step::Kind::kField, std::string(path.substr(i, end - i)), 0, ""});
      i = end;
    } else if (path[i] == '[') {
      std::size_t close = path.find(']', i);
      if (close == std::string_view::npos) return false;
      std::string_view inside = path.substr(i + 1, close - i - 1);
      if (inside.rfind("?(", 0) == 0) {
        // ?(@.key=="value") — the closing ] comes after the parenthesis.
        close = path.find(")]", i);
        if (close == std::string_view::npos) return false;
        inside = path.substr(i + 3, close - i - 3);
        ++close;
        std::size_t eq = inside.find("==");
        if (inside.rfind("@.", 0) != 0 || eq == std::string_view::npos) return false;
        std::string key(inside.substr(2, eq - 2));
        std::string_view quoted = inside.substr(eq + 2);
        if (quoted.size() < 2) return false;
        steps.push_back({Step::Kind::kFilter, key, 0, std::string(quoted.substr(1, quoted.size() - 2))});
      } else if (inside == "*") {
        steps.push_back({Step::Kind::kAll, "", 0, ""});
      } else if (!inside.empty() && (inside.front() == '\'' || inside.front() == '"')) {
        steps.push_back({Step::Kind::kField, std::string(inside.substr(1, inside.size() - 2)), 0, ""});
      } else {
        try {
          steps.push_back({Step::Kind::kIndex, "", std::stol(std::string(inside)), ""});
        } catch (...) {
          return false;
        }
      }
      i = close + 1;
    } else {
      return false;
    }
  }
  return true;
}

void collect(const rapidjson::Value& value, const std::vector<Step>& steps, std::size_t at,
             std::vector<const rapidjson::Value*>& out) {
  if (at == steps.size()) {
    out.push_back(&value);
    return;
  }
  const Step& step = steps[at];
  switch (step.kind) {
    case Step::Kind::kField:
      if (const rapidjson::Value* next = member(value, step.field)) collect(*next, steps, at + 1, out);
      return;
    case Step::Kind::kIndex:
      if (value.IsArray()) {
        long size = static_cast<long>(value.Size());
        long index = step.index < 0 ? size + step.index : step.index;
        if (index >= 0 && index < size) collect(value[static_cast<rapidjson::SizeType>(index)], steps, at + 1, out);
      }
      return;
    case Step::Kind::kAll:
      if (value.IsArray()) {
        for (const auto& item : value.GetArray()) collect(item, steps, at + 1, out);
      } else if (value.IsObject()) {
        for (const auto& item : value.GetObject()) collect(item.value, steps, at + 1, out);
      }
      return;
    case Step::Kind::kFilter:
      if (value.IsArray()) {
        for (const auto& item : value.GetArray()) {
          auto field = string_member(item, step.field);
          if (field && *field == step.value) collect(item, steps, at + 1, out);
        }
      }
      return;
  }
}

}  // namespace

namespace {

ColumnValue to_column_value(const rapidjson::Value& value) {
  ColumnValue out;
  if (value.IsString()) {
    out.is_string = true;
    out.text.assign(value.GetString(), value.GetStringLength());
  } else if (value.IsBool()) {
    out.is_bool = true;
    out.boolean = value.GetBool();
    out.text = out.boolean ? "true" : "false";
  } else if (value.IsInt64()) {
    out.is_integer = out.is_number = true;
    out.integer = value.GetInt64();
    out.number = static_cast<double>(out.integer);
    out.text = std::to_string(out.integer);
  } else if (value.IsNumber()) {
    out.is_number = true;
    out.number = value.GetDouble();
    out.text = to_json(value);
  } else {
    out.text = to_json(value);
  }
  return out;
}

}  // namespace

std::optional<ColumnValue> column_value(const rapidjson::Value& object, std::string_view json_path) {
  std::vector<Step> steps;
  if (!parse_steps(json_path, steps)) return std::nullopt;
  std::vector<const rapidjson::Value*> found;
  collect(object, steps, 0, found);
  if (found.empty() || found.front()->IsNull()) return std::nullopt;
  return to_column_value(*found.front());
}

std::vector<ColumnValue> column_values(const rapidjson::Value& object, std::string_view json_path) {
  std::vector<ColumnValue> values;
  std::vector<Step> steps;
  if (!parse_steps(json_path, steps)) return values;
  std::vector<const rapidjson::Value*> found;
  collect(object, steps, 0, found);
  for (const rapidjson::Value* value : found) {
    if (!value->IsNull()) values.push_back(to_column_value(*value));
  }
  return values;
}

}  // namespace switchyard::devcluster
