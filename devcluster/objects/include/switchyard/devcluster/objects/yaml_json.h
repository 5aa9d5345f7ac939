// YAML -> JSON conversion for request bodies (apply-patch+yaml, kubectl's
// YAML manifests) with the scalar typing Kubernetes' YAML decoder uses:
// plain true/false/yes/no/on/off (any common case) are booleans, ~/null/empty
// are null, decimal/0x/0o integers and floats (.inf/.nan too) are numbers,
// quoted scalars are always strings. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

// Upper bound on values one YAML document may expand to, so aliases cannot
// blow a small body up into a huge object ("billion laughs"): server-side
// apply keeps a field path per leaf, so each value costs far more than its
// JSON. Real manifests stay far below this.
inline constexpr std::size_t kMaxYamlValues = 200'000;

// Converts the single YAML document in `text` (JSON is valid YAML) into `out`.
// Returns the reason on failure: syntax error with line and column, several
// documents, non-string map keys that are collections, nesting deeper than
// kMaxJsonDepth, or more than kMaxYamlValues values.
[[nodiscard]] std::optional<std::string> yaml_to_json(std::string_view text, rapidjson::Document& out);

// Refuses, before any YAML parser sees it, text whose flow collections
// ('[', '{') nest deeper than kMaxJsonDepth, naming the line; nullopt when
// it may be parsed. One pass, no allocation.
[[nodiscard]] std::optional<std::string> flow_nesting_error(std::string_view text);

}  // namespace switchyard::devcluster::objects
