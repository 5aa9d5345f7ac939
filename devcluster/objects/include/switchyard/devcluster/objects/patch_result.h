// The outcome of applying any kind of patch. The HTTP layer maps the kind to a
// Status: kMalformed -> 400 BadRequest, kNotApplicable and kTestFailed -> 422
// Invalid, kUnsupported -> 415 UnsupportedMediaType, kConflict -> 409 Conflict.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace switchyard::devcluster::objects {

enum class PatchErrorKind {
  kMalformed,      // the patch document itself is not valid for its type
  kNotApplicable,  // valid patch that does not fit this object (missing path...)
  kTestFailed,     // a JSON patch `test` operation did not match
  kUnsupported,    // patch type not allowed for this object (strategic merge on a CR)
  kConflict,       // server-side apply: field owned by another manager
};

struct PatchError {
  PatchErrorKind kind;
  std::string message;  // names the path or field, e.g. "... doc is missing key: /spec/x"
};

// Empty on success. Failed patches leave the target unchanged.
struct [[nodiscard]] PatchOutcome {
  std::optional<PatchError> error;

  [[nodiscard]] bool ok() const { return !error.has_value(); }
  static PatchOutcome success() { return {}; }
  static PatchOutcome failure(PatchErrorKind kind, std::string message) {
    return {PatchError{kind, std::move(message)}};
  }
};

}  // namespace switchyard::devcluster::objects
