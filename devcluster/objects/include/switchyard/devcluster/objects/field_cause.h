// Validation causes in the API server's form (metav1.StatusCause) and the
// Status message that aggregates them, e.g.
//   FailoverService.switchyard.io "x" is invalid: spec.backingServices[0].priority:
//   Invalid value: -1: spec.backingServices[0].priority in body should be greater than or equal to 0
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchyard::devcluster::objects {

enum class CauseReason {
  kRequired,      // FieldValueRequired     "Required value"
  kInvalid,       // FieldValueInvalid      "Invalid value: <v>: <detail>"
  kTypeInvalid,   // FieldValueTypeInvalid  "Invalid value: <v>: <detail>"
  kNotSupported,  // FieldValueNotSupported "Unsupported value: <v>: supported values: ..."
  kTooLong,       // FieldValueTooLong      "Too long: may not be more than N bytes"
  kTooMany,       // FieldValueTooMany      "Too many: <n>: must have at most N items"
  kDuplicate,     // FieldValueDuplicate    "Duplicate value: <v>"
  kForbidden,     // FieldValueForbidden    "Forbidden: <detail>"
};

struct FieldCause {
  CauseReason reason;
  std::string field;    // "spec.backingServices[0].cluster"; empty for the whole object
  std::string message;  // the cause's message, without the field

  // "field: message" as the Status message lists it.
  [[nodiscard]] std::string text() const;
  bool operator==(const FieldCause&) const = default;
};

// "FieldValueRequired", ... as sent in details.causes[].reason.
[[nodiscard]] std::string_view cause_reason_name(CauseReason reason);

// The Invalid Status message: `<kind> "<name>" is invalid: <one cause>` or
// with several causes `[<c1>, <c2>]` (identical texts listed once, as Go's
// aggregate does). `qualified_kind` is "Service" for the core group and
// "FailoverService.switchyard.io" otherwise.
[[nodiscard]] std::string invalid_status_message(std::string_view qualified_kind,
                                                 std::string_view name,
                                                 const std::vector<FieldCause>& causes);

// Field path helpers: child("spec", "x") -> "spec.x", child("", "spec") ->
// "spec", index("spec.list", 2) -> "spec.list[2]", key("spec.labels", "a")
// -> "spec.labels[a]".
[[nodiscard]] std::string child_path(std::string_view parent, std::string_view name);
[[nodiscard]] std::string index_path(std::string_view parent, std::size_t index);
[[nodiscard]] std::string key_path(std::string_view parent, std::string_view key);

}  // namespace switchyard::devcluster::objects
