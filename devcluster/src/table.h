// Server-side printing: meta.k8s.io/v1 Table responses with the kind's
// printer columns, for lists, single objects and watch events.
#pragma once

#include <string>
#include <vector>

#include "json_util.h"
#include "resource_types.h"

namespace switchyard::devcluster {

// Whether the Accept header asks for as=Table (v1 or v1beta1).
[[nodiscard]] bool wants_table(const std::string& accept);

struct TableOptions {
  bool include_column_definitions = true;
  // includeObject: "Object" (whole object), "None", or default PartialObjectMetadata.
  std::string include_object;
  std::string resource_version;
  std::string continue_token;
  std::string now;  // RFC 3339, for Age cells
};

[[nodiscard]] std::string table_json(const ResourceType& type, const std::vector<ObjectPtr>& objects,
                                     const TableOptions& options);

}  // namespace switchyard::devcluster
