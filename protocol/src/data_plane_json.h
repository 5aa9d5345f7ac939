// The report's data-plane parts (docs/protocol.md, "Data-plane
// measurements"): a service's "dataPlane" measurement and the report's
// "dataPlane" evaluation round.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "service_key_json.h"
#include "switchyard/core/field_error.h"

namespace switchyard::protocol::detail {

// Each reads the member `key` of `object` when present; nothing (and one
// error per bad field, under `path`) otherwise.
[[nodiscard]] std::optional<DataPlaneMeasurement> read_data_plane_measurement(
    const rapidjson::Value& object, const std::string& path, std::vector<core::FieldError>& errors);
[[nodiscard]] std::optional<Report::DataPlaneRound> read_data_plane_round(const rapidjson::Value& object,
                                                                         std::vector<core::FieldError>& errors);

void write_data_plane_measurement(JsonWriter& out, const DataPlaneMeasurement& measured);
void write_data_plane_round(JsonWriter& out, const Report::DataPlaneRound& round);

}  // namespace switchyard::protocol::detail
