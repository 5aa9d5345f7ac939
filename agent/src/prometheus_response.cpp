#include "switchyard/agent/prometheus_response.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace switchyard::agent {
namespace {

using Value = rapidjson::Value;

PromError malformed(std::string message) { return {PromErrorKind::Malformed, std::move(message)}; }

std::string preview(const std::string& body) {
  constexpr std::size_t kMax = 200;
  return body.size() <= kMax ? body : body.substr(0, kMax) + "...";
}

// Prometheus formats sample values with Go's strconv.FormatFloat: digits,
// exponents, "NaN", "+Inf", "-Inf". from_chars takes neither a leading '+'
// nor Go's spellings of infinity, so those are matched first.
std::optional<double> parse_sample_value(const std::string& text) {
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "+Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// [<unix time>, "<value>"], as both vector samples and scalars carry it.
std::optional<PromError> read_pair(const Value& pair, const std::string& field, PromSample& sample) {
  if (!pair.IsArray() || pair.Size() != 2) return malformed(field + ": expected [time, \"value\"]");
  if (!pair[0].IsNumber()) return malformed(field + "[0]: expected a number (the evaluation time)");
  if (!pair[1].IsString()) return malformed(field + "[1]: expected a string (the sample value)");
  sample.timestamp = pair[0].GetDouble();
  const std::string text(pair[1].GetString(), pair[1].GetStringLength());
  const auto value = parse_sample_value(text);
  if (!value) return malformed(field + "[1]: not a number: \"" + preview(text) + "\"");
  sample.value = *value;
  return std::nullopt;
}

std::optional<PromError> read_vector(const Value& result, PromVector& out) {
  if (!result.IsArray()) return malformed("data.result: expected an array");
  out.samples.reserve(result.Size());
  for (rapidjson::SizeType i = 0; i < result.Size(); ++i) {
    const auto field = "data.result[" + std::to_string(i) + "]";
    const Value& element = result[i];
    if (!element.IsObject()) return malformed(field + ": expected an object");
    PromSample sample;
    const auto metric = element.FindMember("metric");
    if (metric == element.MemberEnd() || !metric->value.IsObject()) {
      return malformed(field + ".metric: expected an object of labels");
    }
    for (const auto& label : metric->value.GetObject()) {
      if (!label.value.IsString()) {
        return malformed(field + ".metric." + label.name.GetString() + ": expected a string");
      }
      sample.labels.emplace(std::string(label.name.GetString(), label.name.GetStringLength()),
                            std::string(label.value.GetString(), label.value.GetStringLength()));
    }
    const auto value = element.FindMember("value");
    if (value == element.MemberEnd()) return malformed(field + ".value: missing");
    if (auto error = read_pair(value->value, field + ".value", sample)) return error;
    out.samples.push_back(std::move(sample));
  }
  return std::nullopt;
}

std::optional<PromError> read_warnings(const rapidjson::Document& document, PromVector& out) {
  const auto warnings = document.FindMember("warnings");
  if (warnings == document.MemberEnd()) return std::nullopt;
  if (!warnings->value.IsArray()) return malformed("warnings: expected an array of strings");
  for (rapidjson::SizeType i = 0; i < warnings->value.Size(); ++i) {
    const Value& warning = warnings->value[i];
    if (!warning.IsString()) return malformed("warnings[" + std::to_string(i) + "]: expected a string");
    out.warnings.emplace_back(warning.GetString(), warning.GetStringLength());
  }
  return std::nullopt;
}

std::string string_member(const rapidjson::Document& document, const char* name) {
  const auto member = document.FindMember(name);
  if (member == document.MemberEnd() || !member->value.IsString()) return {};
  return {member->value.GetString(), member->value.GetStringLength()};
}

}  // namespace

PromQueryResult decode_query_response(int http_status, const std::string& body) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (document.HasParseError() || !document.IsObject()) {
    // Not the API's JSON: an auth proxy's HTML, a load balancer's 502 page.
    if (http_status != 200) {
      return PromError{PromErrorKind::Http, "HTTP " + std::to_string(http_status) + ": " + preview(body)};
    }
    if (document.HasParseError()) {
      return malformed(std::string("body: invalid JSON at offset ") + std::to_string(document.GetErrorOffset()) +
                       ": " + rapidjson::GetParseError_En(document.GetParseError()));
    }
    return malformed("body: expected a JSON object");
  }
  const auto status = string_member(document, "status");
  if (status == "error") {
    const auto type = string_member(document, "errorType");
    const auto message = string_member(document, "error");
    return PromError{PromErrorKind::Query, (type.empty() ? "error" : type) + ": " + message};
  }
  if (status != "success") return malformed("status: expected \"success\" or \"error\", got \"" + preview(status) + "\"");
  if (http_status != 200) {
    return PromError{PromErrorKind::Http, "HTTP " + std::to_string(http_status) + " with status \"success\""};
  }
  const auto data = document.FindMember("data");
  if (data == document.MemberEnd() || !data->value.IsObject()) return malformed("data: expected an object");
  const auto type = data->value.FindMember("resultType");
  if (type == data->value.MemberEnd() || !type->value.IsString()) return malformed("data.resultType: expected a string");
  const auto result = data->value.FindMember("result");
  if (result == data->value.MemberEnd()) return malformed("data.result: missing");

  PromVector out;
  const std::string result_type = type->value.GetString();
  if (result_type == "vector") {
    if (auto error = read_vector(result->value, out)) return *error;
  } else if (result_type == "scalar") {
    PromSample sample;
    if (auto error = read_pair(result->value, "data.result", sample)) return *error;
    out.samples.push_back(std::move(sample));
  } else {
    return malformed("data.resultType: \"" + preview(result_type) +
                     "\" is not supported (an instant check needs \"vector\" or \"scalar\")");
  }
  if (auto error = read_warnings(document, out)) return *error;
  return out;
}

}  // namespace switchyard::agent
