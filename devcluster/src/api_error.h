// Kubernetes Status errors: what went wrong as data, rendered to the JSON
// `Status` object real API servers send (reason, code, details, causes).
#pragma once

#include <string>
#include <vector>

namespace switchyard::devcluster {

struct StatusCause {
  std::string reason;  // FieldValueInvalid, FieldValueRequired, ...
  std::string message;
  std::string field;   // spec.backingServices[0].cluster
};

struct ApiError {
  int code = 500;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Invalid, BadRequest, ...
  std::string message;
  // details: the object's name, API group and kind (plural resource for
  // NotFound and friends, as real servers send), plus field causes.
  std::string name;
  std::string group;
  std::string kind;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;  // details.retryAfterSeconds when > 0 (429s)
};

[[nodiscard]] std::string status_json(const ApiError& error);
// The `Status` with status Success sent for a completed delete.
[[nodiscard]] std::string success_status_json(const std::string& name, const std::string& group,
                                              const std::string& kind, const std::string& uid);

// `qualified` is "resource.group" (or "resource" for the core group).
[[nodiscard]] ApiError not_found(const std::string& qualified, const std::string& group, const std::string& resource,
                                 const std::string& name);
[[nodiscard]] ApiError already_exists(const std::string& qualified, const std::string& group,
                                      const std::string& resource, const std::string& name);
[[nodiscard]] ApiError conflict(const std::string& qualified, const std::string& group, const std::string& resource,
                                const std::string& name);
[[nodiscard]] ApiError bad_request(std::string message);
// 422 Invalid: message is `Kind.group "name" is invalid: ` + causes.
[[nodiscard]] ApiError invalid(const std::string& kind_qualified, const std::string& group, const std::string& kind,
                               const std::string& name, std::vector<StatusCause> causes);
[[nodiscard]] ApiError unsupported_media_type(std::string message);
[[nodiscard]] ApiError method_not_allowed(std::string message);
[[nodiscard]] ApiError expired(std::string message);
[[nodiscard]] ApiError unauthorized();
[[nodiscard]] ApiError internal_error(std::string message);

}  // namespace switchyard::devcluster
