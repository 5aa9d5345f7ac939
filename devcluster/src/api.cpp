#include "api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <ctime>

#include "discovery.h"
#include "json_util.h"
#include "object_patch.h"
#include "object_rules.h"
#include "custom_validation.h"
#include "object_filter.h"
#include "openapi.h"
#include "table.h"

namespace switchyard::devcluster {

namespace {

std::string system_clock_now() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

ApiResponse error_response(const ApiError& error) { return ApiResponse{error.code, status_json(error), "application/json"}; }

ApiError resource_not_found() {
  return ApiError{404, "NotFound", "the server could not find the requested resource", "", "", "", {}};
}

const ResourceType* namespaces_type(const ResourceTypes& types) { return types.find("", "v1", "namespaces"); }

}  // namespace

bool is_dry_run(const ApiRequest& request) {
  auto dry = request.param("dryRun");
  return dry && *dry == "All";
}

Api::Api(Options options)
    : options_(std::move(options)),
      store_(options_.event_window, options_.watcher_queue_limit),
      random_(options_.seed != 0 ? options_.seed : std::random_device{}()) {
  if (!options_.clock) options_.clock = system_clock_now;
  const ResourceType& ns_type = *namespaces_type(types_);
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    auto object = std::make_unique<rapidjson::Document>();
    object->SetObject();
    set_string(*object, "apiVersion", "v1", object->GetAllocator());
    set_string(*object, "kind", "Namespace", object->GetAllocator());
    set_string(object_member(*object, "metadata", object->GetAllocator()), "name", name, object->GetAllocator());
    prepare_create(ns_type, ObjectIdentity{new_uid(), options_.clock()}, *object);
    store_.put(ns_type.storage_key(), "", name, std::move(object));
  }
}

std::string Api::new_uid() {
  std::uint64_t high = random_();
  std::uint64_t low = random_();
  char text[40];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xffff), static_cast<unsigned>(high & 0xfff),
                static_cast<unsigned>(0x8000 | (low >> 48 & 0x3fff)),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return text;
}

bool Api::is_watch(const ApiRequest& request) {
  if (request.method != "GET") return false;
  auto path = parse_resource_path(request.path);
  if (!path) return false;
  if (path->legacy_watch) return true;
  auto watch = request.param("watch");
  return watch && parse_go_bool(*watch).value_or(false);
}

ApiResponse Api::handle(const ApiRequest& request) {
  const std::string& p = request.path;
  bool get = request.method == "GET";
  if (get && (p == "/version" || p == "/version/")) return {200, version_json()};
  bool api_root = p == "/api" || p == "/api/";
  if (get && (api_root || p == "/apis" || p == "/apis/")) {
    DiscoveryFormat format = negotiate_discovery(request.accept);
    if (format == DiscoveryFormat::kUnaggregated) {
      return {200, api_root ? api_versions_json() : api_group_list_json(types_)};
    }
    return aggregated_discovery(request, api_root, format);
  }
  if (get && p == "/openapi/v2") {
    OpenApiV2 document = openapi_v2_document(request.accept);
    if (document.status == 200) return {200, std::move(document.body), std::move(document.content_type)};
    return error_response(ApiError{406, "NotAcceptable",
                                   "only application/json and application/com.github.proto-openapi.spec.v2@v1.0+protobuf "
                                   "are served at /openapi/v2",
                                   "", "", "", {}});
  }
  if (get && (p == "/openapi/v3" || p == "/openapi/v3/")) return {200, openapi_index_json(types_)};
  if (get && p.rfind("/openapi/v3/", 0) == 0) {
    if (auto document = openapi_document_json(types_, p.substr(std::string("/openapi/v3/").size()))) {
      return {200, *document};
    }
    return error_response(resource_not_found());
  }
  if (get && (p == "/healthz" || p == "/readyz" || p == "/livez")) return {200, "ok", "text/plain"};
  // /api/v1 and /apis/<group>[/<version>]: discovery, not resources.
  {
    std::vector<std::string> parts;
    std::size_t start = 1;
    while (start <= p.size()) {
      std::size_t end = p.find('/', start);
      if (end == std::string::npos) end = p.size();
      if (end > start) parts.push_back(p.substr(start, end - start));
      start = end + 1;
    }
    if (get && parts.size() == 2 && parts[0] == "api") {
      if (auto list = resource_list_json(types_, "", parts[1])) return {200, *list};
      return error_response(resource_not_found());
    }
    if (get && parts.size() == 2 && parts[0] == "apis") {
      if (auto group = api_group_json(types_, parts[1])) return {200, *group};
      return error_response(resource_not_found());
    }
    if (get && parts.size() == 3 && parts[0] == "apis") {
      if (auto list = resource_list_json(types_, parts[1], parts[2])) return {200, *list};
      return error_response(resource_not_found());
    }
  }
  auto path = parse_resource_path(p);
  if (!path) return error_response(resource_not_found());
  return handle_resource(request, *path);
}

ApiResponse Api::aggregated_discovery(const ApiRequest& request, bool core, DiscoveryFormat format) const {
  // As k8s.io/apiserver's ServeHTTPWithETag: the ETag of the v2 document for
  // either version, a 304 when the client holds it, and Vary: Accept since
  // the answer depends on it, which tells HTTP caches not to hand one client
  // the format another negotiated.
  std::string v2 = aggregated_discovery_json(types_, core, DiscoveryFormat::kAggregatedV2);
  std::string etag = aggregated_discovery_etag(v2);
  ApiResponse response{200, "", aggregated_discovery_content_type(format),
                       {{"ETag", etag}, {"Vary", "Accept"}, {"Cache-Control", "public"}}};
  if (request.if_none_match == etag) {
    response.status = 304;
    response.content_type.clear();
  } else {
    response.body = format == DiscoveryFormat::kAggregatedV2 ? std::move(v2)
                                                             : aggregated_discovery_json(types_, core, format);
  }
  return response;
}

ApiResponse Api::handle_resource(const ApiRequest& request, const ResourcePath& path) {
  const ResourceType* found = types_.find(path.group, path.version, path.resource);
  if (found == nullptr) return error_response(resource_not_found());
  // Copy: a CRD write below may change the registry this points into.
  const ResourceType type = *found;
  if (!path.subresource.empty() && !(path.subresource == "status" && type.has_status)) {
    return error_response(resource_not_found());
  }
  if (!type.namespaced && !path.namespace_name.empty()) return error_response(resource_not_found());
  const std::string& method = request.method;
  if (path.name.empty()) {
    if (method == "GET") return list_objects(request, type, path);
    if (method == "POST") {
      if (type.namespaced && path.namespace_name.empty()) return error_response(resource_not_found());
      return create_object(request, type, path);
    }
    if (method == "DELETE") return delete_collection(request, type, path);
    return error_response(method_not_allowed("the server does not allow this method on the requested resource"));
  }
  if (type.namespaced && path.namespace_name.empty()) return error_response(resource_not_found());
  if (method == "GET") return get_object(request, type, path);
  if (method == "PUT") return update_object(request, type, path);
  if (method == "PATCH") return patch_object(request, type, path);
  if (method == "DELETE" && path.subresource.empty()) return delete_object(request, type, path);
  return error_response(method_not_allowed("the server does not allow this method on the requested resource"));
}

std::string Api::object_response(const ApiRequest& request, const ResourceType& type, const ObjectPtr& stored) const {
  ObjectPtr object = served_as(type, stored);
  if (wants_table(request.accept)) {
    TableOptions options;
    options.include_object = request.param("includeObject").value_or("");
    options.resource_version = metadata_string(*object, "resourceVersion");
    options.now = options_.clock();
    return table_json(type, {object}, options);
  }
  return to_json(*object);
}

ApiResponse Api::get_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  ObjectPtr object = store_.get(type.storage_key(), path.namespace_name, path.name);
  if (!object) return error_response(not_found(type.qualified(), type.group, type.resource, path.name));
  return {200, object_response(request, type, object)};
}

std::optional<ApiError> Api::check_namespace(const ResourceType& type, const std::string& ns) const {
  if (!type.namespaced) return std::nullopt;
  const ResourceType& ns_type = *namespaces_type(types_);
  ObjectPtr found = store_.get(ns_type.storage_key(), "", ns);
  if (!found) return not_found("namespaces", "", "namespaces", ns);
  if (!metadata_string(*found, "deletionTimestamp").empty()) {
    return ApiError{403, "Forbidden",
                    type.qualified() + " is forbidden: unable to create new content in namespace " + ns +
                        " because it is being terminated",
                    "", type.group, type.resource, {}};
  }
  return std::nullopt;
}

ApiResponse Api::list_objects(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  std::shared_ptr<const ObjectFilter> filter;
  if (auto error = make_object_filter(request, type, filter)) return error_response(*error);
  std::vector<ObjectPtr> all = store_.list(type.storage_key(), path.namespace_name);
  std::vector<ObjectPtr> items;
  items.reserve(all.size());
  // continue: "<resourceVersion>:<namespace>/<name>": the snapshot the first
  // page showed and the last item sent (clients treat it as opaque). Later
  // pages are only served while that snapshot still holds, that is while
  // nothing of this resource was written since; otherwise 410 Expired, as a
  // real server answers a continue token whose snapshot was compacted, and
  // the client lists again from the start.
  std::string rv = std::to_string(store_.resource_version());
  std::string after;
  if (auto token = request.param("continue"); token && !token->empty()) {
    auto colon = token->find(':');
    auto snapshot = colon == std::string::npos ? std::nullopt : parse_resource_version(token->substr(0, colon));
    if (!snapshot) return error_response(bad_request("continue: invalid value \"" + *token + "\""));
    if (*snapshot < store_.oldest_watchable() || store_.last_write(type.storage_key()) > *snapshot) {
      return error_response(expired(
          "The provided continue parameter is too old to display a consistent list result. You can start a new "
          "list without the continue parameter."));
    }
    after = token->substr(colon + 1);
    rv = std::to_string(*snapshot);
  }
  std::size_t limit = 0;
  if (auto text = request.param("limit")) {
    auto parsed = parse_resource_version(*text);
    if (!parsed && !text->empty()) return error_response(bad_request("limit: invalid value \"" + *text + "\""));
    limit = parsed.value_or(0);
  }
  std::string continue_token;
  std::size_t remaining = 0;
  for (const ObjectPtr& object : all) {
    std::string id = metadata_string(*object, "namespace") + "/" + metadata_string(*object, "name");
    if (!after.empty() && id <= after) continue;
    if (filter && !filter->matches(*object)) continue;
    if (limit != 0 && items.size() == limit) {
      ++remaining;
      continue;
    }
    items.push_back(served_as(type, object));
  }
  if (remaining > 0 && !items.empty()) {
    continue_token =
        rv + ":" + metadata_string(*items.back(), "namespace") + "/" + metadata_string(*items.back(), "name");
  }
  if (wants_table(request.accept)) {
    TableOptions options;
    options.include_object = request.param("includeObject").value_or("");
    options.resource_version = rv;
    options.continue_token = continue_token;
    options.now = options_.clock();
    return {200, table_json(type, items, options)};
  }
  std::string body = "{\"kind\":\"" + type.list_kind + "\",\"apiVersion\":\"" + type.api_version() +
                     "\",\"metadata\":{\"resourceVersion\":\"" + rv + "\"";
  if (!continue_token.empty()) {
    body += ",\"continue\":" + to_json(rapidjson::Value(continue_token.c_str(), static_cast<rapidjson::SizeType>(continue_token.size()))) +
            ",\"remainingItemCount\":" + std::to_string(remaining);
  }
  body += "},\"items\":[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) body += ',';
    body += to_json(*items[i]);
  }
  body += "]}";
  return {200, body};
}

std::optional<ApiError> Api::validate(const ResourceType& type, rapidjson::Document& object,
                                      const ApiRequest& request) {
  const std::string name = metadata_string(object, "name");
  if (auto error = fold_secret_string_data(type, object)) return error;
  if (type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions") {
    auto causes = check_crd(object);
    if (!causes.empty()) return invalid(type.qualified_kind(), type.group, type.kind, name, std::move(causes));
  }
  if (type.custom && type.schema) {
    return validate_custom_object(type, object, request.param("fieldValidation").value_or("Strict"));
  }
  return std::nullopt;
}

void Api::set_crd_status(rapidjson::Document& crd) const {
  auto& allocator = crd.GetAllocator();
  const rapidjson::Value& spec = *member(crd, "spec");
  rapidjson::Value status(rapidjson::kObjectType);
  rapidjson::Value accepted(*member(spec, "names"), allocator);
  status.AddMember("acceptedNames", accepted, allocator);
  rapidjson::Value conditions(rapidjson::kArrayType);
  std::string now = options_.clock();
  for (const char* kind : {"NamesAccepted", "Established"}) {
    rapidjson::Value condition(rapidjson::kObjectType);
    set_string(condition, "type", kind, allocator);
    set_string(condition, "status", "True", allocator);
    set_string(condition, "lastTransitionTime", now, allocator);
    set_string(condition, "reason", std::string(kind) == "Established" ? "InitialNamesAccepted" : "NoConflicts",
               allocator);
    set_string(condition, "message",
               std::string(kind) == "Established" ? "the initial names have been accepted"
                                                  : "no conflicts found",
               allocator);
    conditions.PushBack(condition, allocator);
  }
  status.AddMember("conditions", conditions, allocator);
  rapidjson::Value stored(rapidjson::kArrayType);
  for (const auto& version : member(spec, "versions")->GetArray()) {
    const rapidjson::Value* storage = member(version, "storage");
    if (storage != nullptr && storage->IsBool() && storage->GetBool()) {
      if (auto name = string_member(version, "name")) {
        stored.PushBack(rapidjson::Value(name->data(), static_cast<rapidjson::SizeType>(name->size()), allocator),
                        allocator);
      }
    }
  }
  status.AddMember("storedVersions", stored, allocator);
  set_member(crd, "status", std::move(status), allocator);
}

void Api::after_commit(const ResourceType& type, const ObjectPtr& stored) {
  if (type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions") {
    types_.serve_crd(*stored);
  }
  if (on_change) on_change();
}

ApiResponse Api::create_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  if (!request.body) return error_response(bad_request("the request body is empty; a " + type.kind + " is required"));
  auto object = copy_document(*request.body);
  return commit_create(request, type, path, std::move(object));
}

ApiResponse Api::commit_create(const ApiRequest& request, const ResourceType& type, const ResourcePath& path,
                               std::unique_ptr<rapidjson::Document> object) {
  if (auto error = check_body_identity(type, path.namespace_name, "", *object)) return error_response(*error);
  std::string name = metadata_string(*object, "name");
  if (name.empty()) {
    std::string prefix = metadata_string(*object, "generateName");
    if (prefix.empty()) {
      return error_response(invalid(type.qualified_kind(), type.group, type.kind, "",
                                    {{"FieldValueRequired", "Required value: name or generateName is required",
                                      "metadata.name"}}));
    }
    name = generated_name(prefix, random_());
    set_string(object_member(*object, "metadata", object->GetAllocator()), "name", name, object->GetAllocator());
  }
  if (auto error = check_namespace(type, path.namespace_name)) return error_response(*error);
  if (store_.get(type.storage_key(), path.namespace_name, name)) {
    return error_response(already_exists(type.qualified(), type.group, type.resource, name));
  }
  prepare_create(type, ObjectIdentity{new_uid(), options_.clock()}, *object);
  if (auto error = validate(type, *object, request)) return error_response(*error);
  if (type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions") set_crd_status(*object);
  if (is_dry_run(request)) return {201, object_response(request, type, ObjectPtr(std::move(object)))};
  ObjectPtr stored = store_.put(type.storage_key(), path.namespace_name, name, std::move(object));
  after_commit(type, stored);
  return {201, object_response(request, type, stored)};
}

ApiResponse Api::update_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  if (!request.body) return error_response(bad_request("the request body is empty; a " + type.kind + " is required"));
  ObjectPtr existing = store_.get(type.storage_key(), path.namespace_name, path.name);
  if (!existing) return error_response(not_found(type.qualified(), type.group, type.resource, path.name));
  auto incoming = copy_document(*request.body);
  if (auto error = check_body_identity(type, path.namespace_name, path.name, *incoming)) {
    return error_response(*error);
  }
  return write_existing(request, type, path, existing, *incoming, 200);
}

ApiResponse Api::write_existing(const ApiRequest& request, const ResourceType& type, const ResourcePath& path,
                                const ObjectPtr& existing, rapidjson::Document& incoming, int success_code) {
  std::string sent_version = metadata_string(incoming, "resourceVersion");
  std::string current_version = metadata_string(*existing, "resourceVersion");
  if (sent_version.empty()) {
    if (type.custom) {
      return error_response(invalid(type.qualified_kind(), type.group, type.kind, path.name,
                                    {{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                                      "metadata.resourceVersion"}}));
    }
  } else if (sent_version != current_version) {
    return error_response(conflict(type.qualified(), type.group, type.resource, path.name));
  }
  bool status_write = path.subresource == "status";
  auto updated = merge_update(type, *existing, incoming, status_write);
  if (auto error = validate(type, *updated, request)) return error_response(*error);
  bool crd = type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions";
  if (crd && !status_write) set_crd_status(*updated);
  bool deleting = !metadata_string(*updated, "deletionTimestamp").empty();
  if (deleting && !has_finalizers(*updated)) {
    // The last finalizer is gone: the pending delete completes now.
    if (is_dry_run(request)) return {success_code, object_response(request, type, ObjectPtr(std::move(updated)))};
    remove_now(type, path.namespace_name, path.name);
    return {success_code, object_response(request, type, ObjectPtr(std::move(updated)))};
  }
  if (same_object(*existing, *updated)) return {success_code, object_response(request, type, existing)};
  if (is_dry_run(request)) return {success_code, object_response(request, type, ObjectPtr(std::move(updated)))};
  ObjectPtr stored = store_.put(type.storage_key(), path.namespace_name, path.name, std::move(updated));
  after_commit(type, stored);
  return {success_code, object_response(request, type, stored)};
}

ApiResponse Api::patch_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  if (!request.body) return error_response(bad_request("the request body is empty; a patch is required"));
  ObjectPtr existing = store_.get(type.storage_key(), path.namespace_name, path.name);
  PatchKind kind = patch_kind(request.content_type);
  if (kind == PatchKind::kUnsupported) {
    return error_response(unsupported_media_type("the body of the request was in an unknown format - accepted media "
                                                 "types include: application/json-patch+json, "
                                                 "application/merge-patch+json, application/apply-patch+yaml" +
                                                 std::string(type.custom ? "" : ", application/strategic-merge-patch+json")));
  }
  if (kind == PatchKind::kStrategicMerge && type.custom) {
    return error_response(unsupported_media_type(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"));
  }
  if (!existing) {
    if (kind != PatchKind::kApply || !path.subresource.empty()) {
      return error_response(not_found(type.qualified(), type.group, type.resource, path.name));
    }
    // Server-side apply of something new creates it.
    auto object = std::make_unique<rapidjson::Document>();
    object->SetObject();
    auto outcome = apply_patch(kind, type, request, path.subresource, options_.clock(), *object);
    if (outcome) return error_response(*outcome);
    set_string(object_member(*object, "metadata", object->GetAllocator()), "name", path.name, object->GetAllocator());
    auto response = commit_create(request, type, path, std::move(object));
    return response;
  }
  auto patched = copy_document(*existing);
  if (auto error = apply_patch(kind, type, request, path.subresource, options_.clock(), *patched)) {
    return error_response(*error);
  }
  if (auto error = check_body_identity(type, path.namespace_name, path.name, *patched)) return error_response(*error);
  return write_existing(request, type, path, existing, *patched, 200);
}

void Api::remove_now(const ResourceType& type, const std::string& ns, const std::string& name) {
  ObjectPtr removed = store_.remove(type.storage_key(), ns, name);
  if (!removed) return;
  if (type.group.empty() && type.resource == "namespaces") {
    // No namespace controller runs: take the contents down with it.
    for (const ResourceType& inner : std::vector<ResourceType>(types_.all())) {
      if (!inner.namespaced) continue;
      for (const ObjectPtr& object : store_.list(inner.storage_key(), name)) {
        store_.remove(inner.storage_key(), name, metadata_string(*object, "name"));
      }
    }
  }
  if (type.group == "apiextensions.k8s.io" && type.resource == "customresourcedefinitions") {
    const rapidjson::Value* spec = member(*removed, "spec");
    std::string group = spec ? std::string(string_member(*spec, "group").value_or("")) : "";
    const rapidjson::Value* names = spec ? member(*spec, "names") : nullptr;
    std::string plural = names ? std::string(string_member(*names, "plural").value_or("")) : "";
    std::string key = group + "/" + plural;
    for (const ObjectPtr& object : store_.list(key, "")) {
      store_.remove(key, metadata_string(*object, "namespace"), metadata_string(*object, "name"));
    }
    store_.close_watchers_of(key);
    types_.stop_crd(name);
  }
  if (on_change) on_change();
}

ApiResponse Api::delete_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  ObjectPtr existing = store_.get(type.storage_key(), path.namespace_name, path.name);
  if (!existing) return error_response(not_found(type.qualified(), type.group, type.resource, path.name));
  bool dry_run = is_dry_run(request);
  if (request.body && request.body->IsObject()) {
    const rapidjson::Value& options = *request.body;
    if (const rapidjson::Value* preconditions = member(options, "preconditions")) {
      auto rv = string_member(*preconditions, "resourceVersion");
      auto uid = string_member(*preconditions, "uid");
      if ((rv && *rv != metadata_string(*existing, "resourceVersion")) ||
          (uid && *uid != metadata_string(*existing, "uid"))) {
        return error_response(conflict(type.qualified(), type.group, type.resource, path.name));
      }
    }
    if (const rapidjson::Value* dry = member(options, "dryRun"); dry != nullptr && dry->IsArray()) {
      for (const auto& item : dry->GetArray()) dry_run = dry_run || (item.IsString() && std::string(item.GetString()) == "All");
    }
  }
  if (has_finalizers(*existing)) {
    if (!metadata_string(*existing, "deletionTimestamp").empty() || dry_run) {
      return {200, object_response(request, type, existing)};
    }
    auto marked = copy_document(*existing);
    auto& metadata = object_member(*marked, "metadata", marked->GetAllocator());
    set_string(metadata, "deletionTimestamp", options_.clock(), marked->GetAllocator());
    set_member(metadata, "deletionGracePeriodSeconds", rapidjson::Value(0), marked->GetAllocator());
    ObjectPtr stored = store_.put(type.storage_key(), path.namespace_name, path.name, std::move(marked));
    if (on_change) on_change();
    return {200, object_response(request, type, stored)};
  }
  std::string uid = metadata_string(*existing, "uid");
  if (!dry_run) remove_now(type, path.namespace_name, path.name);
  return {200, success_status_json(path.name, type.group, type.resource, uid)};
}

ApiResponse Api::delete_collection(const ApiRequest& request, const ResourceType& type, const ResourcePath& path) {
  std::shared_ptr<const ObjectFilter> filter;
  if (auto error = make_object_filter(request, type, filter)) return error_response(*error);
  std::vector<ObjectPtr> deleted;
  for (const ObjectPtr& object : store_.list(type.storage_key(), path.namespace_name)) {
    if (filter && !filter->matches(*object)) continue;
    ResourcePath item = path;
    item.name = metadata_string(*object, "name");
    item.namespace_name = metadata_string(*object, "namespace");
    ApiRequest single;
    single.method = "DELETE";
    single.query = request.query;
    ApiResponse response = delete_object(single, type, item);
    if (response.status == 200) deleted.push_back(object);
  }
  std::string body = "{\"kind\":\"" + type.list_kind + "\",\"apiVersion\":\"" + type.api_version() +
                     "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(store_.resource_version()) +
                     "\"},\"items\":[";
  for (std::size_t i = 0; i < deleted.size(); ++i) body += (i > 0 ? "," : "") + to_json(*deleted[i]);
  return {200, body + "]}"};
}

WatchStart Api::start_watch(const ApiRequest& request) {
  WatchStart start;
  auto path = parse_resource_path(request.path);
  const ResourceType* type = path ? types_.find(path->group, path->version, path->resource) : nullptr;
  if (type == nullptr || !path->subresource.empty()) {
    start.error = resource_not_found();
    return start;
  }
  start.type = *type;
  if (auto error = make_object_filter(request, *type, start.filter)) {
    start.error = *error;
    return start;
  }
  // Watching one object by name (/watch/.../name) means a metadata.name filter.
  if (!path->name.empty()) {
    start.filter = name_filter(path->name, start.filter);
  }
  std::string rv = request.param("resourceVersion").value_or("");
  auto initial_param = request.param("sendInitialEvents");
  bool send_initial = initial_param && parse_go_bool(*initial_param).value_or(false);
  std::optional<std::uint64_t> since;
  if (!rv.empty() && rv != "0") {
    since = parse_resource_version(rv);
    if (!since) {
      start.error = bad_request("resourceVersion: invalid value \"" + rv + "\"");
      return start;
    }
  }
  if (send_initial) since.reset();
  bool too_old = false;
  start.watcher = store_.watch(type->storage_key(), path->namespace_name, since, start.initial, too_old);
  if (too_old) {
    start.expired = true;
    start.expired_message = "too old resource version: " + rv + " (" + std::to_string(store_.oldest_watchable()) + ")";
    return start;
  }
  start.start_version = store_.resource_version();
  if (!since) {
    for (const ObjectPtr& object : store_.list(type->storage_key(), path->namespace_name)) {
      Event event;
      event.resource_version = parse_resource_version(metadata_string(*object, "resourceVersion")).value_or(0);
      event.type = EventType::kAdded;
      event.storage_key = type->storage_key();
      event.namespace_name = metadata_string(*object, "namespace");
      event.object = object;
      start.initial.push_back(std::move(event));
    }
    start.initial_events_end_bookmark = send_initial;
  }
  return start;
}

void Api::serve_stored_crds() {
  const ResourceType* crd_type = types_.find("apiextensions.k8s.io", "v1", "customresourcedefinitions");
  for (const ObjectPtr& crd : store_.list(crd_type->storage_key(), "")) {
    if (check_crd(*crd).empty()) types_.serve_crd(*crd);
  }
}

}  // namespace switchyard::devcluster
