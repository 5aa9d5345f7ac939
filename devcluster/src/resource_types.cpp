#include "resource_types.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "json_util.h"

namespace switchyard::devcluster {

namespace {

PrinterColumn name_column(int priority = 0) {
  return {"Name", "string", "name", "Name must be unique within a namespace.", "", priority};
}
PrinterColumn age_column() {
  return {"Age", "date", "", "CreationTimestamp is the time this object was created.", ".metadata.creationTimestamp", 0};
}

ResourceType builtin(std::string group, std::string resource, std::string singular, std::string kind, bool namespaced,
                     std::vector<std::string> short_names, std::vector<PrinterColumn> middle_columns = {},
                     std::string version = "v1") {
  ResourceType type;
  type.group = std::move(group);
  type.version = std::move(version);
  type.resource = std::move(resource);
  type.singular = std::move(singular);
  type.kind = std::move(kind);
  type.list_kind = type.kind + "List";
  type.namespaced = namespaced;
  type.short_names = std::move(short_names);
  type.columns.push_back(name_column());
  for (auto& column : middle_columns) type.columns.push_back(std::move(column));
  type.columns.push_back(age_column());
  return type;
}

PrinterColumn column(std::string name, std::string type, std::string json_path, int priority = 0) {
  return {std::move(name), std::move(type), "", "", std::move(json_path), priority};
}

PrinterColumn computed_column(std::string name, std::string type, PrinterColumn::Computed computed,
                              std::string json_path = "", int priority = 0) {
  PrinterColumn result = column(std::move(name), std::move(type), std::move(json_path), priority);
  result.computed = computed;
  return result;
}

// kubectl's printers show at most three values of a list, then " + N more...".
PrinterColumn list_column(std::string name, std::string json_path) {
  PrinterColumn result = column(std::move(name), "string", std::move(json_path));
  result.list_limit = 3;
  return result;
}

}  // namespace

ResourceTypes::ResourceTypes() {
  auto namespaces = builtin("", "namespaces", "namespace", "Namespace", false, {"ns"},
                            {column("Status", "string", ".status.phase")});
  namespaces.has_status = true;
  types_.push_back(namespaces);
  auto services = builtin("", "services", "service", "Service", true, {"svc"},
                          {column("Type", "string", ".spec.type"), column("Cluster-IP", "string", ".spec.clusterIP"),
                           column("Ports", "string", ".spec.ports[*].port")});
  services.has_status = true;
  services.categories = {"all"};
  types_.push_back(services);
  types_.push_back(builtin("", "endpoints", "endpoints", "Endpoints", true, {"ep"}));
  types_.push_back(builtin("", "secrets", "secret", "Secret", true, {},
                           {column("Type", "string", ".type"),
                            computed_column("Data", "integer", PrinterColumn::Computed::kMemberCount, ".data")}));
  types_.push_back(builtin("", "configmaps", "configmap", "ConfigMap", true, {"cm"}));
  // Events print as the API server's printer does: when, then what, and the
  // name only in -o wide.
  auto events = builtin("", "events", "event", "Event", true, {"ev"});
  events.columns = {computed_column("Last Seen", "string", PrinterColumn::Computed::kEventLastSeen),
                    column("Type", "string", ".type"),
                    column("Reason", "string", ".reason"),
                    computed_column("Object", "string", PrinterColumn::Computed::kEventObject),
                    column("Subobject", "string", ".involvedObject.fieldPath", 1),
                    computed_column("Source", "string", PrinterColumn::Computed::kEventSource, "", 1),
                    column("Message", "string", ".message"),
                    computed_column("First Seen", "string", PrinterColumn::Computed::kEventFirstSeen, "", 1),
                    computed_column("Count", "integer", PrinterColumn::Computed::kEventCount, "", 1),
                    name_column(1)};
  types_.push_back(std::move(events));
  types_.push_back(builtin("", "serviceaccounts", "serviceaccount", "ServiceAccount", true, {"sa"}));
  types_.push_back(builtin("discovery.k8s.io", "endpointslices", "endpointslice", "EndpointSlice", true, {},
                           {column("AddressType", "string", ".addressType"),
                            list_column("Ports", ".ports[*].port"),
                            list_column("Endpoints", ".endpoints[*].addresses[*]")}));
  types_.push_back(builtin("coordination.k8s.io", "leases", "lease", "Lease", true, {},
                           {column("Holder", "string", ".spec.holderIdentity")}));
  auto crds = builtin("apiextensions.k8s.io", "customresourcedefinitions", "customresourcedefinition",
                      "CustomResourceDefinition", false, {"crd", "crds"},
                      {column("Created At", "date", ".metadata.creationTimestamp")});
  crds.columns.pop_back();  // real servers show Created At instead of Age
  crds.has_status = true;
  crds.has_generation = true;
  crds.categories = {"api-extensions"};
  types_.push_back(crds);
  auto deployments = builtin("apps", "deployments", "deployment", "Deployment", true, {"deploy"},
                             {column("Ready", "string", ".status.readyReplicas"),
                              column("Up-to-date", "integer", ".status.updatedReplicas"),
                              column("Available", "integer", ".status.availableReplicas")});
  deployments.has_status = true;
  deployments.has_generation = true;
  deployments.categories = {"all"};
  types_.push_back(deployments);
  // Stored only (nothing enforces it here): deploy/ ships one for the hub.
  types_.push_back(builtin("networking.k8s.io", "networkpolicies", "networkpolicy", "NetworkPolicy", true, {"netpol"},
                           {column("Pod-Selector", "string", ".spec.podSelector")}));
  const std::string rbac = "rbac.authorization.k8s.io";
  types_.push_back(builtin(rbac, "roles", "role", "Role", true, {}));
  types_.push_back(builtin(rbac, "clusterroles", "clusterrole", "ClusterRole", false, {}));
  types_.push_back(builtin(rbac, "rolebindings", "rolebinding", "RoleBinding", true, {},
                           {column("Role", "string", ".roleRef.name")}));
  types_.push_back(builtin(rbac, "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", false, {},
                           {column("Role", "string", ".roleRef.name")}));
}

const ResourceType* ResourceTypes::find(const std::string& group, const std::string& version,
                                        const std::string& resource) const {
  for (const auto& type : types_) {
    if (type.group == group && type.version == version && type.resource == resource) return &type;
  }
  return nullptr;
}

namespace {

// Kubernetes version priority: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others
// (alphabetical). Returns (stability, major, minor); higher sorts first.
std::tuple<int, int, int> version_priority(const std::string& version) {
  int major = 0, minor = 0;
  char level[8] = {0};
  if (std::sscanf(version.c_str(), "v%d%7[a-z]%d", &major, level, &minor) >= 1) {
    std::string stability(level);
    if (stability.empty() && version == "v" + std::to_string(major)) return {3, major, 0};
    if (stability == "beta" && minor > 0) return {2, major, minor};
    if (stability == "alpha" && minor > 0) return {1, major, minor};
  }
  return {0, 0, 0};
}

}  // namespace

std::vector<std::string> ResourceTypes::versions_of(const std::string& group) const {
  std::vector<std::string> versions;
  for (const auto& type : types_) {
    if (type.group == group && std::find(versions.begin(), versions.end(), type.version) == versions.end()) {
      versions.push_back(type.version);
    }
  }
  std::stable_sort(versions.begin(), versions.end(), [](const std::string& a, const std::string& b) {
    auto pa = version_priority(a), pb = version_priority(b);
    if (pa != pb) return pa > pb;
    return a < b;
  });
  return versions;
}

std::vector<std::string> ResourceTypes::groups() const {
  std::vector<std::string> groups;
  for (const auto& type : types_) {
    if (!type.group.empty() && std::find(groups.begin(), groups.end(), type.group) == groups.end()) {
      groups.push_back(type.group);
    }
  }
  return groups;
}

namespace {

std::vector<std::string> string_list(const rapidjson::Value* array) {
  std::vector<std::string> out;
  if (array == nullptr || !array->IsArray()) return out;
  for (const auto& item : array->GetArray()) {
    if (item.IsString()) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

std::string string_or(const rapidjson::Value& object, std::string_view key, std::string fallback = "") {
  auto value = string_member(object, key);
  return value ? std::string(*value) : fallback;
}

bool is_dns_label(const std::string& text) {
  if (text.empty() || text.size() > 63) return false;
  for (char c : text) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return text.front() != '-' && text.back() != '-';
}

}  // namespace

std::vector<StatusCause> check_crd(const rapidjson::Value& crd) {
  std::vector<StatusCause> causes;
  const rapidjson::Value* spec = member(crd, "spec");
  if (spec == nullptr || !spec->IsObject()) {
    causes.push_back({"FieldValueRequired", "Required value", "spec"});
    return causes;
  }
  std::string group = string_or(*spec, "group");
  if (group.empty()) causes.push_back({"FieldValueRequired", "Required value", "spec.group"});
  const rapidjson::Value* names = member(*spec, "names");
  std::string plural = names ? string_or(*names, "plural") : "";
  std::string kind = names ? string_or(*names, "kind") : "";
  if (!is_dns_label(plural)) {
    causes.push_back({"FieldValueInvalid", "Invalid value: \"" + plural + "\": must be a lowercase DNS label",
                      "spec.names.plural"});
  }
  if (kind.empty()) causes.push_back({"FieldValueRequired", "Required value", "spec.names.kind"});
  const rapidjson::Value* metadata = member(crd, "metadata");
  std::string name = metadata ? string_or(*metadata, "name") : "";
  if (!plural.empty() && !group.empty() && name != plural + "." + group) {
    causes.push_back({"FieldValueInvalid",
                      "Invalid value: \"" + name + "\": must be spec.names.plural+\".\"+spec.group", "metadata.name"});
  }
  std::string scope = string_or(*spec, "scope");
  if (scope != "Namespaced" && scope != "Cluster") {
    causes.push_back({"FieldValueNotSupported",
                      "Unsupported value: \"" + scope + "\": supported values: \"Cluster\", \"Namespaced\"",
                      "spec.scope"});
  }
  const rapidjson::Value* versions = member(*spec, "versions");
  if (versions == nullptr || !versions->IsArray() || versions->Empty()) {
    causes.push_back({"FieldValueRequired", "Required value: must have exactly one version marked as storage version",
                      "spec.versions"});
    return causes;
  }
  int storage = 0;
  for (rapidjson::SizeType i = 0; i < versions->Size(); ++i) {
    const auto& version = (*versions)[i];
    std::string path = "spec.versions[" + std::to_string(i) + "]";
    if (string_or(version, "name").empty()) causes.push_back({"FieldValueRequired", "Required value", path + ".name"});
    const rapidjson::Value* is_storage = member(version, "storage");
    if (is_storage && is_storage->IsBool() && is_storage->GetBool()) ++storage;
    const rapidjson::Value* schema = member(version, "schema");
    const rapidjson::Value* v3 = schema ? member(*schema, "openAPIV3Schema") : nullptr;
    if (v3 == nullptr || !v3->IsObject()) {
      causes.push_back({"FieldValueRequired", "Required value: schemas are required", path + ".schema.openAPIV3Schema"});
    } else if (objects::CompiledSchema compiled = objects::compile_schema(*v3); !compiled.ok()) {
      causes.push_back({"FieldValueInvalid", "Invalid value: " + compiled.error, path + ".schema.openAPIV3Schema"});
    }
  }
  if (storage != 1) {
    causes.push_back({"FieldValueInvalid", "Invalid value: must have exactly one version marked as storage version",
                      "spec.versions"});
  }
  return causes;
}

void ResourceTypes::serve_crd(const rapidjson::Value& crd) {
  const rapidjson::Value& spec = *member(crd, "spec");
  const rapidjson::Value& names = *member(spec, "names");
  std::string group = string_or(spec, "group");
  std::string plural = string_or(names, "plural");
  stop_crd(plural + "." + group);
  std::string kind = string_or(names, "kind");
  for (const auto& version : member(spec, "versions")->GetArray()) {
    const rapidjson::Value* served = member(version, "served");
    if (served != nullptr && served->IsBool() && !served->GetBool()) continue;
    ResourceType type;
    type.group = group;
    type.version = string_or(version, "name");
    type.resource = plural;
    type.kind = kind;
    type.singular = string_or(names, "singular");
    if (type.singular.empty()) {
      type.singular = kind;
      std::transform(type.singular.begin(), type.singular.end(), type.singular.begin(), ::tolower);
    }
    type.list_kind = string_or(names, "listKind", kind + "List");
    type.namespaced = string_or(spec, "scope") == "Namespaced";
    type.custom = true;
    type.has_generation = true;
    type.short_names = string_list(member(names, "shortNames"));
    type.categories = string_list(member(names, "categories"));
    const rapidjson::Value* subresources = member(version, "subresources");
    type.has_status = subresources != nullptr && member(*subresources, "status") != nullptr;
    const rapidjson::Value* schema = member(version, "schema");
    if (const rapidjson::Value* v3 = schema ? member(*schema, "openAPIV3Schema") : nullptr) {
      type.schema = copy_document(*v3);
      objects::CompiledSchema compiled = objects::compile_schema(*v3);
      if (compiled.ok()) type.compiled_schema = std::move(compiled.root);
    }
    type.columns.push_back(name_column());
    const rapidjson::Value* printer = member(version, "additionalPrinterColumns");
    bool has_age = false;
    if (printer != nullptr && printer->IsArray()) {
      for (const auto& item : printer->GetArray()) {
        PrinterColumn column;
        column.name = string_or(item, "name");
        column.type = string_or(item, "type", "string");
        column.format = string_or(item, "format");
        column.description = string_or(item, "description");
        column.json_path = string_or(item, "jsonPath");
        const rapidjson::Value* priority = member(item, "priority");
        if (priority != nullptr && priority->IsInt()) column.priority = priority->GetInt();
        if (column.json_path == ".metadata.creationTimestamp") has_age = true;
        type.columns.push_back(std::move(column));
      }
    }
    // Real servers add Age only when the CRD declares no columns of its own.
    if (!has_age && (printer == nullptr || !printer->IsArray() || printer->Empty())) {
      type.columns.push_back(age_column());
    }
    types_.push_back(std::move(type));
  }
  ++revision_;
}

void ResourceTypes::stop_crd(const std::string& crd_name) {
  auto before = types_.size();
  types_.erase(std::remove_if(types_.begin(), types_.end(),
                              [&](const ResourceType& type) { return type.custom && type.qualified() == crd_name; }),
               types_.end());
  if (types_.size() != before) ++revision_;
}

}  // namespace switchyard::devcluster
