// The strategic-merge-patch subset kubectl sends for built-in kinds
// (`application/strategic-merge-patch+json`): merge-patch semantics plus
//   - lists merged by key where the Kubernetes types say so (containers and
//     volumes by name, container ports by containerPort, service ports by
//     port, env by name, conditions by type, ownerReferences by uid, ...),
//     primitive lists (finalizers) merged as sets;
//   - directives: `$patch: replace|delete|merge` on maps and list items,
//     `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
//     `$setElementOrder/<field>` (listed items first, in that order; items
//     only on the server keep their relative order after them).
// Custom resources have no patch metadata: strategic merge on them is
// refused with kUnsupported, which the server maps to 415. Pure; on failure
// the target is untouched.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/patch_result.h"

namespace switchyard::devcluster::objects {

struct ListPatchStrategy {
  std::string merge_key;  // empty: primitive list merged as a set
};

// Patch metadata of one built-in kind: list strategies by field path with
// list items transparent ("spec.template.spec.containers.ports"). Lists not
// named here are replaced whole, as for atomic lists.
struct StrategicPatchMeta {
  // `$retainKeys` needs no metadata: kubectl puts the directive in the patch.
  std::map<std::string, ListPatchStrategy, std::less<>> lists;
};

// Metadata for a built-in kind served by devcluster (core, apps,
// discovery.k8s.io, coordination.k8s.io, rbac.authorization.k8s.io,
// apiextensions.k8s.io, events.k8s.io), or nullptr for anything else (custom
// resources). `group` is "" for the core group.
[[nodiscard]] const StrategicPatchMeta* strategic_patch_meta(std::string_view group, std::string_view kind);

// Applies a strategic merge patch. `meta` nullptr -> kUnsupported with the
// API server's 415 message. A patch that is not an object, an unknown
// `$patch` value, a merge-list item without its merge key or a malformed
// directive -> kMalformed; patch keys outside `$retainKeys` -> kNotApplicable.
[[nodiscard]] PatchOutcome apply_strategic_merge_patch(rapidjson::Document& target, const rapidjson::Value& patch,
                                                       const StrategicPatchMeta* meta);

}  // namespace switchyard::devcluster::objects
