// Cell values of a server-side Table, formatted per printer-column type the
// way the API server's CRD table convertor does. Pure; "now" is passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

namespace switchyard::devcluster::objects {

// Seconds since the Unix epoch of an RFC 3339 timestamp ("2026-11-25T03:00:00Z",
// fractions and numeric offsets allowed); nullopt when malformed.
[[nodiscard]] std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// apimachinery's duration.HumanDuration: "45s", "2m5s", "15m", "3h20m", "2d4h",
// "400d", "2y10d"; "<invalid>" more than a second in the future.
[[nodiscard]] std::string human_duration(std::int64_t seconds);

// One cell for the values a column's path selected:
//   string  -> all values printed as Go's jsonpath prints them, joined by ","
//   integer -> JSON integer (non-integral numbers truncated), else null
//   number  -> JSON number, else null
//   boolean -> JSON boolean, else null
//   date    -> age of the RFC 3339 timestamp at `now_unix_seconds` ("5m"),
//              "<invalid>" if unparsable, null if not a string
// No values -> null. The cell is allocated with `allocator`.
[[nodiscard]] rapidjson::Value table_cell(std::string_view column_type,
                                          const std::vector<const rapidjson::Value*>& values,
                                          std::int64_t now_unix_seconds,
                                          rapidjson::Document::AllocatorType& allocator);

// How Go's text/template-based jsonpath prints one value: strings raw,
// numbers and booleans as %v, objects as map[k:v ...], arrays as [a b].
[[nodiscard]] std::string jsonpath_text(const rapidjson::Value& value);

}  // namespace switchyard::devcluster::objects
