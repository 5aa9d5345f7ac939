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

// GET /openapi/v2. kubectl 1.27 and 1.28 read it, as protobuf, before every
// apply and give up when it is missing (later ones read v3 only). It carries
// no definitions: kubectl then skips its client-side schema check, as it does
// for any kind the document lacks, and the server validates (fieldValidation,
// announced in v3). Chosen from the Accept header as kube-openapi's handler
// chooses: the first clause admitting JSON or the protobuf form; none: 406.
struct OpenApiV2 {
  int status = 200;
  std::string body;
  std::string content_type;
};
[[nodiscard]] OpenApiV2 openapi_v2_document(const std::string& accept);

}  // namespace switchyard::devcluster
