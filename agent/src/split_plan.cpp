#include "switchyard/agent/split_plan.h"

#include <set>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchyard::agent {
namespace {

using Key = std::pair<std::string, std::string>;  // namespace, name

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

}  // namespace

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
    error = "TrafficSplit: not an object with metadata";
    return std::nullopt;
  }
  ExistingTrafficSplit split;
  const auto* name = member(*metadata, "name");
  const auto* namespace_name = member(*metadata, "namespace");
  if (name == nullptr || !name->IsString() || namespace_name == nullptr || !namespace_name->IsString()) {
    error = "TrafficSplit: metadata.name and metadata.namespace are required";
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
  return split;
}

std::vector<PlannedSplitAction> plan_split_actions(const std::vector<protocol::DesiredTrafficSplit>& desired,
                                                   const std::vector<ExistingTrafficSplit>& existing) {
  std::map<Key, const ExistingTrafficSplit*> in_cluster;
  for (const auto& split : existing) in_cluster[{split.namespace_name, split.name}] = &split;

  std::vector<PlannedSplitAction> actions;
  std::set<Key> wanted;
  for (const auto& split : desired) {
    const Key key{split.namespace_name, split.name};
    wanted.insert(key);
    auto found = in_cluster.find(key);
    if (found == in_cluster.end()) {
      actions.push_back({SplitAction::Create, key.first, key.second, split.object_json, {}});
      continue;
    }
    const auto& current = *found->second;
    if (!current.managed()) {
      actions.push_back({SplitAction::ForeignConflict, key.first, key.second, {},
                         "TrafficSplit " + key.first + "/" + key.second +
                             " exists and is not managed by switchyard (no label " + kManagedByLabel +
                             "=" + kManagedByValue + "); left unchanged"});
      continue;
    }
    auto parts = parts_of(split, current.resource_version);
    if (same_json(parts.spec_json, current.spec_json) && has_labels(current, split.labels)) continue;
    actions.push_back({SplitAction::Patch, key.first, key.second, std::move(parts.merge_patch), {}});
  }
  for (const auto& [key, split] : in_cluster) {
    if (split->managed() && wanted.count(key) == 0) {
      actions.push_back({SplitAction::Delete, key.first, key.second, {}, {}});
    }
  }
  return actions;
}

}  // namespace switchyard::agent
