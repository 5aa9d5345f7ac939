#include <set>
#include <tuple>

#include "switchyard/core/names.h"
#include "service_key_json.h"
#include "watch_checks_json.h"
#include "switchyard/protocol/codec.h"

namespace switchyard::protocol {
namespace {

using core::json::FieldReader;

// The kind each route group holds.
const char* kind_of_group(const std::string& group) {
  if (group == kSmiGroup) return "TrafficSplit";
  if (group == kGatewayGroup || group == kLinkerdPolicyGroup) return "HTTPRoute";
  return nullptr;
}

using RouteIdentity = std::tuple<std::string, std::string, std::string>;  // group, namespace, name

// "TrafficSplit emojivoto/web-svc", "HTTPRoute emojivoto/web-svc (policy.linkerd.io)".
std::string describe_route(const std::string& group, const std::string& namespace_name, const std::string& name) {
  const char* kind = kind_of_group(group);
  return std::string(kind != nullptr ? kind : "route") + " " + namespace_name + "/" + name +
         (group == kSmiGroup ? "" : " (" + group + ")");
}

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  value.Accept(out);
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::map<std::string, std::string>> read_labels(const rapidjson::Value* labels,
                                                             const std::string& path,
                                                             std::vector<FieldError>& errors) {
  std::map<std::string, std::string> result;
  if (labels == nullptr) return result;
  bool ok = true;
  for (const auto& label : labels->GetObject()) {
    const std::string key(label.name.GetString(), label.name.GetStringLength());
    if (!label.value.IsString()) {
      errors.push_back({path + "." + key, "label values must be strings"});
      ok = false;
      continue;
    }
    result.emplace(key, std::string(label.value.GetString(), label.value.GetStringLength()));
  }
  if (!ok) return std::nullopt;
  return result;
}

std::optional<DesiredTrafficSplit> read_traffic_split(const rapidjson::Value& value,
                                                      const std::string& path,
                                                      std::vector<FieldError>& errors) {
  if (!value.IsObject()) {
    errors.push_back({path, "must be an object"});
    return std::nullopt;
  }
  const auto before = errors.size();
  FieldReader fields(value, path, errors);
  DesiredTrafficSplit split;
  const char* expected_kind = nullptr;
  if (auto api_version = fields.required_string("apiVersion")) {
    expected_kind = kind_of_group(api_group_of(*api_version));
    if (expected_kind == nullptr || api_version->find('/') == std::string::npos) {
      fields.error("apiVersion", "must be in group split.smi-spec.io, gateway.networking.k8s.io or policy.linkerd.io, got \"" +
                                     *api_version + "\"");
    }
    split.api_version = std::move(*api_version);
  }
  if (auto kind = fields.required_string("kind"); kind && expected_kind != nullptr && *kind != expected_kind) {
    fields.error("kind", "must be " + std::string(expected_kind) + " in " + split.api_version + ", got \"" + *kind + "\"");
  }
  fields.object("spec", true);
  if (const auto* metadata = fields.object("metadata", true)) {
    FieldReader meta(*metadata, fields.path_of("metadata"), errors);
    if (auto name = meta.required_string("name")) {
      if (auto problem = core::dns1123_subdomain_problem(*name)) meta.error("name", *problem);
      split.name = std::move(*name);
    }
    if (auto namespace_name = meta.required_string("namespace")) {
      if (auto problem = core::dns1123_label_problem(*namespace_name)) {
        meta.error("namespace", *problem);
      }
      split.namespace_name = std::move(*namespace_name);
    }
    if (auto labels = read_labels(meta.object("labels", false), meta.path_of("labels"), errors)) {
      split.labels = std::move(*labels);
    }
  }
  if (errors.size() != before) return std::nullopt;
  split.object_json = compact(value);
  return split;
}

}  // namespace

std::string api_group_of(const std::string& api_version) {
  const auto slash = api_version.find('/');
  return slash == std::string::npos ? std::string() : api_version.substr(0, slash);
}

Decoded<Assignment> decode_assignment(std::string_view body) {
  Decoded<Assignment> result;
  rapidjson::Document document;
  if (!core::json::parse_body(body, document, result.errors)) return result;

  FieldReader fields(document, "", result.errors);
  Assignment assignment;
  if (auto revision = fields.required_uint("revision", INT64_MAX)) {
    assignment.revision = static_cast<std::int64_t>(*revision);
  }
  if (auto epoch = fields.optional_string("epoch")) assignment.epoch = std::move(*epoch);
  // Absent: a hub that only ever sends the complete state.
  assignment.full = fields.optional_bool("full").value_or(true);
  if (!assignment.full && assignment.epoch.empty()) fields.error("epoch", "required in a delta (full: false)");

  // A complete assignment always has both lists; a delta has what changed.
  if (const auto* watch = fields.array("watch", assignment.full)) {
    std::set<ServiceKey> seen;
    for (rapidjson::SizeType i = 0; i < watch->Size(); ++i) {
      const auto path = core::json::indexed("watch", i);
      const auto& entry = (*watch)[i];
      if (!entry.IsObject()) {
        result.errors.push_back({path, "must be an object"});
        continue;
      }
      FieldReader entry_fields(entry, path, result.errors);
      auto key = detail::read_service_key(entry_fields);
      auto checks = detail::read_watch_checks(entry, path, result.errors);
      if (!key) continue;
      if (!seen.insert(*key).second) {
        result.errors.push_back({path, "lists " + key->namespace_name + "/" + key->name + " twice"});
        continue;
      }
      if (checks) assignment.checks.emplace(*key, *checks);
      assignment.watch.push_back(std::move(*key));
    }
  } else {
    assignment.watch_changed = assignment.full;
  }
  // A TrafficSplit and an HTTPRoute of one FailoverService share its name
  // while a consumer's output changes: identities include the group.
  std::set<RouteIdentity> seen;
  if (const auto* splits = fields.array("trafficSplits", assignment.full)) {
    for (rapidjson::SizeType i = 0; i < splits->Size(); ++i) {
      const auto path = core::json::indexed("trafficSplits", i);
      auto split = read_traffic_split((*splits)[i], path, result.errors);
      if (!split) continue;
      if (!seen.emplace(api_group_of(split->api_version), split->namespace_name, split->name).second) {
        result.errors.push_back(
            {path, "lists " + describe_route(api_group_of(split->api_version), split->namespace_name, split->name) +
                       " twice"});
        continue;
      }
      assignment.traffic_splits.push_back(std::move(*split));
    }
  }
  if (const auto* removed = fields.array("removedTrafficSplits", false)) {
    if (assignment.full && removed->Size() > 0) {
      fields.error("removedTrafficSplits", "only a delta (full: false) removes; a complete assignment omits");
    }
    for (rapidjson::SizeType i = 0; i < removed->Size() && !assignment.full; ++i) {
      const auto path = core::json::indexed("removedTrafficSplits", i);
      const auto& entry = (*removed)[i];
      if (!entry.IsObject()) {
        result.errors.push_back({path, "must be an object"});
        continue;
      }
      FieldReader entry_fields(entry, path, result.errors);
      auto namespace_name = entry_fields.required_string("namespace");
      auto name = entry_fields.required_string("name");
      // Absent: a TrafficSplit, from a hub before HTTPRoutes.
      auto api_version = entry_fields.optional_string("apiVersion").value_or("");
      if (!api_version.empty() && kind_of_group(api_group_of(api_version)) == nullptr) {
        entry_fields.error("apiVersion", "must be in group split.smi-spec.io, gateway.networking.k8s.io or "
                                         "policy.linkerd.io, got \"" + api_version + "\"");
        continue;
      }
      if (!namespace_name || !name) continue;
      const auto group = api_version.empty() ? std::string(kSmiGroup) : api_group_of(api_version);
      if (!seen.emplace(group, *namespace_name, *name).second) {
        result.errors.push_back({path, "lists " + describe_route(group, *namespace_name, *name) + " twice"});
        continue;
      }
      assignment.removed_traffic_splits.push_back({std::move(*namespace_name), std::move(*name), std::move(api_version)});
    }
  }
  if (result.errors.empty()) result.value = std::move(assignment);
  return result;
}

std::string encode_assignment(const Assignment& assignment) {
  rapidjson::StringBuffer buffer;
  detail::JsonWriter out(buffer);
  out.StartObject();
  out.Key("revision");
  out.Int64(assignment.revision);
  if (!assignment.epoch.empty()) {
    out.Key("epoch");
    out.String(assignment.epoch.c_str(), static_cast<rapidjson::SizeType>(assignment.epoch.size()));
  }
  out.Key("full");
  out.Bool(assignment.full);
  if (assignment.full || assignment.watch_changed) {
    out.Key("watch");
    out.StartArray();
    for (const auto& key : assignment.watch) {
      out.StartObject();
      detail::write_service_key_fields(out, key);
      if (const auto checks = assignment.checks.find(key); checks != assignment.checks.end()) {
        out.Key("checks");
        detail::write_watch_checks(out, checks->second);
      }
      out.EndObject();
    }
    out.EndArray();
  }
  out.Key("trafficSplits");
  out.StartArray();
  for (const auto& split : assignment.traffic_splits) {
    // Already a complete, compact object: written through unchanged.
    out.RawValue(split.object_json.data(), split.object_json.size(), rapidjson::kObjectType);
  }
  out.EndArray();
  if (!assignment.full) {
    out.Key("removedTrafficSplits");
    out.StartArray();
    for (const auto& removed : assignment.removed_traffic_splits) {
      out.StartObject();
      out.Key("namespace");
      out.String(removed.namespace_name.c_str(), static_cast<rapidjson::SizeType>(removed.namespace_name.size()));
      out.Key("name");
      out.String(removed.name.c_str(), static_cast<rapidjson::SizeType>(removed.name.size()));
      if (!removed.api_version.empty()) {
        out.Key("apiVersion");
        out.String(removed.api_version.c_str(), static_cast<rapidjson::SizeType>(removed.api_version.size()));
      }
      out.EndObject();
    }
    out.EndArray();
  }
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace switchyard::protocol
