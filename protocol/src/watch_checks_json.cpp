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
  if (value->HasMember("windowMs")) {
    if (auto window = fields.required_uint("windowMs", kMaxCheckWindowMs)) {
      if (*window < 1000) fields.error("windowMs", "must be at least 1000, got " + std::to_string(*window));
      checks.window_ms = static_cast<std::int64_t>(*window);
    }
  }
  if (const auto* latency = fields.object("latency", false)) {
    core::json::FieldReader latency_fields(*latency, fields.path_of("latency"), errors);
    checks.latency_quantile = latency_fields.optional_number("quantile", 0, 1);
    if (!checks.latency_quantile && !latency->HasMember("quantile")) latency_fields.error("quantile", "required");
    if (auto window = latency_fields.required_uint("windowMs", kMaxCheckWindowMs)) {
      if (*window < 1000) latency_fields.error("windowMs", "must be at least 1000, got " + std::to_string(*window));
      checks.latency_window_ms = static_cast<std::int64_t>(*window);
    }
    if (latency->HasMember("maximumMs")) {
      if (auto maximum = latency_fields.required_uint("maximumMs", kMaxCheckWindowMs)) {
        if (*maximum < 1) latency_fields.error("maximumMs", "must be at least 1, got 0");
        checks.latency_maximum_ms = static_cast<std::int64_t>(*maximum);
      }
    }
  }
  if (const auto* queries = fields.array("queries", false)) {
    if (queries->Size() > kMaxCustomQueries) {
      fields.error("queries", "at most " + std::to_string(kMaxCustomQueries) + " custom checks");
    }
    for (rapidjson::SizeType i = 0; i < queries->Size() && i < kMaxCustomQueries; ++i) {
      const auto query_path = fields.path_of("queries") + "[" + std::to_string(i) + "]";
      if (!(*queries)[i].IsObject()) {
        errors.push_back({query_path, "must be an object"});
        continue;
      }
      core::json::FieldReader query_fields((*queries)[i], query_path, errors);
      CustomQuery query;
      if (auto name = query_fields.required_string("name")) query.name = std::move(*name);
      if (auto text = query_fields.required_string("query")) {
        if (text->empty() || text->size() > kMaxQueryTemplateBytes) {
          query_fields.error("query", "must be 1.." + std::to_string(kMaxQueryTemplateBytes) + " bytes");
        }
        query.query_template = std::move(*text);
      }
      if (auto window = query_fields.required_uint("windowMs", kMaxCheckWindowMs)) {
        query.window_ms = static_cast<std::int64_t>(*window);
      }
      checks.queries.push_back(std::move(query));
    }
  }
  if (errors.size() != before) return std::nullopt;
  return checks;
}

void write_watch_checks(JsonWriter& out, const DataPlaneChecks& checks) {
  out.StartObject();
  if (checks.window_ms) {
    out.Key("windowMs");
    out.Int64(*checks.window_ms);
  }
  if (checks.latency_quantile) {
    out.Key("latency");
    out.StartObject();
    out.Key("quantile");
    out.Double(*checks.latency_quantile);
    out.Key("windowMs");
    out.Int64(checks.latency_window_ms);
    if (checks.latency_maximum_ms) {
      out.Key("maximumMs");
      out.Int64(*checks.latency_maximum_ms);
    }
    out.EndObject();
  }
  if (!checks.queries.empty()) {
    out.Key("queries");
    out.StartArray();
    for (const auto& query : checks.queries) {
      out.StartObject();
      out.Key("name");
      out.String(query.name);
      out.Key("query");
      out.String(query.query_template);
      out.Key("windowMs");
      out.Int64(query.window_ms);
      out.EndObject();
    }
    out.EndArray();
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
