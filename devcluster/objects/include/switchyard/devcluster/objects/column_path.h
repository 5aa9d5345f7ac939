// The JSONPath subset CRD additionalPrinterColumns use: `.status.state`,
// `.spec.backingServices[0].cluster`, `.status.active[*].cluster`,
// `.status.conditions[?(@.type=="Ready")].status`, `.metadata.labels['app']`,
// optionally wrapped in `{...}`. Missing keys yield no result (the server
// evaluates with allowMissingKeys). Compiled once per column; pure.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

struct ColumnPathStep {
  enum class Kind { kField, kIndex, kWildcard, kFilter } kind;
  std::string name;                // kField; for kFilter the dotted field under @
  long long index = 0;             // kIndex; negative counts from the end
  bool filter_equals = true;       // kFilter: == or !=
  rapidjson::Document filter_value;  // kFilter: literal compared against
};

class ColumnPath {
 public:
  // Every value the path selects, in document order.
  [[nodiscard]] std::vector<const rapidjson::Value*> evaluate(const rapidjson::Value& object) const;
  [[nodiscard]] const std::string& text() const { return text_; }

 private:
  friend struct ColumnPathParser;
  std::string text_;
  std::vector<std::shared_ptr<const ColumnPathStep>> steps_;
};

struct [[nodiscard]] ParsedColumnPath {
  std::optional<ColumnPath> path;
  std::string error;  // e.g. "unterminated [ in .spec.list[0"
  [[nodiscard]] bool ok() const { return path.has_value(); }
};

[[nodiscard]] ParsedColumnPath parse_column_path(std::string_view text);

}  // namespace switchyard::devcluster::objects
