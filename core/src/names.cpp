#include "switchyard/core/names.h"

namespace switchyard::core {
namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::optional<std::string> label_problem(std::string_view name, std::size_t max) {
  if (name.empty()) return "must not be empty";
  if (name.size() > max) return "must be at most " + std::to_string(max) + " characters";
  for (char c : name) {
    if (!is_lower_alnum(c) && c != '-') {
      return "\"" + std::string(name) +
             "\" may contain only lower-case letters, digits and '-'";
    }
  }
  if (!is_lower_alnum(name.front()) || !is_lower_alnum(name.back())) {
    return "\"" + std::string(name) + "\" must start and end with a letter or digit";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> dns1123_label_problem(std::string_view name) {
  return label_problem(name, 63);
}

std::optional<std::string> dns1123_subdomain_problem(std::string_view name) {
  if (name.size() > 253) return "must be at most 253 characters";
  if (name.empty()) return "must not be empty";
  std::size_t start = 0;
  while (true) {
    const auto dot = name.find('.', start);
    const auto label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (auto problem = label_problem(label, 63)) {
      return "\"" + std::string(name) + "\" is not a DNS subdomain: " + *problem;
    }
    if (dot == std::string_view::npos) return std::nullopt;
    start = dot + 1;
  }
}

}  // namespace switchyard::core
