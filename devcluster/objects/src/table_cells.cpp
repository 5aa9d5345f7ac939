#include "switchyard/devcluster/objects/table_cells.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

bool read_digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
  if (at + count > text.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(int year, int month, int day) {
  year -= month <= 2;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int year_of_era = static_cast<int>(year - era * 400);
  const int day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
      text[16] != ':' || !read_digits(text, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t at = 19;
  if (text[at] == '.') {
    ++at;
    std::size_t start = at;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
    if (at == start) return std::nullopt;
  }
  std::int64_t offset = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int offset_hours, offset_minutes;
    if (!read_digits(text, at + 1, 2, offset_hours) || at + 3 >= text.size() || text[at + 3] != ':' ||
        !read_digits(text, at + 4, 2, offset_minutes))
      return std::nullopt;
    offset = (offset_hours * 3600 + offset_minutes * 60) * (text[at] == '-' ? -1 : 1);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

std::string human_duration(std::int64_t seconds) {
  auto text = [](std::int64_t a, const char* unit_a, std::int64_t b = 0, const char* unit_b = "") {
    std::string out = std::to_string(a) + unit_a;
    if (b != 0) out += std::to_string(b) + unit_b;
    return out;
  };
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return text(seconds, "s");
  const std::int64_t minutes = seconds / 60;
  if (minutes < 10) return text(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return text(minutes, "m");
  const std::int64_t hours = seconds / 3600;
  if (hours < 8) return text(hours, "h", minutes % 60, "m");
  if (hours < 48) return text(hours, "h");
  if (hours < 24 * 8) return text(hours / 24, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return text(hours / 24, "d");
  if (hours < 24 * 365 * 8) return text(hours / 24 / 365, "y", (hours / 24) % 365, "d");
  return text(hours / 24 / 365, "y");
}

std::string jsonpath_text(const rapidjson::Value& value) {
  if (value.IsString()) return {value.GetString(), value.GetStringLength()};
  if (value.IsNull()) return "<nil>";
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsNumber()) return go_float(value.GetDouble());
  if (value.IsArray()) {
    std::string out = "[";
    bool first = true;
    for (const auto& item : value.GetArray()) {
      out += (first ? "" : " ") + jsonpath_text(item);
      first = false;
    }
    return out + "]";
  }
  const auto members = sorted_members(value);
  std::string out = "map[";
  for (std::size_t i = 0; i < members.size(); ++i)
    out += (i ? " " : "") + std::string(members[i].first) + ":" + jsonpath_text(*members[i].second);
  return out + "]";
}

rapidjson::Value table_cell(std::string_view column_type, const std::vector<const rapidjson::Value*>& values,
                            std::int64_t now_unix_seconds, rapidjson::Document::AllocatorType& allocator) {
  rapidjson::Value cell;
  if (values.empty()) return cell;
  const rapidjson::Value& first = *values.front();
  if (column_type == "string") {
    std::string joined;
    for (std::size_t i = 0; i < values.size(); ++i) joined += (i ? "," : "") + jsonpath_text(*values[i]);
    cell.SetString(joined.c_str(), static_cast<rapidjson::SizeType>(joined.size()), allocator);
  } else if (column_type == "integer") {
    if (first.IsInt64()) cell.SetInt64(first.GetInt64());
    else if (first.IsUint64()) cell.SetUint64(first.GetUint64());
    else if (first.IsNumber() && std::isfinite(first.GetDouble()))
      cell.SetInt64(static_cast<std::int64_t>(first.GetDouble()));
  } else if (column_type == "number") {
    if (first.IsNumber()) cell.CopyFrom(first, allocator);
  } else if (column_type == "boolean") {
    if (first.IsBool()) cell.SetBool(first.GetBool());
  } else if (column_type == "date") {
    if (first.IsString()) {
      std::optional<std::int64_t> at = parse_rfc3339({first.GetString(), first.GetStringLength()});
      std::string age = at ? human_duration(now_unix_seconds - *at) : "<invalid>";
      cell.SetString(age.c_str(), static_cast<rapidjson::SizeType>(age.size()), allocator);
    }
  }
  return cell;
}

}  // namespace switchyard::devcluster::objects
