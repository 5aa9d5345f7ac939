// The PromQL templates of custom data-plane checks (spec.health.queries[]):
// which `{identifier}` variables they may use, found the same way by the
// core (validating a spec at apply time) and the agent (expanding them).
//
//   {namespace} {service} {workload}  the backing service's values
//   {window}                          the check's window as a PromQL duration
//
// PromQL never has a bare identifier between braces (a label matcher needs
// an operator), so `metric{job="x"}` is left as written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::core {

inline constexpr const char* kQueryVariables = "{namespace} {service} {workload} {window}";

[[nodiscard]] bool is_query_variable(std::string_view name);

// Walks `text`, calling `literal(text)` for what is not a variable and
// `variable(name, offset)` for each {identifier}; stops at the first error
// `variable` returns (an optional message).
template <typename OnLiteral, typename OnVariable>
std::optional<std::string> walk_query_template(const std::string& text, OnLiteral literal, OnVariable variable) {
  const auto identifier_char = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  std::size_t i = 0;
  while (i < text.size()) {
    const auto open = text.find('{', i);
    if (open == std::string::npos) break;
    std::size_t end = open + 1;
    while (end < text.size() && identifier_char(text[end])) ++end;
    if (end == open + 1 || end >= text.size() || text[end] != '}') {
      literal(text.substr(i, open + 1 - i));  // a label matcher's brace: PromQL, not a variable
      i = open + 1;
      continue;
    }
    literal(text.substr(i, open - i));
    if (auto error = variable(text.substr(open + 1, end - open - 1), open)) return error;
    i = end + 1;
  }
  if (i < text.size()) literal(text.substr(i));
  return std::nullopt;
}

// "unknown variable {svc} at offset 31 (known: ...)" for the first unknown
// variable; nothing when every one is known.
[[nodiscard]] std::optional<std::string> query_template_problem(const std::string& text);

// Whether the template names the service ({namespace}, {service} or
// {workload}): if not, one query answers for every service.
[[nodiscard]] bool query_template_names_service(const std::string& text);

}  // namespace switchyard::core
