#include "openapi.h"

#include <algorithm>
#include <functional>

#include "accept_header.h"
#include "json_util.h"

namespace switchyard::devcluster {

namespace {

using Allocator = rapidjson::Document::AllocatorType;

rapidjson::Value text(const std::string& value, Allocator& allocator) {
  return rapidjson::Value(value.c_str(), static_cast<rapidjson::SizeType>(value.size()), allocator);
}

std::string gv_path_of(const ResourceType& type) {
  return type.group.empty() ? "api/" + type.version : "apis/" + type.group + "/" + type.version;
}

// "switchyard.io" -> "io.switchyard": how Kubernetes names definitions.
std::string reversed_group(const std::string& group) {
  if (group.empty()) return "io.k8s.api.core";
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= group.size()) {
    std::size_t dot = group.find('.', start);
    if (dot == std::string::npos) dot = group.size();
    parts.push_back(group.substr(start, dot - start));
    start = dot + 1;
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += (out.empty() ? "" : ".") + *it;
  return out;
}

std::string schema_name(const ResourceType& type) {
  return reversed_group(type.group) + "." + type.version + "." + type.kind;
}

rapidjson::Value gvk(const ResourceType& type, Allocator& allocator) {
  rapidjson::Value value(rapidjson::kObjectType);
  value.AddMember("group", text(type.group, allocator), allocator);
  value.AddMember("kind", text(type.kind, allocator), allocator);
  value.AddMember("version", text(type.version, allocator), allocator);
  return value;
}

rapidjson::Value query_parameter(const char* name, const char* description, const char* type_name,
                                 Allocator& allocator) {
  rapidjson::Value parameter(rapidjson::kObjectType);
  parameter.AddMember("name", rapidjson::StringRef(name), allocator);
  parameter.AddMember("in", "query", allocator);
  parameter.AddMember("description", rapidjson::StringRef(description), allocator);
  parameter.AddMember("schema", rapidjson::Value(rapidjson::kObjectType).AddMember("type", rapidjson::StringRef(type_name), allocator), allocator);
  parameter.AddMember("uniqueItems", true, allocator);
  return parameter;
}

rapidjson::Value ref_content(const std::string& ref, const std::vector<std::string>& media_types, Allocator& allocator) {
  rapidjson::Value content(rapidjson::kObjectType);
  for (const auto& media : media_types) {
    rapidjson::Value schema(rapidjson::kObjectType);
    schema.AddMember("$ref", text("#/components/schemas/" + ref, allocator), allocator);
    rapidjson::Value entry(rapidjson::kObjectType);
    entry.AddMember("schema", schema, allocator);
    content.AddMember(text(media, allocator), entry, allocator);
  }
  return content;
}

rapidjson::Value operation(const ResourceType& type, const std::string& action, const std::string& id,
                           const std::string& response_ref, Allocator& allocator) {
  rapidjson::Value op(rapidjson::kObjectType);
  op.AddMember("operationId", text(id, allocator), allocator);
  rapidjson::Value parameters(rapidjson::kArrayType);
  if (action == "patch" || action == "post" || action == "put") {
    parameters.PushBack(query_parameter("dryRun", "When present, indicates that modifications should not be persisted.",
                                        "string", allocator),
                        allocator);
    parameters.PushBack(query_parameter("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes.",
                                        "string", allocator),
                        allocator);
    parameters.PushBack(query_parameter("fieldValidation",
                                        "fieldValidation instructs the server on how to handle objects in the request "
                                        "containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.",
                                        "string", allocator),
                        allocator);
  }
  if (action == "patch") {
    parameters.PushBack(query_parameter("force", "Force is going to \"force\" Apply requests.", "boolean", allocator),
                        allocator);
    std::vector<std::string> media = {"application/json-patch+json", "application/merge-patch+json",
                                      "application/apply-patch+yaml"};
    rapidjson::Value body(rapidjson::kObjectType);
    rapidjson::Value content(rapidjson::kObjectType);
    for (const auto& m : media) {
      rapidjson::Value schema(rapidjson::kObjectType);
      schema.AddMember("$ref", "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch", allocator);
      rapidjson::Value entry(rapidjson::kObjectType);
      entry.AddMember("schema", schema, allocator);
      content.AddMember(text(m, allocator), entry, allocator);
    }
    body.AddMember("content", content, allocator);
    body.AddMember("required", true, allocator);
    op.AddMember("requestBody", body, allocator);
  } else if (action == "post" || action == "put") {
    rapidjson::Value body(rapidjson::kObjectType);
    body.AddMember("content", ref_content(schema_name(type), {"*/*"}, allocator), allocator);
    body.AddMember("required", true, allocator);
    op.AddMember("requestBody", body, allocator);
  }
  op.AddMember("parameters", parameters, allocator);
  rapidjson::Value responses(rapidjson::kObjectType);
  rapidjson::Value ok(rapidjson::kObjectType);
  ok.AddMember("description", "OK", allocator);
  ok.AddMember("content", ref_content(response_ref, {"application/json", "application/yaml"}, allocator), allocator);
  responses.AddMember(action == "post" ? "201" : "200", ok, allocator);
  op.AddMember("responses", responses, allocator);
  op.AddMember("x-kubernetes-action", text(action, allocator), allocator);
  op.AddMember("x-kubernetes-group-version-kind", gvk(type, allocator), allocator);
  return op;
}

void add_paths(const ResourceType& type, rapidjson::Value& paths, Allocator& allocator) {
  std::string base = "/" + gv_path_of(type) + (type.namespaced ? "/namespaces/{namespace}/" : "/") + type.resource;
  std::string id_suffix = type.kind;
  std::string scope = type.namespaced ? "Namespaced" : "";
  std::string list_ref = schema_name(type) + "List";
  std::string object_ref = schema_name(type);

  rapidjson::Value collection(rapidjson::kObjectType);
  collection.AddMember("get", operation(type, "list", "list" + scope + id_suffix, list_ref, allocator), allocator);
  collection.AddMember("post", operation(type, "post", "create" + scope + id_suffix, object_ref, allocator), allocator);
  paths.AddMember(text(base, allocator), collection, allocator);

  rapidjson::Value item(rapidjson::kObjectType);
  item.AddMember("get", operation(type, "get", "read" + scope + id_suffix, object_ref, allocator), allocator);
  item.AddMember("put", operation(type, "put", "replace" + scope + id_suffix, object_ref, allocator), allocator);
  item.AddMember("patch", operation(type, "patch", "patch" + scope + id_suffix, object_ref, allocator), allocator);
  item.AddMember("delete", operation(type, "delete", "delete" + scope + id_suffix, object_ref, allocator), allocator);
  paths.AddMember(text(base + "/{name}", allocator), item, allocator);

  if (type.has_status) {
    rapidjson::Value status(rapidjson::kObjectType);
    status.AddMember("get", operation(type, "get", "read" + scope + id_suffix + "Status", object_ref, allocator), allocator);
    status.AddMember("put", operation(type, "put", "replace" + scope + id_suffix + "Status", object_ref, allocator), allocator);
    status.AddMember("patch", operation(type, "patch", "patch" + scope + id_suffix + "Status", object_ref, allocator), allocator);
    paths.AddMember(text(base + "/{name}/status", allocator), status, allocator);
  }
}

rapidjson::Value gvk_list(const ResourceType& type, const std::string& kind, Allocator& allocator) {
  rapidjson::Value list(rapidjson::kArrayType);
  rapidjson::Value entry = gvk(type, allocator);
  entry["kind"] = text(kind, allocator);
  list.PushBack(entry, allocator);
  return list;
}

void add_schemas(const ResourceType& type, rapidjson::Value& schemas, Allocator& allocator) {
  rapidjson::Value object(rapidjson::kObjectType);
  if (type.schema) {
    object.CopyFrom(*type.schema, allocator);
  } else {
    // Built-ins carry no field schema here: any field is accepted and
    // kubectl falls back to its compiled-in types for strategic merge.
    object.AddMember("description", text(type.kind + " (" + type.api_version() + ")", allocator), allocator);
    object.AddMember("type", "object", allocator);
    object.AddMember("x-kubernetes-preserve-unknown-fields", true, allocator);
  }
  set_member(object, "x-kubernetes-group-version-kind", gvk_list(type, type.kind, allocator), allocator);
  schemas.AddMember(text(schema_name(type), allocator), object, allocator);

  rapidjson::Value list(rapidjson::kObjectType);
  list.AddMember("description", text(type.list_kind + " is a list of " + type.kind, allocator), allocator);
  list.AddMember("type", "object", allocator);
  rapidjson::Value properties(rapidjson::kObjectType);
  rapidjson::Value items(rapidjson::kObjectType);
  items.AddMember("type", "array", allocator);
  rapidjson::Value item_ref(rapidjson::kObjectType);
  item_ref.AddMember("$ref", text("#/components/schemas/" + schema_name(type), allocator), allocator);
  items.AddMember("items", item_ref, allocator);
  properties.AddMember("items", items, allocator);
  list.AddMember("properties", properties, allocator);
  list.AddMember("x-kubernetes-group-version-kind", gvk_list(type, type.list_kind, allocator), allocator);
  schemas.AddMember(text(schema_name(type) + "List", allocator), list, allocator);
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

}  // namespace

std::optional<std::string> openapi_document_json(const ResourceTypes& types, const std::string& gv_path_with_query) {
  std::string gv_path = gv_path_with_query.substr(0, gv_path_with_query.find('?'));
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& allocator = doc.GetAllocator();
  rapidjson::Value paths(rapidjson::kObjectType);
  rapidjson::Value schemas(rapidjson::kObjectType);
  bool any = false;
  for (const auto& type : types.all()) {
    if (gv_path_of(type) != gv_path) continue;
    any = true;
    add_paths(type, paths, allocator);
    add_schemas(type, schemas, allocator);
  }
  if (!any) return std::nullopt;
  rapidjson::Value patch_schema(rapidjson::kObjectType);
  patch_schema.AddMember("description", "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.", allocator);
  patch_schema.AddMember("type", "object", allocator);
  schemas.AddMember("io.k8s.apimachinery.pkg.apis.meta.v1.Patch", patch_schema, allocator);
  doc.AddMember("openapi", "3.0.0", allocator);
  rapidjson::Value info(rapidjson::kObjectType);
  info.AddMember("title", "Kubernetes", allocator);
  info.AddMember("version", "v1.32.0", allocator);
  doc.AddMember("info", info, allocator);
  doc.AddMember("paths", paths, allocator);
  rapidjson::Value components(rapidjson::kObjectType);
  components.AddMember("schemas", schemas, allocator);
  doc.AddMember("components", components, allocator);
  return to_json(doc);
}

std::string openapi_index_json(const ResourceTypes& types) {
  std::vector<std::string> gv_paths;
  for (const auto& type : types.all()) {
    std::string path = gv_path_of(type);
    if (std::find(gv_paths.begin(), gv_paths.end(), path) == gv_paths.end()) gv_paths.push_back(path);
  }
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& allocator = doc.GetAllocator();
  rapidjson::Value paths(rapidjson::kObjectType);
  for (const auto& path : gv_paths) {
    // The hash changes whenever the document does, so clients' caches keyed on it stay right.
    auto document = openapi_document_json(types, path);
    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llX", static_cast<unsigned long long>(fnv1a(document.value_or(""))));
    rapidjson::Value entry(rapidjson::kObjectType);
    entry.AddMember("serverRelativeURL", text("/openapi/v3/" + path + "?hash=" + hash, allocator), allocator);
    paths.AddMember(text(path, allocator), entry, allocator);
  }
  doc.AddMember("paths", paths, allocator);
  return to_json(doc);
}

OpenApiV2 openapi_v2_document(const std::string& accept) {
  static const std::string kJson =
      R"({"swagger":"2.0","info":{"title":"Kubernetes","version":"v1.32.0-switchyard"},"paths":{},"definitions":{}})";
  // The same in gnostic's openapi_v2.Document: swagger (1) "2.0", info (2)
  // with title (1) and version (2).
  static const std::string kProtobuf = std::string("\x0a\x03" "2.0" "\x12\x20" "\x0a\x0a" "Kubernetes" "\x12\x12") +
                                       "v1.32.0-switchyard";
  // Asked for with '@', which Go's mime parser refuses in a Content-Type, so
  // answered (and also accepted) with '.' instead.
  static const char* const kProtobufTypes[] = {"com.github.proto-openapi.spec.v2@v1.0+protobuf",
                                               "com.github.proto-openapi.spec.v2.v1.0+protobuf"};
  for (const AcceptClause& clause : parse_accept(accept)) {
    if (clause.admits("application", "json")) return {200, kJson, "application/json"};
    for (const char* type : kProtobufTypes) {
      if (clause.admits("application", type)) {
        return {200, kProtobuf, std::string("application/") + kProtobufTypes[1]};
      }
    }
  }
  return {406, "", ""};
}

}  // namespace switchyard::devcluster
