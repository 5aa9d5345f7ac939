// JSON merge patch (RFC 7386), as `application/merge-patch+json` PATCH
// requests apply it: objects merge member by member, `null` deletes a member,
// anything else (arrays included) replaces the target value whole.
// Pure; the target's allocator owns every value added.
#pragma once

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/patch_result.h"

namespace switchyard::devcluster::objects {

// Applies `patch` to `target` in place. The patch must come from parse_json
// (depth-bounded); fails only with kMalformed when it is not a JSON object
// (the API server refuses such bodies when decoding the result), leaving the
// target untouched.
[[nodiscard]] PatchOutcome apply_merge_patch(rapidjson::Document& target,
                                             const rapidjson::Value& patch);

// The RFC's MergePatch(target, patch) on any value, where a non-object patch
// replaces the target. Used by strategic merge and server-side apply too.
void merge_patch_value(rapidjson::Value& target, const rapidjson::Value& patch,
                       rapidjson::Document::AllocatorType& allocator);

// The merge patch that turns `original` into `modified` (objects recursively,
// removed members as null, everything else whole). Used by tests and the fuzzer
// to check round trips.
[[nodiscard]] rapidjson::Value create_merge_patch(const rapidjson::Value& original,
                                                  const rapidjson::Value& modified,
                                                  rapidjson::Document::AllocatorType& allocator);

}  // namespace switchyard::devcluster::objects
