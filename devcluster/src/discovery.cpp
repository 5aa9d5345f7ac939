#include "discovery.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <openssl/sha.h>

#include <algorithm>

#include "accept_header.h"

namespace switchyard::devcluster {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kDiscoveryGroup = "apidiscovery.k8s.io";

const char* discovery_version(DiscoveryFormat format) {
  return format == DiscoveryFormat::kAggregatedV2Beta1 ? "v2beta1" : "v2";
}

const char* const kVerbs[] = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
const char* const kStatusVerbs[] = {"get", "patch", "update"};

void string_array(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const auto& item : items) w.String(item.c_str());
  w.EndArray();
}

void verbs(Writer& w, bool status) {
  w.StartArray();
  if (status) {
    for (const char* verb : kStatusVerbs) w.String(verb);
  } else {
    for (const char* verb : kVerbs) w.String(verb);
  }
  w.EndArray();
}

std::string finish(rapidjson::StringBuffer& buffer) { return std::string(buffer.GetString(), buffer.GetSize()); }

std::vector<const ResourceType*> of_group_version(const ResourceTypes& types, const std::string& group,
                                                  const std::string& version) {
  std::vector<const ResourceType*> out;
  for (const auto& type : types.all()) {
    if (type.group == group && type.version == version) out.push_back(&type);
  }
  std::sort(out.begin(), out.end(), [](const ResourceType* a, const ResourceType* b) { return a->resource < b->resource; });
  return out;
}

void group_versions(Writer& w, const ResourceTypes& types, const std::string& group) {
  auto versions = types.versions_of(group);
  w.Key("name");
  w.String(group.c_str());
  w.Key("versions");
  w.StartArray();
  for (const auto& version : versions) {
    w.StartObject();
    w.Key("groupVersion");
    w.String((group + "/" + version).c_str());
    w.Key("version");
    w.String(version.c_str());
    w.EndObject();
  }
  w.EndArray();
  w.Key("preferredVersion");
  w.StartObject();
  w.Key("groupVersion");
  w.String((group + "/" + versions.front()).c_str());
  w.Key("version");
  w.String(versions.front().c_str());
  w.EndObject();
}

void response_kind(Writer& w, const ResourceType& type) {
  w.Key("responseKind");
  w.StartObject();
  w.Key("group");
  w.String(type.group.c_str());
  w.Key("kind");
  w.String(type.kind.c_str());
  w.Key("version");
  w.String(type.version.c_str());
  w.EndObject();
}

void aggregated_group(Writer& w, const ResourceTypes& types, const std::string& group) {
  w.StartObject();
  w.Key("metadata");
  w.StartObject();
  w.Key("name");
  w.String(group.c_str());
  w.Key("creationTimestamp");
  w.Null();
  w.EndObject();
  w.Key("versions");
  w.StartArray();
  for (const auto& version : types.versions_of(group)) {
    w.StartObject();
    w.Key("version");
    w.String(version.c_str());
    w.Key("resources");
    w.StartArray();
    for (const ResourceType* type : of_group_version(types, group, version)) {
      w.StartObject();
      w.Key("resource");
      w.String(type->resource.c_str());
      response_kind(w, *type);
      w.Key("scope");
      w.String(type->namespaced ? "Namespaced" : "Cluster");
      w.Key("singularResource");
      w.String(type->singular.c_str());
      w.Key("verbs");
      verbs(w, false);
      if (!type->short_names.empty()) {
        w.Key("shortNames");
        string_array(w, type->short_names);
      }
      if (!type->categories.empty()) {
        w.Key("categories");
        string_array(w, type->categories);
      }
      if (type->has_status) {
        w.Key("subresources");
        w.StartArray();
        w.StartObject();
        w.Key("subresource");
        w.String("status");
        response_kind(w, *type);
        w.Key("verbs");
        verbs(w, true);
        w.EndObject();
        w.EndArray();
      }
      w.EndObject();
    }
    w.EndArray();
    w.Key("freshness");
    w.String("Current");
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string version_json() {
  return R"({"major":"1","minor":"32","gitVersion":"v1.32.0-switchyard","gitCommit":"0000000000000000000000000000000000000000","gitTreeState":"clean","buildDate":"2026-01-01T00:00:00Z","goVersion":"go1.23.0","compiler":"gc","platform":"linux/amd64"})";
}

DiscoveryFormat negotiate_discovery(const std::string& accept) {
  // An empty header gets the server's default serializer, without conversion.
  for (const AcceptClause& clause : parse_accept(accept)) {
    if (!clause.admits("application", "json")) continue;
    // A stream other than watch or a server version rule the clause out
    // before its conversion is looked at; other parameters are ignored.
    std::string stream = clause.param("stream");
    if ((!stream.empty() && stream != "watch") || !clause.param("sv").empty()) continue;
    if (clause.param("g") != kDiscoveryGroup || clause.param("as") != "APIGroupDiscoveryList") continue;
    std::string version = clause.param("v");
    if (version == "v2") return DiscoveryFormat::kAggregatedV2;
    if (version == "v2beta1") return DiscoveryFormat::kAggregatedV2Beta1;
  }
  return DiscoveryFormat::kUnaggregated;
}

std::string aggregated_discovery_content_type(DiscoveryFormat format) {
  return std::string("application/json;g=") + kDiscoveryGroup + ";v=" + discovery_version(format) +
         ";as=APIGroupDiscoveryList";
}

std::string aggregated_discovery_etag(const std::string& v2_json) {
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(v2_json.data()), v2_json.size(), digest);
  static const char kHex[] = "0123456789ABCDEF";
  std::string etag = "\"";
  for (unsigned char byte : digest) {
    etag += kHex[byte >> 4];
    etag += kHex[byte & 0xf];
  }
  return etag + "\"";
}

std::string api_versions_json() {
  return R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1"}]})";
}

std::string api_group_list_json(const ResourceTypes& types) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("APIGroupList");
  w.Key("apiVersion");
  w.String("v1");
  w.Key("groups");
  w.StartArray();
  for (const auto& group : types.groups()) {
    w.StartObject();
    group_versions(w, types, group);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

std::optional<std::string> api_group_json(const ResourceTypes& types, const std::string& group) {
  if (types.versions_of(group).empty() || group.empty()) return std::nullopt;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("APIGroup");
  w.Key("apiVersion");
  w.String("v1");
  group_versions(w, types, group);
  w.EndObject();
  return finish(buffer);
}

std::optional<std::string> resource_list_json(const ResourceTypes& types, const std::string& group,
                                              const std::string& version) {
  auto served = of_group_version(types, group, version);
  if (served.empty()) return std::nullopt;
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("APIResourceList");
  // A real server's core list (/api/v1) has no apiVersion; group lists do.
  if (!group.empty()) {
    w.Key("apiVersion");
    w.String("v1");
  }
  w.Key("groupVersion");
  w.String((group.empty() ? version : group + "/" + version).c_str());
  w.Key("resources");
  w.StartArray();
  for (const ResourceType* type : served) {
    w.StartObject();
    w.Key("name");
    w.String(type->resource.c_str());
    w.Key("singularName");
    w.String(type->singular.c_str());
    w.Key("namespaced");
    w.Bool(type->namespaced);
    w.Key("kind");
    w.String(type->kind.c_str());
    w.Key("verbs");
    verbs(w, false);
    if (!type->short_names.empty()) {
      w.Key("shortNames");
      string_array(w, type->short_names);
    }
    if (!type->categories.empty()) {
      w.Key("categories");
      string_array(w, type->categories);
    }
    w.EndObject();
    if (type->has_status) {
      w.StartObject();
      w.Key("name");
      w.String((type->resource + "/status").c_str());
      w.Key("singularName");
      w.String("");
      w.Key("namespaced");
      w.Bool(type->namespaced);
      w.Key("kind");
      w.String(type->kind.c_str());
      w.Key("verbs");
      verbs(w, true);
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

std::string aggregated_discovery_json(const ResourceTypes& types, bool core, DiscoveryFormat format) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("kind");
  w.String("APIGroupDiscoveryList");
  w.Key("apiVersion");
  w.String((std::string(kDiscoveryGroup) + "/" + discovery_version(format)).c_str());
  w.Key("metadata");
  w.StartObject();
  w.EndObject();
  w.Key("items");
  w.StartArray();
  if (core) {
    aggregated_group(w, types, "");
  } else {
    for (const auto& group : types.groups()) aggregated_group(w, types, group);
  }
  w.EndArray();
  w.EndObject();
  return finish(buffer);
}

}  // namespace switchyard::devcluster
