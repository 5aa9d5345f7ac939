// PATCH bodies by content type, applied with the objects library.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "api_error.h"
#include "api_types.h"
#include "resource_types.h"

namespace switchyard::devcluster {

enum class PatchKind { kJson, kMerge, kStrategicMerge, kApply, kUnsupported };

[[nodiscard]] PatchKind patch_kind(const std::string& content_type);

// Applies the request's patch to `target` (a copy of the stored object, or
// an empty object when server-side apply creates). `subresource` ("" or
// "status") and `now` (RFC 3339) go into server-side apply's managedFields.
// Returns the Status error for a patch that cannot apply.
[[nodiscard]] std::optional<ApiError> apply_patch(PatchKind kind, const ResourceType& type, const ApiRequest& request,
                                                  const std::string& subresource, const std::string& now,
                                                  rapidjson::Document& target);

}  // namespace switchyard::devcluster
