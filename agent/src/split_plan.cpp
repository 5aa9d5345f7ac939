#include "switchyard/agent/split_plan.h"

#include <set>
#include <tuple>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::agent {
namespace {

using Key = std::tuple<std::string, std::string, std::string>;  // group, namespace, name

std::string compact(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  value.Accept(out);
  return {buffer.GetString(), buffer.GetSize()};
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// JSON equality regardless of member order.
bool same_json(std::string_view a, std::string_view b) {
  rapidjson::Document left;
  rapidjson::Document right;
  left.Parse(a.data(), a.size());
  right.Parse(b.data(), b.size());
  return !left.HasParseError() && !right.HasParseError() && left == right;
}

// The desired object's spec and labels, and the merge patch that sets them.
struct DesiredParts {
  std::string spec_json;
  std::string merge_patch;
};

DesiredParts parts_of(const protocol::DesiredTrafficSplit& desired, const std::string& resource_version = "") {
  rapidjson::Document object;
  object.Parse(desired.object_json.data(), desired.object_json.size());
  rapidjson::Document patch(rapidjson::kObjectType);
  auto& allocator = patch.GetAllocator();
  DesiredParts parts;
  if (const auto* spec = member(object, "spec")) {
    parts.spec_json = compact(*spec);
    patch.AddMember("spec", rapidjson::Value(*spec, allocator), allocator);
  }
  rapidjson::Value labels(rapidjson::kObjectType);
  for (const auto& [key, value] : desired.labels) {
    labels.AddMember(rapidjson::Value(key.c_str(), allocator), rapidjson::Value(value.c_str(), allocator),
                     allocator);
  }
  rapidjson::Value metadata(rapidjson::kObjectType);
  metadata.AddMember("labels", labels, allocator);
  if (!resource_version.empty()) {
    metadata.AddMember("resourceVersion", rapidjson::Value(resource_version.c_str(), allocator), allocator);
  }
  patch.AddMember("metadata", metadata, allocator);
  parts.merge_patch = compact(patch);
  return parts;
}

bool has_labels(const ExistingTrafficSplit& existing, const std::map<std::string, std::string>& wanted) {
  for (const auto& [key, value] : wanted) {
    auto it = existing.labels.find(key);
    if (it == existing.labels.end() || it->second != value) return false;
  }
  return true;
}

std::vector<ServiceParent> service_parents_in(const rapidjson::Value& object) {
  std::vector<ServiceParent> parents;
  const auto* metadata = member(object, "metadata");
  const auto* own_namespace = metadata != nullptr ? member(*metadata, "namespace") : nullptr;
  const auto* spec = member(object, "spec");
  const auto* refs = spec != nullptr ? member(*spec, "parentRefs") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return parents;
  for (const auto& ref : refs->GetArray()) {
    // A ParentReference's kind defaults to Gateway and its group to the
    // Gateway API's: a Service parent names both.
    const auto* group = member(ref, "group");
    const auto* kind = member(ref, "kind");
    const auto* name = member(ref, "name");
    if (group == nullptr || !group->IsString() || kind == nullptr || !kind->IsString() || name == nullptr ||
        !name->IsString()) {
      continue;
    }
    const std::string_view group_name(group->GetString(), group->GetStringLength());
    if ((group_name != "" && group_name != "core") || std::string_view(kind->GetString()) != "Service") continue;
    ServiceParent parent;
    parent.name = name->GetString();
    if (const auto* ns = member(ref, "namespace"); ns != nullptr && ns->IsString()) {
      parent.namespace_name = ns->GetString();
    } else if (own_namespace != nullptr && own_namespace->IsString()) {
      parent.namespace_name = own_namespace->GetString();
    }
    if (const auto* port = member(ref, "port"); port != nullptr && port->IsInt()) parent.port = port->GetInt();
    parents.push_back(std::move(parent));
  }
  return parents;
}

// The routes of someone else's in `existing` that are attached to a Service:
// the only ones a desired HTTPRoute can conflict with. Picked out once per
// plan, as a full pass plans every route against every listed one (10,000
// managed routes would otherwise be 10^8 label lookups a pass).
std::vector<const ExistingTrafficSplit*> foreign_routes_on_services(const std::vector<ExistingTrafficSplit>& existing) {
  std::vector<const ExistingTrafficSplit*> foreign;
  for (const auto& route : existing) {
    if (!route.managed() && !route.service_parents.empty()) foreign.push_back(&route);
  }
  return foreign;
}

// The first of `foreign` attached to a parent of `desired` (an HTTPRoute):
// Switchyard writes nothing over it.
const ExistingTrafficSplit* foreign_route_on_parents(const protocol::DesiredTrafficSplit& desired,
                                                     const std::vector<const ExistingTrafficSplit*>& foreign) {
  if (foreign.empty()) return nullptr;
  const auto parents = service_parents_of(desired.object_json);
  if (parents.empty()) return nullptr;
  const auto group = protocol::api_group_of(desired.api_version);
  for (const auto* candidate : foreign) {
    const auto& route = *candidate;
    if (route.group == group && route.namespace_name == desired.namespace_name && route.name == desired.name) {
      continue;  // the object at our own name: a conflict of its own
    }
    for (const auto& theirs : route.service_parents) {
      for (const auto& ours : parents) {
        if (same_parent(theirs, ours)) return &route;
      }
    }
  }
  return nullptr;
}

}  // namespace

std::vector<ServiceParent> service_parents_of(std::string_view object_json) {
  rapidjson::Document object;
  object.Parse(object_json.data(), object_json.size());
  if (object.HasParseError()) return {};
  return service_parents_in(object);
}

bool same_parent(const ServiceParent& a, const ServiceParent& b) {
  return a.namespace_name == b.namespace_name && a.name == b.name && (a.port == 0 || b.port == 0 || a.port == b.port);
}

std::string describe_route(const std::string& group, const std::string& namespace_name, const std::string& name) {
  const bool split = group == protocol::kSmiGroup;
  return std::string(split ? "TrafficSplit " : "HTTPRoute ") + namespace_name + "/" + name +
         (split ? "" : " (" + group + ")");
}

std::string ExistingTrafficSplit::owner() const {
  auto it = labels.find(kOwnerLabel);
  return it == labels.end() ? std::string() : it->second;
}

std::string merge_patch_for(const protocol::DesiredTrafficSplit& desired, const std::string& resource_version) {
  return parts_of(desired, resource_version).merge_patch;
}

bool ExistingTrafficSplit::managed() const {
  auto it = labels.find(kManagedByLabel);
  return it != labels.end() && it->second == kManagedByValue;
}

std::optional<ExistingTrafficSplit> decode_existing_traffic_split(std::string_view json, std::string& error) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  const auto* metadata = document.HasParseError() ? nullptr : member(document, "metadata");
  if (metadata == nullptr || !metadata->IsObject()) {
    error = "route object: not an object with metadata";
    return std::nullopt;
  }
  ExistingTrafficSplit split;
  const auto* name = member(*metadata, "name");
  const auto* namespace_name = member(*metadata, "namespace");
  if (name == nullptr || !name->IsString() || namespace_name == nullptr || !namespace_name->IsString()) {
    error = "route object: metadata.name and metadata.namespace are required";
    return std::nullopt;
  }
  split.name = name->GetString();
  split.namespace_name = namespace_name->GetString();
  if (const auto* version = member(*metadata, "resourceVersion"); version != nullptr && version->IsString()) {
    split.resource_version = version->GetString();
  }
  if (const auto* labels = member(*metadata, "labels"); labels != nullptr && labels->IsObject()) {
    for (const auto& label : labels->GetObject()) {
      if (label.value.IsString()) split.labels.emplace(label.name.GetString(), label.value.GetString());
    }
  }
  if (const auto* spec = member(document, "spec")) split.spec_json = compact(*spec);
  if (const auto* api_version = member(document, "apiVersion"); api_version != nullptr && api_version->IsString()) {
    split.group = protocol::api_group_of(api_version->GetString());
  }
  split.service_parents = service_parents_in(document);
  return split;
}

std::vector<PlannedSplitAction> plan_split_actions(const std::vector<protocol::DesiredTrafficSplit>& desired,
                                                   const std::vector<ExistingTrafficSplit>& existing) {
  std::map<Key, const ExistingTrafficSplit*> in_cluster;
  for (const auto& split : existing) in_cluster[{split.group, split.namespace_name, split.name}] = &split;

  const auto foreign = foreign_routes_on_services(existing);
  std::vector<PlannedSplitAction> actions;
  std::set<Key> wanted;
  for (const auto& split : desired) {
    const auto group = protocol::api_group_of(split.api_version);
    const Key key{group, split.namespace_name, split.name};
    wanted.insert(key);
    const auto what = describe_route(group, split.namespace_name, split.name);
    if (const auto* theirs = foreign_route_on_parents(split, foreign)) {
      const auto parent = service_parents_of(split.object_json).front();
      actions.push_back({SplitAction::ForeignConflict, group, split.namespace_name, split.name, {},
                         "RouteConflict: " + describe_route(theirs->group, theirs->namespace_name, theirs->name) +
                             " is not managed by switchyard and is attached to Service " + parent.namespace_name +
                             "/" + parent.name +
                             (parent.port != 0 ? " port " + std::to_string(parent.port) : std::string()) +
                             "; " + what + " not written while it is"});
      continue;
    }
    auto found = in_cluster.find(key);
    if (found == in_cluster.end()) {
      actions.push_back({SplitAction::Create, group, split.namespace_name, split.name, split.object_json, {}});
      continue;
    }
    const auto& current = *found->second;
    if (!current.managed()) {
      actions.push_back({SplitAction::ForeignConflict, group, split.namespace_name, split.name, {},
                         what + " exists and is not managed by switchyard (no label " + kManagedByLabel + "=" +
                             kManagedByValue + "); left unchanged"});
      continue;
    }
    auto parts = parts_of(split, current.resource_version);
    if (same_json(parts.spec_json, current.spec_json) && has_labels(current, split.labels)) continue;
    actions.push_back({SplitAction::Patch, group, split.namespace_name, split.name, std::move(parts.merge_patch), {}});
  }
  for (const auto& [key, split] : in_cluster) {
    if (split->managed() && wanted.count(key) == 0) {
      actions.push_back({SplitAction::Delete, std::get<0>(key), std::get<1>(key), std::get<2>(key), {}, {}});
    }
  }
  return actions;
}

}  // namespace switchyard::agent
