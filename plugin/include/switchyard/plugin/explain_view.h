// kubectl switchyard explain: core::explain's lines as text or JSON. Pure.
#pragma once

#include <string>
#include <vector>

#include "switchyard/core/explain.h"

namespace switchyard::plugin {

// "FailoverService ns/name" then one line per finding, headed by its rule.
[[nodiscard]] std::string explain_text(const core::ObjectKey& key, const std::vector<core::ExplainLine>& lines);

// -o json: {"namespace", "name", "lines": [{"rule", "text"}]}.
[[nodiscard]] std::string explain_json(const core::ObjectKey& key, const std::vector<core::ExplainLine>& lines);

}  // namespace switchyard::plugin
