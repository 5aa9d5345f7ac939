// OpenAPI v3 documents: the /openapi/v3 index and one document per
// group-version, with x-kubernetes-group-version-kind on schemas and
// operations, the fieldValidation parameter on PATCH, and CRD schemas, which
// is what kubectl needs for apply/create/replace validation and explain.
#pragma once

#include <optional>
#include <string>

#include "resource_types.h"

namespace switchyard::devcluster {

[[nodiscard]] std::string openapi_index_json(const ResourceTypes& types);
// `gv_path`: "api/v1" or "apis/<group>/<version>"; nullopt when not served.
[[nodiscard]] std::optional<std::string> openapi_document_json(const ResourceTypes& types, const std::string& gv_path);

}  // namespace switchyard::devcluster
