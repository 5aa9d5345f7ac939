#include "audit_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api_types.h"

namespace switchyard::devcluster {

namespace {

bool query_true(const std::multimap<std::string, std::string>& query, const std::string& name) {
  auto found = query.find(name);
  return found != query.end() && parse_go_bool(found->second).value_or(false);
}

}  // namespace

std::string rbac_verb(const std::string& method, const std::string& path,
                      const std::multimap<std::string, std::string>& query) {
  auto resource = parse_resource_path(path);
  if (!resource) return "";
  bool collection = resource->name.empty();
  if (method == "GET") {
    if (resource->legacy_watch || query_true(query, "watch")) return "watch";
    return collection ? "list" : "get";
  }
  if (method == "POST") return "create";
  if (method == "PUT") return "update";
  if (method == "PATCH") return "patch";
  if (method == "DELETE") return collection ? "deletecollection" : "delete";
  return "";
}

AuditLog::~AuditLog() {
  if (file_ != nullptr) std::fclose(file_);
}

bool AuditLog::open(const std::string& path, std::string& error) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ != nullptr) std::fclose(file_);
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    error = "audit log " + path + ": cannot open for appending";
    return false;
  }
  return true;
}

void AuditLog::record(const std::string& method, const std::string& path,
                      const std::multimap<std::string, std::string>& query, const std::string& user_agent) {
  std::string verb = rbac_verb(method, path, query);
  if (verb.empty()) return;
  auto resource = parse_resource_path(path);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto field = [&](const char* name, const std::string& value) {
    writer.Key(name);
    writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
  };
  writer.StartObject();
  field("verb", verb);
  field("group", resource->group);
  field("version", resource->version);
  field("resource", resource->resource);
  field("subresource", resource->subresource);
  field("namespace", resource->namespace_name);
  field("name", resource->name);
  field("userAgent", user_agent);
  writer.EndObject();
  std::lock_guard<std::mutex> lock(mutex_);
  if (file_ == nullptr) return;
  std::fputs(buffer.GetString(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

}  // namespace switchyard::devcluster
