// JSON Pointer (RFC 6901): "/spec/ports/0/name", with "~1" for "/" and "~0"
// for "~" inside a token. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

struct JsonPointer {
  std::vector<std::string> tokens;  // unescaped; empty = the whole document
};

// Parses a pointer; nullopt when it does not start with "/" (and is not empty)
// or has a "~" not followed by 0 or 1.
[[nodiscard]] std::optional<JsonPointer> parse_json_pointer(std::string_view text);

// "~" -> "~0", "/" -> "~1".
[[nodiscard]] std::string escape_pointer_token(std::string_view token);

// An array index token: decimal digits without a leading zero (except "0").
// nullopt otherwise (including "-").
[[nodiscard]] std::optional<std::size_t> parse_array_index(std::string_view token);

// The value the pointer names, or nullptr when a step is missing.
[[nodiscard]] rapidjson::Value* resolve_pointer(rapidjson::Value& root, const JsonPointer& pointer,
                                                std::size_t token_count);
[[nodiscard]] const rapidjson::Value* resolve_pointer(const rapidjson::Value& root,
                                                      const JsonPointer& pointer);

}  // namespace switchyard::devcluster::objects
