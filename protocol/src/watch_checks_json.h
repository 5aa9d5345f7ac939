// A watch entry's "checks" (docs/protocol.md, "Data-plane checks"): what
// the agent measures of that local service's data plane.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "service_key_json.h"
#include "switchyard/core/field_error.h"

namespace switchyard::protocol::detail {

// Reads `entry`'s "checks" when present; nothing (and one error per bad
// field, under `path`) otherwise.
[[nodiscard]] std::optional<DataPlaneChecks> read_watch_checks(const rapidjson::Value& entry, const std::string& path,
                                                               std::vector<core::FieldError>& errors);

// Writes the "checks" object (the value only: the caller writes the key).
void write_watch_checks(JsonWriter& out, const DataPlaneChecks& checks);

}  // namespace switchyard::protocol::detail
