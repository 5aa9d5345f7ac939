// Server-side apply (`application/apply-patch+yaml`; the body is YAML or
// JSON, see yaml_json.h) with field ownership recorded in
// metadata.managedFields as FieldsV1 sets, as the API server does:
//   - the applied configuration is merged into the live object (maps field by
//     field, associative lists item by item on their keys, sets as unions,
//     other lists replaced whole);
//   - fields this manager applied last time and no longer applies are removed
//     unless another manager also owns them;
//   - a field owned by another manager with a different live value is a
//     conflict (409) unless `force`; with force, ownership moves;
//   - this manager's entry {manager, operation: Apply, apiVersion, time,
//     fieldsType: FieldsV1, fieldsV1[, subresource]} is replaced.
// Identity fields (apiVersion, kind, metadata name/namespace/uid/
// resourceVersion/generation/creationTimestamp/managedFields) are never
// tracked. Pure: the caller supplies the time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/patch_result.h"
#include "switchyard/devcluster/objects/strategic_merge.h"
#include "switchyard/devcluster/objects/structural_schema.h"

namespace switchyard::devcluster::objects {

// How the lists of one kind merge under apply, by field path with list items
// transparent ("spec.template.spec.containers"): keys for associative lists,
// an empty key list for sets. Lists not named are atomic.
struct ApplyListTypes {
  std::map<std::string, std::vector<std::string>, std::less<>> lists;
};

// From a built-in kind's strategic-merge metadata (merge keys -> map lists,
// primitive merge lists -> sets).
[[nodiscard]] ApplyListTypes apply_list_types(const StrategicPatchMeta& meta);
// From a CRD schema's x-kubernetes-list-type map (with list-map-keys) and set.
[[nodiscard]] ApplyListTypes apply_list_types(const SchemaNode& schema);

struct ApplyOptions {
  std::string manager;      // fieldManager query parameter (required by the server)
  std::string api_version;  // of the request, e.g. "switchyard.io/v1alpha1"
  std::string subresource;  // "" or "status"
  std::string now;          // RFC 3339 time for the managedFields entry
  bool force = false;
  const ApplyListTypes* list_types = nullptr;  // nullptr: every list atomic
};

// Applies `applied` (a JSON object) to `live` (an empty object when the
// apply creates the object). kMalformed when `applied` is not an object or the
// manager is empty; kConflict with the API server's "Apply failed with N
// conflict(s): ..." message. On failure `live` is untouched.
[[nodiscard]] PatchOutcome server_side_apply(rapidjson::Document& live, const rapidjson::Value& applied,
                                             const ApplyOptions& options);

}  // namespace switchyard::devcluster::objects
