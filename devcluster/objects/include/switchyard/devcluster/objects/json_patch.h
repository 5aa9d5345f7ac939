// JSON patch (RFC 6902) as `application/json-patch+json` PATCH requests apply
// it: add, remove, replace, move, copy and test, paths as JSON pointers
// (~0 ~1 escapes, "-" appends to an array). All operations succeed or the
// target is left untouched. Pure.
//
// Errors follow the API server: a document that is not a list of operations,
// an unknown op, a missing field or more than kMaxJsonPatchOperations is
// kMalformed (400); a path that does not fit the object is kNotApplicable and
// a failed `test` kTestFailed (both 422). Messages name the operation and path.
#pragma once

#include <cstddef>

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/patch_result.h"

namespace switchyard::devcluster::objects {

// The API server's cap on operations in one JSON patch.
inline constexpr std::size_t kMaxJsonPatchOperations = 10000;

[[nodiscard]] PatchOutcome apply_json_patch(rapidjson::Document& target,
                                            const rapidjson::Value& patch);

}  // namespace switchyard::devcluster::objects
