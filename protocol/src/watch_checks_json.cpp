#include "watch_checks_json.h"

#include "switchyard/protocol/codec.h"

namespace switchyard::protocol::detail {

std::optional<DataPlaneChecks> read_watch_checks(const rapidjson::Value& entry, const std::string& path,
                                                 std::vector<core::FieldError>& errors) {
  core::json::FieldReader entry_fields(entry, path, errors);
  const auto* value = entry_fields.object("checks", false);
  if (value == nullptr) return std::nullopt;
  const auto at = path + ".checks";
  const auto before = errors.size();
  core::json::FieldReader fields(*value, at, errors);
  DataPlaneChecks checks;
  if (auto window = fields.required_uint("windowMs", kMaxCheckWindowMs)) {
    if (*window < 1000) fields.error("windowMs", "must be at least 1000, got " + std::to_string(*window));
    checks.window_ms = static_cast<std::int64_t>(*window);
  }
  if (const auto* latency = fields.object("latency", false)) {
    core::json::FieldReader latency_fields(*latency, fields.path_of("latency"), errors);
    checks.latency_quantile = latency_fields.optional_number("quantile", 0, 1);
    if (!checks.latency_quantile && !latency->HasMember("quantile")) latency_fields.error("quantile", "required");
    if (auto window = latency_fields.required_uint("windowMs", kMaxCheckWindowMs)) {
      if (*window < 1000) latency_fields.error("windowMs", "must be at least 1000, got " + std::to_string(*window));
      checks.latency_window_ms = static_cast<std::int64_t>(*window);
    }
  }
  if (errors.size() != before) return std::nullopt;
  return checks;
}

void write_watch_checks(JsonWriter& out, const DataPlaneChecks& checks) {
  out.StartObject();
  out.Key("windowMs");
  out.Int64(checks.window_ms);
  if (checks.latency_quantile) {
    out.Key("latency");
    out.StartObject();
    out.Key("quantile");
    out.Double(*checks.latency_quantile);
    out.Key("windowMs");
    out.Int64(checks.latency_window_ms);
    out.EndObject();
  }
  out.EndObject();
}

}  // namespace switchyard::protocol::detail

namespace switchyard::protocol {

std::string encode_data_plane_checks(const DataPlaneChecks& checks) {
  rapidjson::StringBuffer buffer;
  detail::JsonWriter out(buffer);
  detail::write_watch_checks(out, checks);
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace switchyard::protocol
