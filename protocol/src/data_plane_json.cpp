#include "data_plane_json.h"

#include <cmath>

namespace switchyard::protocol {
namespace {

// `digits` significant digits: two of 12.34 -> 12, 0.2345 -> 0.23, 812 -> 810.
double significant(double value, int digits) {
  if (value == 0 || !std::isfinite(value)) return value;
  const double scale = std::pow(10.0, digits - 1 - std::floor(std::log10(std::fabs(value))));
  return std::round(value * scale) / scale;
}

double two_digits(double value) { return value <= 0 ? value : significant(value, 2); }

}  // namespace

DataPlaneMeasurement round_data_plane(DataPlaneMeasurement measured) {
  // Down, so that rounding never lifts a rate over a minimum it is under.
  if (measured.success_rate) measured.success_rate = std::floor(*measured.success_rate * 1000) / 1000;
  // Down as well: a share under the quantile (0.9899 < 0.99) stays under it.
  if (measured.latency_within_share) {
    measured.latency_within_share = std::floor(*measured.latency_within_share * 1000) / 1000;
  }
  if (measured.request_rate) measured.request_rate = two_digits(*measured.request_rate);
  if (measured.latency_ms) measured.latency_ms = two_digits(*measured.latency_ms);
  for (auto& [name, value] : measured.queries) value = significant(value, 3);
  if (measured.error.size() > kMaxDataPlaneErrorLength) measured.error.resize(kMaxDataPlaneErrorLength);
  return measured;
}

namespace detail {

std::optional<DataPlaneMeasurement> read_data_plane_measurement(const rapidjson::Value& object,
                                                                const std::string& path,
                                                                std::vector<core::FieldError>& errors) {
  const auto found = object.FindMember("dataPlane");
  if (found == object.MemberEnd()) return std::nullopt;
  const auto at = path + ".dataPlane";
  if (!found->value.IsObject()) {
    errors.push_back({at, "must be an object"});
    return std::nullopt;
  }
  const auto& value = found->value;
  const auto before = errors.size();
  DataPlaneMeasurement measured;
  core::json::FieldReader fields(value, at, errors);
  measured.request_rate = fields.optional_number("requestRate", 0, 1e12);
  measured.success_rate = fields.optional_number("successRate", 0, 1);
  measured.latency_ms = fields.optional_number("latencyMs", 0, 1e9);
  measured.latency_within_share = fields.optional_number("latencyWithinShare", 0, 1);
  measured.latency_within_ms = fields.optional_int("latencyWithinMs", 1, kMaxCheckWindowMs);
  // A share means nothing without the maximum it was measured at.
  // Present as FieldReader reads it: a null member is an absent one.
  const auto present = [&value](const char* key) { return value.HasMember(key) && !value[key].IsNull(); };
  const bool has_share = present("latencyWithinShare");
  if (has_share != present("latencyWithinMs")) {
    fields.error(has_share ? "latencyWithinMs" : "latencyWithinShare",
                 std::string("required with ") + (has_share ? "latencyWithinShare" : "latencyWithinMs"));
  }
  if (const auto* queries = fields.object("queries", false)) {
    if (queries->MemberCount() > kMaxCustomQueries) {
      fields.error("queries", "at most " + std::to_string(kMaxCustomQueries) + " values");
    } else {
      core::json::FieldReader values(*queries, fields.path_of("queries"), errors);
      for (const auto& member : queries->GetObject()) {
        const std::string name(member.name.GetString(), member.name.GetStringLength());
        if (auto value = values.optional_number(name, -1e300, 1e300)) measured.queries.emplace(name, *value);
      }
    }
  }
  if (auto error = fields.optional_string("error")) {
    if (error->size() > kMaxDataPlaneErrorLength) {
      fields.error("error", "at most " + std::to_string(kMaxDataPlaneErrorLength) + " characters");
    } else {
      measured.error = std::move(*error);
    }
  }
  if (errors.size() != before) return std::nullopt;
  return measured;
}

std::optional<Report::DataPlaneRound> read_data_plane_round(const rapidjson::Value& object,
                                                            std::vector<core::FieldError>& errors) {
  core::json::FieldReader report(object, "", errors);
  const auto* value = report.object("dataPlane", false);
  if (value == nullptr) return std::nullopt;
  core::json::FieldReader fields(*value, "dataPlane", errors);
  auto evaluation = fields.required_uint("evaluation", kMaxReportSeq);
  auto evaluated_at = fields.optional_int("evaluatedAt", 0, INT64_MAX);
  if (!evaluation) return std::nullopt;
  return Report::DataPlaneRound{*evaluation, evaluated_at.value_or(0)};
}

void write_data_plane_measurement(JsonWriter& out, const DataPlaneMeasurement& measured) {
  out.Key("dataPlane");
  out.StartObject();
  const auto number = [&out](const char* key, const std::optional<double>& value) {
    if (!value) return;
    out.Key(key);
    out.Double(*value);
  };
  number("requestRate", measured.request_rate);
  number("successRate", measured.success_rate);
  number("latencyMs", measured.latency_ms);
  if (measured.latency_within_share && measured.latency_within_ms) {
    number("latencyWithinShare", measured.latency_within_share);
    out.Key("latencyWithinMs");
    out.Int64(*measured.latency_within_ms);
  }
  if (!measured.queries.empty()) {
    out.Key("queries");
    out.StartObject();
    for (const auto& [name, value] : measured.queries) {
      out.Key(name.c_str(), static_cast<rapidjson::SizeType>(name.size()));
      out.Double(value);
    }
    out.EndObject();
  }
  if (!measured.error.empty()) {
    out.Key("error");
    out.String(measured.error);
  }
  out.EndObject();
}

void write_data_plane_round(JsonWriter& out, const Report::DataPlaneRound& round) {
  out.Key("dataPlane");
  out.StartObject();
  out.Key("evaluation");
  out.Uint64(round.evaluation);
  out.Key("evaluatedAt");
  out.Int64(round.evaluated_at);
  out.EndObject();
}

}  // namespace detail
}  // namespace switchyard::protocol
