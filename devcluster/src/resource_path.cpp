#include "api_types.h"

#include <sstream>

namespace switchyard::devcluster {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream stream(path);
  while (std::getline(stream, part, '/')) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

}  // namespace

std::optional<ResourcePath> parse_resource_path(const std::string& path) {
  std::vector<std::string> parts = split_path(path);
  ResourcePath out;
  std::size_t next = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    out.version = parts[1];
    next = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    out.group = parts[1];
    out.version = parts[2];
    next = 3;
  } else {
    return std::nullopt;
  }
  if (next < parts.size() && parts[next] == "watch") {
    out.legacy_watch = true;
    ++next;
  }
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(next), parts.end());
  if (rest.empty()) return std::nullopt;
  // namespaces/{ns}/{resource}... except the Namespace object itself
  // (namespaces/{name} and namespaces/{name}/status|finalize).
  if (rest[0] == "namespaces" && rest.size() >= 3 && !(rest.size() == 3 && (rest[2] == "status" || rest[2] == "finalize"))) {
    out.namespace_name = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.size() > 3) return std::nullopt;
  out.resource = rest[0];
  if (rest.size() >= 2) out.name = rest[1];
  if (rest.size() == 3) out.subresource = rest[2];
  return out;
}

std::optional<bool> parse_go_bool(const std::string& text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" || text == "True") return true;
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" || text == "False") return false;
  return std::nullopt;
}

}  // namespace switchyard::devcluster
