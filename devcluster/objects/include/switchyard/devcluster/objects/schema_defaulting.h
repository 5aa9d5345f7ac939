// Structural-schema defaulting and pruning, as the API server applies them to
// custom resources before validation (pruning first, then defaults).
// Pure; both edit the document in place using its allocator.
#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/structural_schema.h"

namespace switchyard::devcluster::objects {

// Sets every absent property that has a `default` (and every null one whose
// schema is not nullable), recursing into objects, list items and map values,
// including values that were just defaulted.
void apply_schema_defaults(const SchemaNode& schema, rapidjson::Document& object);

// Removes members the schema does not list, except under
// x-kubernetes-preserve-unknown-fields, and always keeps apiVersion, kind and
// metadata at the root and in embedded resources. Returns the removed fields'
// paths ("spec.colour", "spec.list[0].x") in document order, which the server
// reports for fieldValidation=Warn ("unknown field \"spec.colour\"") and
// refuses with for Strict.
[[nodiscard]] std::vector<std::string> prune_unknown_fields(const SchemaNode& schema,
                                                            rapidjson::Document& object);

}  // namespace switchyard::devcluster::objects
