#include "switchyard/devcluster/objects/json_document.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::devcluster::objects {

std::optional<std::string> parse_json(std::string_view text, rapidjson::Document& out) {
  out.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      text.data(), text.size());
  if (out.HasParseError()) {
    std::string reason = "invalid JSON at offset " + std::to_string(out.GetErrorOffset()) +
                         ": " + rapidjson::GetParseError_En(out.GetParseError());
    out.SetNull();
    return reason;
  }
  if (json_depth(out) > kMaxJsonDepth) {
    out.SetNull();
    return "JSON nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
  }
  return std::nullopt;
}

std::size_t json_depth(const rapidjson::Value& value) {
  std::size_t deepest = 0;
  std::vector<std::pair<const rapidjson::Value*, std::size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (node->IsObject()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& member : node->GetObject()) pending.emplace_back(&member.value, depth + 1);
    } else if (node->IsArray()) {
      deepest = std::max(deepest, depth + 1);
      for (const auto& item : node->GetArray()) pending.emplace_back(&item, depth + 1);
    }
  }
  return deepest;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string_view json_type_name(const rapidjson::Value& value) {
  if (value.IsNull()) return "null";
  if (value.IsBool()) return "boolean";
  if (value.IsString()) return "string";
  if (value.IsObject()) return "object";
  if (value.IsArray()) return "array";
  if (value.IsInt64() || value.IsUint64()) return "integer";
  return "number";
}

std::string go_float(double value) {
  if (value == 0) return std::signbit(value) ? "-0" : "0";
  // Shortest round-trip digits, then strconv's 'g' layout rule for them.
  char digits_buffer[64];
  auto [end, ec] = std::to_chars(digits_buffer, digits_buffer + sizeof digits_buffer, value,
                                 std::chars_format::scientific);
  std::string scientific(digits_buffer, end);  // e.g. "-1.5e+06"
  bool negative = scientific[0] == '-';
  std::size_t e_at = scientific.find('e');
  std::string mantissa = scientific.substr(negative ? 1 : 0, e_at - (negative ? 1 : 0));
  int exponent = std::stoi(scientific.substr(e_at + 1));
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  // With the shortest precision strconv switches to exponent form below 1e-4
  // and from 1e+06 on, which is why limits print as "1e+06" in API errors.
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 6) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_text[16];
    std::snprintf(exp_text, sizeof exp_text, "e%c%02d", exponent < 0 ? '-' : '+',
                  exponent < 0 ? -exponent : exponent);
    out += exp_text;
  } else if (exponent < 0) {
    out += "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<std::size_t>(exponent) + 1 >= digits.size()) {
    out += digits + std::string(static_cast<std::size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<std::size_t>(exponent) + 1) + "." +
           digits.substr(static_cast<std::size_t>(exponent) + 1);
  }
  return out;
}

std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::vector<std::pair<std::string_view, const rapidjson::Value*>> sorted_members(
    const rapidjson::Value& object) {
  std::vector<std::pair<std::string_view, const rapidjson::Value*>> members;
  for (const auto& member : object.GetObject())
    members.emplace_back(std::string_view(member.name.GetString(), member.name.GetStringLength()),
                         &member.value);
  std::sort(members.begin(), members.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return members;
}

namespace {

// Go's %#v of an unstructured value nested inside a map or slice.
void append_go_syntax(const rapidjson::Value& value, std::string& out) {
  if (value.IsObject()) {
    const auto members = sorted_members(value);
    out += "map[string]interface {}{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ", ";
      out += go_quote(members[i].first) + ":";
      append_go_syntax(*members[i].second, out);
    }
    out += "}";
  } else if (value.IsArray()) {
    out += "[]interface {}{";
    bool first = true;
    for (const auto& item : value.GetArray()) {
      if (!first) out += ", ";
      first = false;
      append_go_syntax(item, out);
    }
    out += "}";
  } else if (value.IsNull()) {
    out += "interface {}(nil)";
  } else {
    out += go_value(value);
  }
}

}  // namespace

std::string go_value(const rapidjson::Value& value) {
  if (value.IsNull()) return "\"null\"";
  if (value.IsString()) return go_quote({value.GetString(), value.GetStringLength()});
  if (value.IsBool()) return value.GetBool() ? "true" : "false";
  if (value.IsInt64()) return std::to_string(value.GetInt64());
  if (value.IsUint64()) return std::to_string(value.GetUint64());
  if (value.IsNumber()) return go_float(value.GetDouble());
  std::string out;
  append_go_syntax(value, out);
  return out;
}

std::string canonical_json(const rapidjson::Value& value) {
  if (value.IsObject()) {
    const auto members = sorted_members(value);
    std::string out = "{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      rapidjson::Value key(rapidjson::StringRef(members[i].first.data(), members[i].first.size()));
      out += (i ? "," : "") + to_json(key) + ":" + canonical_json(*members[i].second);
    }
    return out + "}";
  }
  if (value.IsArray()) {
    std::string out = "[";
    bool first = true;
    for (const auto& item : value.GetArray()) {
      out += (first ? "" : ",") + canonical_json(item);
      first = false;
    }
    return out + "]";
  }
  if (value.IsDouble() && std::isfinite(value.GetDouble()) && value.GetDouble() == std::trunc(value.GetDouble()) &&
      std::fabs(value.GetDouble()) < 9.2e18)
    return std::to_string(static_cast<long long>(value.GetDouble()));
  return to_json(value);
}

const rapidjson::Value* find_member(const rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(
      rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

rapidjson::Value* find_member(rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(
      rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::optional<std::string_view> string_member(const rapidjson::Value& object,
                                              std::string_view name) {
  const rapidjson::Value* member = find_member(object, name);
  if (member == nullptr || !member->IsString()) return std::nullopt;
  return std::string_view(member->GetString(), member->GetStringLength());
}

void set_member(rapidjson::Value& object, std::string_view name, rapidjson::Value&& value,
                rapidjson::Document::AllocatorType& allocator) {
  if (rapidjson::Value* existing = find_member(object, name)) {
    *existing = std::move(value);
    return;
  }
  rapidjson::Value key(name.data(), static_cast<rapidjson::SizeType>(name.size()), allocator);
  object.AddMember(key, value, allocator);
}

bool remove_member(rapidjson::Value& object, std::string_view name) {
  if (!object.IsObject()) return false;
  auto it = object.FindMember(
      rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
  if (it == object.MemberEnd()) return false;
  // EraseMember keeps the remaining members in order (RemoveMember would
  // move the last one into the hole), and order is what clients see.
  object.EraseMember(it);
  return true;
}

}  // namespace switchyard::devcluster::objects
