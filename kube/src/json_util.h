// Small RapidJSON helpers for server responses: parse once with the house
// flags, typed lookups that never assert on the wrong type.
#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "switchyard/kube/result.h"

namespace switchyard::kube::json {

// Iterative, UTF-8 validated, trailing content rejected. Returns an ApiError
// with an empty message on success, else one naming `what`.
ApiError parse(std::string_view text, rapidjson::Document& out, std::string_view what);

const rapidjson::Value* find(const rapidjson::Value& object, std::string_view key);
std::string_view string_or_empty(const rapidjson::Value* value);
std::string string_member(const rapidjson::Value& object, std::string_view key);
std::string serialize(const rapidjson::Value& value);
// JSON string literal with quotes and escapes.
std::string quote(std::string_view text);

// A Kubernetes Status body (or anything else) turned into an ApiError for an
// HTTP `code`; falls back to the body text when it is not a Status.
ApiError status_error(int code, std::string_view body);
ApiError status_error_from(const rapidjson::Value& status, int fallback_code);

}  // namespace switchyard::kube::json
