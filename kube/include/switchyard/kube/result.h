// The outcome of a Kubernetes API call: a value or an ApiError. Expected
// failures (transport, HTTP Status, bad configuration) travel in Result and
// never as exceptions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace switchyard::kube {

// One failed request, either at the transport (code 0) or a Kubernetes
// Status returned by the server (code = HTTP status, reason = Status.reason).
struct ApiError {
  int code = 0;                 // HTTP status; 0 = transport/config error
  std::string reason;           // NotFound, AlreadyExists, Conflict, Invalid, Expired, Gone...
  std::string message;          // Status.message or the transport error text
  std::optional<std::chrono::seconds> retry_after;  // from 429/503 Retry-After
  std::vector<std::string> causes;                  // Status.details.causes as "field: message"

  // "409 Conflict: Operation cannot be fulfilled on ..." / "transport: connect failed ..."
  [[nodiscard]] std::string to_string() const;
  [[nodiscard]] bool not_found() const { return code == 404; }
  [[nodiscard]] bool conflict() const { return code == 409 && reason != "AlreadyExists"; }
  [[nodiscard]] bool already_exists() const { return code == 409 && reason == "AlreadyExists"; }
  [[nodiscard]] bool gone() const { return code == 410 || reason == "Expired" || reason == "Gone"; }
  [[nodiscard]] bool unauthorized() const { return code == 401; }
  [[nodiscard]] bool forbidden() const { return code == 403; }
  [[nodiscard]] bool too_many_requests() const { return code == 429; }
  [[nodiscard]] bool transport() const { return code == 0; }
  // The server could not be reached or the connection broke (refused, reset,
  // closed): worth retrying soon, unlike a timeout or a TLS failure.
  static constexpr const char* kUnreachable = "Unreachable";
  [[nodiscard]] bool unreachable() const { return code == 0 && reason == kUnreachable; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}       // NOLINT: implicit by design
  Result(ApiError error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Calling value() on an error (or error() on a value) is a programming error.
  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const ApiError& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, ApiError> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(ApiError error) : error_(std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const ApiError& error() const { return *error_; }

 private:
  std::optional<ApiError> error_;
};

}  // namespace switchyard::kube
