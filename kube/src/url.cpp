#include "url.h"

namespace switchyard::kube::url {
namespace {

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string encode(std::string_view text, std::string_view also_allowed) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (unreserved(c) || also_allowed.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string encode_query_value(std::string_view value) { return encode(value, ""); }

// Object names are DNS labels/subdomains in practice, but ':' and '@' are
// legal in a path segment and some resources (e.g. RBAC) allow them.
std::string encode_path_segment(std::string_view segment) { return encode(segment, ":@"); }

Query& Query::add(std::string_view key, std::string_view value) {
  if (!value.empty()) pairs_.emplace_back(std::string(key), encode_query_value(value));
  return *this;
}

Query& Query::add(std::string_view key, int value) {
  if (value > 0) pairs_.emplace_back(std::string(key), std::to_string(value));
  return *this;
}

std::string Query::str() const {
  std::string out;
  for (const auto& [key, value] : pairs_) {
    out += out.empty() ? '?' : '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace switchyard::kube::url
