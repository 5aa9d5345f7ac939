// The answer of Prometheus's instant-query API (/api/v1/query), decoded once
// at the edge into typed values. The body is untrusted: anything that is not
// exactly the documented shape is an error naming the field, never a number.
#pragma once

#include <map>
#include <string>
#include <variant>
#include <vector>

namespace switchyard::agent {

// One element of an instant vector: its label set and its value. The value
// may be NaN or ±Inf (Prometheus sends "NaN", "+Inf", "-Inf"); what such a
// value means is the caller's call, not the decoder's.
struct PromSample {
  std::map<std::string, std::string> labels;
  double value = 0;
  double timestamp = 0;  // seconds since the epoch, as Prometheus evaluated it
};

struct PromVector {
  std::vector<PromSample> samples;  // a scalar result is one sample without labels
  std::vector<std::string> warnings;
};

enum class PromErrorKind {
  Unreachable,  // no HTTP answer (connection refused, timeout, TLS)
  Http,         // an HTTP status without Prometheus's error body (a proxy's 502, a 401 from an auth proxy)
  Query,        // Prometheus answered status "error" (bad_data, timeout, execution, ...)
  Malformed,    // a body that is not the API's JSON shape
};

struct PromError {
  PromErrorKind kind;
  std::string message;  // "bad_data: 1:7: parse error: ..." or "data.result[2].value[1]: expected a string"
};

using PromQueryResult = std::variant<PromVector, PromError>;

// Decodes an /api/v1/query answer with HTTP status `http_status`. Accepts the
// result types "vector" and "scalar"; "matrix" and "string" are errors (an
// instant check needs one number per series).
[[nodiscard]] PromQueryResult decode_query_response(int http_status, const std::string& body);

}  // namespace switchyard::agent
