// Kubernetes name rules, checked at the edge so that a bad name is refused
// with the rule it breaks rather than failing later in a cluster.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::core {

// RFC 1123 label (namespaces): lower-case alphanumerics and '-', starting and
// ending alphanumeric, at most 63 characters. Returns why not, or nothing.
[[nodiscard]] std::optional<std::string> dns1123_label_problem(std::string_view name);

// RFC 1123 subdomain (most object names): labels joined by '.', at most 253.
[[nodiscard]] std::optional<std::string> dns1123_subdomain_problem(std::string_view name);

}  // namespace switchyard::core
