// Reads typed fields out of an untrusted RapidJSON object, collecting one
// FieldError per problem with its full path instead of stopping at the first.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/field_error.h"

namespace switchyard::core::json {

// Parses `body` as one JSON document: iterative (no stack overflow on deep
// nesting), UTF-8 validated, trailing content rejected. On failure, adds an
// error for the whole body and returns false.
[[nodiscard]] bool parse_body(std::string_view body, rapidjson::Document& out,
                              std::vector<FieldError>& errors);

class FieldReader {
 public:
  FieldReader(const rapidjson::Value& object, std::string path,
              std::vector<FieldError>& errors);

  // Each getter returns nothing, and records why, when the field is missing
  // (for required ones) or has the wrong type or range.
  std::optional<std::string> required_string(std::string_view key);
  std::optional<std::string> optional_string(std::string_view key);
  std::optional<bool> optional_bool(std::string_view key);
  std::optional<bool> required_bool(std::string_view key);
  std::optional<std::uint64_t> required_uint(std::string_view key, std::uint64_t max);
  std::optional<std::int64_t> optional_int(std::string_view key, std::int64_t min,
                                           std::int64_t max);
  // A finite number within min..max ("must be within 0..1, got 1.5").
  std::optional<double> optional_number(std::string_view key, double min, double max);
  // The array member, or nullptr (with an error if required and absent, or
  // if present and not an array).
  const rapidjson::Value* array(std::string_view key, bool required);
  const rapidjson::Value* object(std::string_view key, bool required);

  [[nodiscard]] std::string path_of(std::string_view key) const;
  void error(std::string_view key, std::string message);

 private:
  const rapidjson::Value* find(std::string_view key) const;

  const rapidjson::Value& object_;
  std::string path_;
  std::vector<FieldError>& errors_;
};

// "services" + 2 -> "services[2]"
[[nodiscard]] std::string indexed(std::string_view path, std::size_t index);

}  // namespace switchyard::core::json
