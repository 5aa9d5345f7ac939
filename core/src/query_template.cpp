#include "switchyard/core/query_template.h"

namespace switchyard::core {

bool is_query_variable(std::string_view name) {
  return name == "namespace" || name == "service" || name == "workload" || name == "window";
}

std::optional<std::string> query_template_problem(const std::string& text) {
  return walk_query_template(
      text, [](const std::string&) {},
      [](const std::string& name, std::size_t offset) -> std::optional<std::string> {
        if (is_query_variable(name)) return std::nullopt;
        return "unknown variable {" + name + "} at offset " + std::to_string(offset) + " (known: " +
               kQueryVariables + ")";
      });
}

bool query_template_names_service(const std::string& text) {
  bool names = false;
  (void)walk_query_template(
      text, [](const std::string&) {},
      [&names](const std::string& name, std::size_t) -> std::optional<std::string> {
        names = names || name == "namespace" || name == "service" || name == "workload";
        return std::nullopt;
      });
  return names;
}

}  // namespace switchyard::core
