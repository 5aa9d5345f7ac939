#include "object_rules.h"

#include <openssl/evp.h>

#include <charconv>

#include "base64.h"
#include "json_util.h"

namespace switchyard::devcluster {

std::optional<ApiError> check_body_identity(const ResourceType& type, const std::string& url_namespace,
                                            const std::string& name_from_url, rapidjson::Document& body) {
  auto& allocator = body.GetAllocator();
  if (!body.IsObject()) return bad_request("the body of the request must be a JSON object (" + type.kind + ")");
  auto api_version = string_member(body, "apiVersion");
  auto kind = string_member(body, "kind");
  if (api_version && !api_version->empty() && *api_version != type.api_version()) {
    // Other served versions of the same group are accepted and stored as sent.
    bool same_group = type.group.empty() ? false : api_version->rfind(type.group + "/", 0) == 0;
    if (!same_group) {
      return bad_request("the API version in the data (" + std::string(*api_version) +
                         ") does not match the expected API version (" + type.api_version() + ")");
    }
  }
  if (kind && !kind->empty() && *kind != type.kind) {
    return bad_request("the kind in the data (" + std::string(*kind) + ") does not match the expected kind (" +
                       type.kind + ")");
  }
  if (!api_version || api_version->empty()) set_string(body, "apiVersion", type.api_version(), allocator);
  if (!kind || kind->empty()) set_string(body, "kind", type.kind, allocator);
  rapidjson::Value* metadata_value = member(body, "metadata");
  if (metadata_value != nullptr && !metadata_value->IsObject() && !metadata_value->IsNull()) {
    return ApiError{400, "BadRequest", type.kind + ": metadata: must be an object", "", "", "", {}};
  }
  auto& metadata = object_member(body, "metadata", allocator);
  if (type.namespaced) {
    auto ns = string_member(metadata, "namespace");
    if (ns && !ns->empty() && *ns != url_namespace) {
      return bad_request("the namespace of the provided object does not match the namespace sent on the request");
    }
    set_string(metadata, "namespace", url_namespace, allocator);
  } else {
    remove_member(metadata, "namespace");
  }
  if (!name_from_url.empty()) {
    auto name = string_member(metadata, "name");
    if (name && !name->empty() && *name != name_from_url) {
      return bad_request("the name of the object (" + std::string(*name) +
                         ") does not match the name on the URL (" + name_from_url + ")");
    }
    set_string(metadata, "name", name_from_url, allocator);
  }
  return std::nullopt;
}

namespace {

void apply_builtin_defaults(const ResourceType& type, rapidjson::Document& object, const ObjectIdentity& identity) {
  auto& allocator = object.GetAllocator();
  if (type.group.empty() && type.resource == "namespaces") {
    auto& status = object_member(object, "status", allocator);
    set_string(status, "phase", "Active", allocator);
  } else if (type.group.empty() && type.resource == "services") {
    auto& spec = object_member(object, "spec", allocator);
    if (!string_member(spec, "type")) set_string(spec, "type", "ClusterIP", allocator);
    if (!string_member(spec, "sessionAffinity")) set_string(spec, "sessionAffinity", "None", allocator);
    if (!string_member(spec, "clusterIP")) {
      // A stable address derived from the uid keeps restarts deterministic.
      unsigned hash = 0;
      for (char c : identity.uid) hash = hash * 31 + static_cast<unsigned char>(c);
      std::string ip = "10.96." + std::to_string((hash >> 8) % 256) + "." + std::to_string(hash % 254 + 1);
      set_string(spec, "clusterIP", ip, allocator);
      rapidjson::Value ips(rapidjson::kArrayType);
      ips.PushBack(rapidjson::Value(ip.c_str(), allocator), allocator);
      set_member(spec, "clusterIPs", std::move(ips), allocator);
    }
    if (rapidjson::Value* ports = member(spec, "ports"); ports != nullptr && ports->IsArray()) {
      for (auto& port : ports->GetArray()) {
        if (!port.IsObject()) continue;
        if (!member(port, "protocol")) set_string(port, "protocol", "TCP", allocator);
        const rapidjson::Value* number = member(port, "port");
        if (!member(port, "targetPort") && number != nullptr && number->IsInt()) {
          set_member(port, "targetPort", rapidjson::Value(number->GetInt()), allocator);
        }
      }
    }
    auto& status = object_member(object, "status", allocator);
    object_member(status, "loadBalancer", allocator);
  }
}

}  // namespace

void prepare_create(const ResourceType& type, const ObjectIdentity& identity, rapidjson::Document& object) {
  auto& allocator = object.GetAllocator();
  auto& metadata = object_member(object, "metadata", allocator);
  remove_member(metadata, "resourceVersion");
  remove_member(metadata, "deletionTimestamp");
  remove_member(metadata, "deletionGracePeriodSeconds");
  remove_member(metadata, "selfLink");
  set_string(metadata, "uid", identity.uid, allocator);
  set_string(metadata, "creationTimestamp", identity.creation_timestamp, allocator);
  if (type.has_generation) {
    set_member(metadata, "generation", rapidjson::Value(1), allocator);
  } else {
    remove_member(metadata, "generation");
  }
  // CRDs keep what they are created with: the server writes their status itself.
  if (type.has_status && type.resource != "customresourcedefinitions") remove_member(object, "status");
  apply_builtin_defaults(type, object, identity);
}

namespace {

bool spec_equal(const rapidjson::Value& a, const rapidjson::Value& b) {
  // Everything but metadata and status counts as spec for generation.
  auto count_members = [](const rapidjson::Value& v) {
    std::size_t n = 0;
    for (const auto& m : v.GetObject()) {
      std::string_view key(m.name.GetString(), m.name.GetStringLength());
      if (key != "metadata" && key != "status") ++n;
    }
    return n;
  };
  if (count_members(a) != count_members(b)) return false;
  for (const auto& m : a.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    if (key == "metadata" || key == "status") continue;
    const rapidjson::Value* other = member(b, key);
    if (other == nullptr || !(*other == m.value)) return false;
  }
  return true;
}

const char* const kServerOwnedMetadata[] = {"uid", "creationTimestamp", "generation", "deletionTimestamp",
                                            "deletionGracePeriodSeconds", "namespace", "name", "resourceVersion"};

}  // namespace

std::unique_ptr<rapidjson::Document> merge_update(const ResourceType& type, const rapidjson::Value& existing,
                                                  const rapidjson::Value& incoming, bool status_write) {
  std::unique_ptr<rapidjson::Document> result;
  if (status_write) {
    result = copy_document(existing);
    auto& allocator = result->GetAllocator();
    const rapidjson::Value* status = member(incoming, "status");
    if (status != nullptr) {
      set_member(*result, "status", rapidjson::Value(*status, allocator), allocator);
    } else {
      remove_member(*result, "status");
    }
    return result;
  }
  result = copy_document(incoming);
  auto& allocator = result->GetAllocator();
  auto& metadata = object_member(*result, "metadata", allocator);
  const rapidjson::Value* old_metadata = member(existing, "metadata");
  for (const char* key : kServerOwnedMetadata) {
    if (std::string_view(key) == "resourceVersion") continue;  // the caller compared it already
    remove_member(metadata, key);
    if (const rapidjson::Value* value = old_metadata ? member(*old_metadata, key) : nullptr) {
      set_member(metadata, key, rapidjson::Value(*value, allocator), allocator);
    }
  }
  if (type.has_status && type.resource != "customresourcedefinitions") {
    remove_member(*result, "status");
    if (const rapidjson::Value* status = member(existing, "status")) {
      set_member(*result, "status", rapidjson::Value(*status, allocator), allocator);
    }
  }
  if (type.has_generation && !spec_equal(existing, *result)) {
    const rapidjson::Value* generation = old_metadata ? member(*old_metadata, "generation") : nullptr;
    std::int64_t next = (generation != nullptr && generation->IsInt64() ? generation->GetInt64() : 0) + 1;
    set_member(metadata, "generation", rapidjson::Value(next), allocator);
  }
  return result;
}

bool same_object(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (!a.IsObject() || !b.IsObject() || a.MemberCount() != b.MemberCount()) return false;
  for (const auto& m : a.GetObject()) {
    std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const rapidjson::Value* other = member(b, key);
    if (other == nullptr) return false;
    if (key != "metadata") {
      if (!(*other == m.value)) return false;
      continue;
    }
    if (!m.value.IsObject() || !other->IsObject()) return m.value == *other;
    auto count = [](const rapidjson::Value& md) {
      std::size_t n = 0;
      for (const auto& f : md.GetObject()) {
        std::string_view k(f.name.GetString(), f.name.GetStringLength());
        if (k != "resourceVersion" && k != "managedFields") ++n;
      }
      return n;
    };
    if (count(m.value) != count(*other)) return false;
    for (const auto& f : m.value.GetObject()) {
      std::string_view k(f.name.GetString(), f.name.GetStringLength());
      if (k == "resourceVersion" || k == "managedFields") continue;
      const rapidjson::Value* o = member(*other, k);
      if (o == nullptr || !(*o == f.value)) return false;
    }
  }
  return true;
}

std::shared_ptr<const rapidjson::Document> served_as(const ResourceType& type,
                                                     std::shared_ptr<const rapidjson::Document> object) {
  auto api_version = string_member(*object, "apiVersion");
  if (!type.custom || (api_version && *api_version == type.api_version())) return object;
  auto converted = copy_document(*object);
  set_string(*converted, "apiVersion", type.api_version(), converted->GetAllocator());
  return converted;
}

std::optional<ApiError> fold_secret_string_data(const ResourceType& type, rapidjson::Document& object) {
  if (!type.group.empty() || type.resource != "secrets") return std::nullopt;
  auto& allocator = object.GetAllocator();
  auto type_field = string_member(object, "type");
  if (!type_field || type_field->empty()) set_string(object, "type", "Opaque", allocator);
  rapidjson::Value* string_data = member(object, "stringData");
  if (string_data == nullptr) return std::nullopt;
  auto json_kind = [](const rapidjson::Value& value) -> std::string {
    if (value.IsObject()) return "object";
    if (value.IsArray()) return "array";
    if (value.IsNumber()) return "number";
    if (value.IsBool()) return "bool";
    return "string";
  };
  auto cannot_decode = [](const std::string& sent, const std::string& go_type) {
    return bad_request("Secret in version \"v1\" cannot be handled as a Secret: json: cannot unmarshal " + sent +
                       " into Go struct field Secret.stringData of type " + go_type);
  };
  if (string_data->IsNull()) {
    remove_member(object, "stringData");
    return std::nullopt;
  }
  if (!string_data->IsObject()) return cannot_decode(json_kind(*string_data), "map[string]string");
  for (const auto& entry : string_data->GetObject()) {
    if (!entry.value.IsString() && !entry.value.IsNull()) return cannot_decode(json_kind(entry.value), "string");
  }
  rapidjson::Value folded(*string_data, allocator);
  remove_member(object, "stringData");
  rapidjson::Value& data = object_member(object, "data", allocator);
  for (const auto& entry : folded.GetObject()) {
    // Go decodes a null map value as the zero value, "".
    std::string_view plain = entry.value.IsNull() ? std::string_view() :
                             std::string_view(entry.value.GetString(), entry.value.GetStringLength());
    std::string encoded = base64_encode(plain);
    std::string_view key(entry.name.GetString(), entry.name.GetStringLength());
    set_string(data, key, encoded, allocator);
  }
  return std::nullopt;
}

std::string metadata_string(const rapidjson::Value& object, std::string_view key) {
  const rapidjson::Value* metadata = member(object, "metadata");
  if (metadata == nullptr) return "";
  auto value = string_member(*metadata, key);
  return value ? std::string(*value) : "";
}

bool has_finalizers(const rapidjson::Value& object) {
  const rapidjson::Value* metadata = member(object, "metadata");
  const rapidjson::Value* finalizers = metadata ? member(*metadata, "finalizers") : nullptr;
  return finalizers != nullptr && finalizers->IsArray() && !finalizers->Empty();
}

std::optional<std::uint64_t> parse_resource_version(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

std::string generated_name(const std::string& prefix, std::uint64_t random) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string name = prefix;
  for (int i = 0; i < 5; ++i) {
    name += kAlphabet[random % 27];
    random /= 27;
  }
  return name;
}

}  // namespace switchyard::devcluster
