// JSON helpers shared by every devcluster object operation: parsing an
// untrusted body once at the edge, serialising, and printing values the way
// the Kubernetes API server (Go) prints them inside error messages.
//
// All functions are pure and thread-compatible (no shared state).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

// Deepest nesting of arrays/objects any operation accepts. Patching and copying
// recurse, so anything deeper is refused at parse time instead of exhausting
// the stack; real Kubernetes objects stay far below this.
inline constexpr std::size_t kMaxJsonDepth = 512;

// Parses `text` as exactly one JSON value (iterative, UTF-8 validated,
// trailing content rejected, nesting at most kMaxJsonDepth). Returns the
// reason on failure, e.g. "invalid JSON at offset 3: Invalid value.".
[[nodiscard]] std::optional<std::string> parse_json(std::string_view text,
                                                    rapidjson::Document& out);

// Nesting depth of a value: scalars 0, `[]` 1, `[[1]]` 2. Iterative.
[[nodiscard]] std::size_t json_depth(const rapidjson::Value& value);

// Compact JSON text.
[[nodiscard]] std::string to_json(const rapidjson::Value& value);

// JSON type name as the OpenAPI validator reports it: "string", "integer",
// "number" (non-integral), "boolean", "object", "array", "null".
[[nodiscard]] std::string_view json_type_name(const rapidjson::Value& value);

// Go's %v of a float64 (strconv 'g', shortest): 0 -> "0", 1000000 -> "1e+06",
// 0.5 -> "0.5".
[[nodiscard]] std::string go_float(double value);

// A value as apimachinery's field.Error prints it: strings quoted (%q),
// numbers and booleans bare, null as "null", objects and arrays as Go's %#v of
// the unstructured form (`map[string]interface {}{"a":"b"}`,
// `[]interface {}{"a", 1}`).
[[nodiscard]] std::string go_value(const rapidjson::Value& value);

// Go's strconv.Quote for the printable-ASCII/UTF-8 case: backslash escapes for
// quotes, backslashes and control characters.
[[nodiscard]] std::string go_quote(std::string_view text);

// An object's members ordered by name (Go prints maps that way).
[[nodiscard]] std::vector<std::pair<std::string_view, const rapidjson::Value*>> sorted_members(
    const rapidjson::Value& object);

// A text that is equal for exactly the values RapidJSON's == calls equal:
// object members sorted by name, integral numbers without a fraction. Used to
// find duplicates in large lists in linear time.
[[nodiscard]] std::string canonical_json(const rapidjson::Value& value);

// Looks up an object member; nullptr when `object` is not an object or lacks it.
[[nodiscard]] const rapidjson::Value* find_member(const rapidjson::Value& object,
                                                  std::string_view name);
[[nodiscard]] rapidjson::Value* find_member(rapidjson::Value& object, std::string_view name);

// The string form of a member, or nullopt when absent or not a string.
[[nodiscard]] std::optional<std::string_view> string_member(const rapidjson::Value& object,
                                                            std::string_view name);

// Sets (adding or overwriting) `object[name] = value` (value is moved).
void set_member(rapidjson::Value& object, std::string_view name, rapidjson::Value&& value,
                rapidjson::Document::AllocatorType& allocator);

// Removes `object[name]` if present; returns whether it was there.
bool remove_member(rapidjson::Value& object, std::string_view name);

}  // namespace switchyard::devcluster::objects
