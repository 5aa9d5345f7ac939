// Label selectors as list and watch requests carry them (`labelSelector=`):
// `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a` (exists), `!a`
// (does not exist), `a>3`, `a<3`, comma-separated, whitespace allowed.
// Parsing follows apimachinery's labels.Parse, including its key and value
// validation and its error texts. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

enum class LabelOperator { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist, kGreaterThan, kLessThan };

struct LabelRequirement {
  std::string key;
  LabelOperator op;
  std::vector<std::string> values;  // one for =, ==, !=, >, <; none for exists
  bool operator==(const LabelRequirement&) const = default;
};

// All requirements must hold; an empty selector matches everything.
struct LabelSelector {
  std::vector<LabelRequirement> requirements;

  [[nodiscard]] bool empty() const { return requirements.empty(); }
  // `labels` is metadata.labels: an object of strings, or null/absent (no labels).
  [[nodiscard]] bool matches(const rapidjson::Value* labels) const;
};

struct [[nodiscard]] ParsedLabelSelector {
  std::optional<LabelSelector> selector;
  std::string error;  // e.g. "unable to parse requirement: found '', expected: in, notin, =, ==, !=, gt, lt"
  [[nodiscard]] bool ok() const { return selector.has_value(); }
};

[[nodiscard]] ParsedLabelSelector parse_label_selector(std::string_view text);

// metadata.labels of an object, or nullptr.
[[nodiscard]] const rapidjson::Value* object_labels(const rapidjson::Value& object);

}  // namespace switchyard::devcluster::objects
