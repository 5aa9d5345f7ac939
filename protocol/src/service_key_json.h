// The {namespace, name, role} triple that reports and assignments share.
#pragma once

#include <optional>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/core/json_fields.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::protocol::detail {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Reads and checks the three fields; records an error per bad field.
[[nodiscard]] std::optional<ServiceKey> read_service_key(core::json::FieldReader& fields);

// Writes the three fields into the object the writer is inside.
void write_service_key_fields(JsonWriter& out, const ServiceKey& key);

}  // namespace switchyard::protocol::detail
