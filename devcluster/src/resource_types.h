// The kinds a devcluster serves: the built-in ones and those that
// CustomResourceDefinitions add. Owned by the loop thread.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api_error.h"
#include "switchyard/devcluster/objects/structural_schema.h"

namespace switchyard::devcluster {

struct PrinterColumn {
  std::string name;
  std::string type;    // string, integer, number, boolean, date
  std::string format;  // "name" for the Name column
  std::string description;
  std::string json_path;  // .spec.x; empty for Name
  int priority = 0;
  // Built-in list columns (kubectl's printers): every value the path selects,
  // comma-joined up to this many, then " + N more..."; none: "<unset>".
  // 0: the first value only, as for CRD printer columns.
  std::size_t list_limit = 0;
  // Cells the API server's built-in printers compute rather than pick by
  // path (json_path is then unused).
  enum class Computed {
    kNone,
    kMemberCount,     // how many members the object at json_path (one level: ".data") has
    kEventLastSeen,   // series.lastObservedTime, else lastTimestamp, else the first seen
    kEventFirstSeen,  // firstTimestamp, else eventTime
    kEventObject,     // involvedObject as "kind/name" (kind lower-cased)
    kEventSource,     // source as "component, host"
    kEventCount,      // series.count, else count, at least 1
  };
  Computed computed = Computed::kNone;
};

struct ResourceType {
  std::string group;     // "" for core
  std::string version;   // v1
  std::string resource;  // plural: failoverservices
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  bool has_status = false;   // status subresource
  bool custom = false;       // served from a CRD
  bool has_generation = false;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<PrinterColumn> columns;  // Name first
  // openAPIV3Schema of a CRD version; null for built-ins (no schema enforced).
  std::shared_ptr<const rapidjson::Document> schema;
  std::shared_ptr<const objects::SchemaNode> compiled_schema;  // `schema`, ready to validate with

  [[nodiscard]] std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "failoverservices.switchyard.io", "services": how errors name the resource.
  [[nodiscard]] std::string qualified() const { return group.empty() ? resource : resource + "." + group; }
  // "FailoverService.switchyard.io": how Invalid errors name the kind.
  [[nodiscard]] std::string qualified_kind() const { return group.empty() ? kind : kind + "." + group; }
  // Key of the store's collection, shared by all versions of a group/resource.
  [[nodiscard]] std::string storage_key() const { return group + "/" + resource; }
};

class ResourceTypes {
 public:
  ResourceTypes();  // the built-in kinds

  [[nodiscard]] const ResourceType* find(const std::string& group, const std::string& version,
                                         const std::string& resource) const;
  [[nodiscard]] const std::vector<ResourceType>& all() const { return types_; }
  // Versions served for `group`, in preference order (first preferred).
  [[nodiscard]] std::vector<std::string> versions_of(const std::string& group) const;
  // Groups in the order discovery lists them (core excluded).
  [[nodiscard]] std::vector<std::string> groups() const;

  // Serves (or re-serves) what `crd` declares; replaces earlier versions of it.
  void serve_crd(const rapidjson::Value& crd);
  // Stops serving what the CRD named `crd_name` (plural.group) declared.
  void stop_crd(const std::string& crd_name);

  // Monotonic: bumped on every change, so discovery/OpenAPI caches know when to rebuild.
  [[nodiscard]] std::uint64_t revision() const { return revision_; }

 private:
  std::vector<ResourceType> types_;
  std::uint64_t revision_ = 1;
};

// Checks what the server relies on in a CRD (names, group, versions,
// scope); the rest of the CRD is stored as given.
[[nodiscard]] std::vector<StatusCause> check_crd(const rapidjson::Value& crd);

}  // namespace switchyard::devcluster
