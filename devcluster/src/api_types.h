// A request as the HTTP layer hands it to the API (already authenticated,
// body already parsed) and the answer the API gives back.
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace switchyard::devcluster {

struct ApiRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;
  std::map<std::string, std::string> query;
  std::string content_type;  // media type only, lower case, no parameters
  std::string accept;        // the Accept header as sent
  std::string if_none_match;  // the If-None-Match header as sent
  // The body parsed as JSON (or YAML for apply patches and YAML bodies);
  // null when the request had none.
  std::unique_ptr<rapidjson::Document> body;

  [[nodiscard]] std::optional<std::string> param(const std::string& name) const {
    auto found = query.find(name);
    if (found == query.end()) return std::nullopt;
    return found->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";  // empty: no body at all (a 304)
  std::vector<std::pair<std::string, std::string>> headers{};  // more response headers
};

// Where a resource request points: /api/v1/namespaces/ns/services/name/status
struct ResourcePath {
  std::string group;
  std::string version;
  std::string namespace_name;  // "" when not namespaced or across namespaces
  std::string resource;
  std::string name;         // "" for collections
  std::string subresource;  // "" or "status"
  bool legacy_watch = false;  // /api/v1/watch/...
};

// Parses /api/... and /apis/... resource paths; nullopt for anything else
// (discovery documents included).
[[nodiscard]] std::optional<ResourcePath> parse_resource_path(const std::string& path);

// Go's strconv.ParseBool, which is how Kubernetes reads query booleans.
[[nodiscard]] std::optional<bool> parse_go_bool(const std::string& text);

}  // namespace switchyard::devcluster
