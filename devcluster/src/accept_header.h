// The Accept header read the way Kubernetes API servers read it
// (github.com/munnerz/goautoneg, which k8s.io/apiserver's content
// negotiation uses), so that devcluster picks the representation a real
// server would pick for the same header.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace switchyard::devcluster {

struct AcceptClause {
  std::string type;     // "application", or "*"
  std::string subtype;  // "json", or "*"
  double q = 1.0;       // an unparsable q is 0, as Go's ParseFloat leaves it
  // Parameters other than q in header order; a repeated name: the last wins.
  std::vector<std::pair<std::string, std::string>> params;

  // The value of parameter `name`, "" when absent.
  [[nodiscard]] std::string param(const std::string& name) const;
  // Whether this clause admits `type`/`subtype` (exactly, type/*, or */*).
  [[nodiscard]] bool admits(const std::string& media_type, const std::string& media_subtype) const;
};

// The clauses in goautoneg's order: higher q first, then a concrete type
// before "*", then a concrete subtype before "*"; otherwise as sent.
// Malformed clauses (no '/' and not "*") are dropped, as goautoneg drops them.
[[nodiscard]] std::vector<AcceptClause> parse_accept(const std::string& header);

}  // namespace switchyard::devcluster
