// Result of decoding untrusted input (a request body, an object from the
// API): either a value, or every problem found, each naming its field
// (`services[2].readyEndpoints: ...`).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace switchyard::core {

struct FieldError {
  std::string field;  // JSON path, e.g. "services[2].role"; empty for the whole body
  std::string message;

  [[nodiscard]] std::string to_string() const {
    return field.empty() ? message : field + ": " + message;
  }
  bool operator==(const FieldError&) const = default;
};

template <class T>
struct [[nodiscard]] Decoded {
  std::optional<T> value;
  std::vector<FieldError> errors;

  [[nodiscard]] bool ok() const { return value.has_value(); }

  // All errors in one line, for an HTTP 400 message or a log.
  [[nodiscard]] std::string message() const {
    std::string joined;
    for (const auto& error : errors) {
      if (!joined.empty()) joined += "; ";
      joined += error.to_string();
    }
    return joined;
  }
};

}  // namespace switchyard::core
