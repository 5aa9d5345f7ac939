#include "switchyard/core/json_fields.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include <rapidjson/error/en.h>

namespace switchyard::core::json {

bool parse_body(std::string_view body, rapidjson::Document& out,
                std::vector<FieldError>& errors) {
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  out.Parse<kFlags>(body.data(), body.size());
  if (out.HasParseError()) {
    errors.push_back({"", std::string("malformed JSON at offset ") +
                              std::to_string(out.GetErrorOffset()) + ": " +
                              rapidjson::GetParseError_En(out.GetParseError())});
    return false;
  }
  if (!out.IsObject()) {
    errors.push_back({"", "body must be a JSON object"});
    return false;
  }
  return true;
}

std::string indexed(std::string_view path, std::size_t index) {
  return std::string(path) + "[" + std::to_string(index) + "]";
}

FieldReader::FieldReader(const rapidjson::Value& object, std::string path,
                         std::vector<FieldError>& errors)
    : object_(object), path_(std::move(path)), errors_(errors) {}

std::string FieldReader::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

void FieldReader::error(std::string_view key, std::string message) {
  errors_.push_back({path_of(key), std::move(message)});
}

const rapidjson::Value* FieldReader::find(std::string_view key) const {
  auto member = object_.FindMember(
      rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  if (member == object_.MemberEnd() || member->value.IsNull()) return nullptr;
  return &member->value;
}

std::optional<std::string> FieldReader::optional_string(std::string_view key) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->IsString()) {
    error(key, "must be a string");
    return std::nullopt;
  }
  return std::string(value->GetString(), value->GetStringLength());
}

std::optional<std::string> FieldReader::required_string(std::string_view key) {
  if (find(key) == nullptr) {
    error(key, "required");
    return std::nullopt;
  }
  return optional_string(key);
}

std::optional<bool> FieldReader::optional_bool(std::string_view key) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->IsBool()) {
    error(key, "must be true or false");
    return std::nullopt;
  }
  return value->GetBool();
}

std::optional<bool> FieldReader::required_bool(std::string_view key) {
  if (find(key) == nullptr) {
    error(key, "required");
    return std::nullopt;
  }
  return optional_bool(key);
}

std::optional<std::uint64_t> FieldReader::required_uint(std::string_view key,
                                                        std::uint64_t max) {
  const auto* value = find(key);
  if (value == nullptr) {
    error(key, "required");
    return std::nullopt;
  }
  if (!value->IsUint64()) {
    error(key, "must be a non-negative integer");
    return std::nullopt;
  }
  if (value->GetUint64() > max) {
    error(key, "must be at most " + std::to_string(max));
    return std::nullopt;
  }
  return value->GetUint64();
}

std::optional<std::int64_t> FieldReader::optional_int(std::string_view key,
                                                      std::int64_t min,
                                                      std::int64_t max) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->IsInt64()) {
    error(key, "must be an integer");
    return std::nullopt;
  }
  const auto number = value->GetInt64();
  if (number < min || number > max) {
    error(key, "must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + ", got " + std::to_string(number));
    return std::nullopt;
  }
  return number;
}

std::optional<double> FieldReader::optional_number(std::string_view key, double min, double max) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->IsNumber()) {
    error(key, "must be a number");
    return std::nullopt;
  }
  const double number = value->GetDouble();
  if (!std::isfinite(number) || number < min || number > max) {
    char text[96];
    std::snprintf(text, sizeof text, "must be within %.6g..%.6g, got %.6g", min, max, number);
    error(key, text);
    return std::nullopt;
  }
  return number;
}

const rapidjson::Value* FieldReader::array(std::string_view key, bool required) {
  const auto* value = find(key);
  if (value == nullptr) {
    if (required) error(key, "required");
    return nullptr;
  }
  if (!value->IsArray()) {
    error(key, "must be a list");
    return nullptr;
  }
  return value;
}

const rapidjson::Value* FieldReader::object(std::string_view key, bool required) {
  const auto* value = find(key);
  if (value == nullptr) {
    if (required) error(key, "required");
    return nullptr;
  }
  if (!value->IsObject()) {
    error(key, "must be an object");
    return nullptr;
  }
  return value;
}

}  // namespace switchyard::core::json
