// Custom resources checked against their CRD's structural schema, as the
// API server does on every write: prune unknown fields (an error with
// fieldValidation=Strict), apply defaults, validate.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>

#include "api_error.h"
#include "resource_types.h"

namespace switchyard::devcluster {

// Checks a custom object against its CRD schema (fieldValidation: Strict,
// Warn or Ignore); 422 Invalid naming each field.
[[nodiscard]] std::optional<ApiError> validate_custom_object(const ResourceType& type, rapidjson::Document& object,
                                                             const std::string& field_validation);

}  // namespace switchyard::devcluster
