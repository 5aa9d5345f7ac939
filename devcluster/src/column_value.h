// The value a printer column's JSONPath picks from an object, the way the
// API server's Table convertor takes it: the first result only.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::devcluster {

struct ColumnValue {
  std::string text;  // printed form (strings unquoted, objects/arrays as JSON)
  bool is_string = false;
  bool is_integer = false;
  bool is_number = false;
  bool is_bool = false;
  std::int64_t integer = 0;
  double number = 0;
  bool boolean = false;
};

// Supports .a.b, ['a'], [N], [*] and [?(@.key=="value")] steps; nullopt when
// nothing matches.
[[nodiscard]] std::optional<ColumnValue> column_value(const rapidjson::Value& object, std::string_view json_path);
// Every value the path selects, in document order (nulls skipped).
[[nodiscard]] std::vector<ColumnValue> column_values(const rapidjson::Value& object, std::string_view json_path);

// apimachinery's duration.HumanDuration ("5s", "3m20s", "2d4h").
[[nodiscard]] std::string human_duration(long long seconds);

}  // namespace switchyard::devcluster
