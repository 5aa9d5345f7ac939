// Validates an object against a compiled structural schema and reports every
// violation as the API server does for custom resources (kube-openapi messages
// mapped to field errors), e.g.
//   {FieldValueInvalid, "spec.backingServices[0].priority",
//    "Invalid value: -1: spec.backingServices[0].priority in body should be greater than or equal to 0"}
//   {FieldValueRequired, "spec.backingServices[0].cluster", "Required value"}
//   {FieldValueTypeInvalid, "spec.replicas",
//    "Invalid value: \"string\": spec.replicas in body must be of type integer: \"string\""}
//   {FieldValueNotSupported, "status.state",
//    "Unsupported value: \"Up\": supported values: \"Primary\", \"FailedOver\""}
//   {FieldValueTooLong, "spec.service", "Too long: may not be more than 63 bytes"}
//   {FieldValueTooMany, "spec.consumers", "Too many: 65: must have at most 64 items"}
//   {FieldValueDuplicate, "spec.consumers[1]", "Duplicate value: \"east\""}
// Run it after pruning and defaulting, as the server does. Pure.
#pragma once

#include <cstddef>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/devcluster/objects/field_cause.h"
#include "switchyard/devcluster/objects/structural_schema.h"

namespace switchyard::devcluster::objects {

// Strings longer than this are not matched against `pattern` (std::regex
// backtracks recursively and could exhaust the stack); they get a
// FieldValueInvalid cause saying so instead.
inline constexpr std::size_t kMaxPatternInput = 8192;

// Every cause, in document order; empty when the object is valid.
[[nodiscard]] std::vector<FieldCause> validate_against_schema(const SchemaNode& schema,
                                                              const rapidjson::Value& object);

}  // namespace switchyard::devcluster::objects
