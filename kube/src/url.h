// Percent-encoding for REST paths and query strings (RFC 3986 unreserved
// characters pass through; label selectors' '=', ',', '!' and spaces do not).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::kube::url {

std::string encode_query_value(std::string_view value);
std::string encode_path_segment(std::string_view segment);

// Builds "?a=1&b=x%3Dy" from the non-empty pairs (empty string if none).
class Query {
 public:
  Query& add(std::string_view key, std::string_view value);  // skipped when value is empty
  Query& add(std::string_view key, int value);                // skipped when value <= 0
  std::string str() const;

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

}  // namespace switchyard::kube::url
