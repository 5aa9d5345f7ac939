#include "accept_header.h"

#include <cstdlib>

namespace switchyard::devcluster {

namespace {

std::string trim_spaces(const std::string& text) {
  std::size_t begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return parts;
    start = end + 1;
  }
}

// Go's strconv.ParseFloat as goautoneg calls it: the q text untrimmed, and 0
// for anything that is not entirely a number.
double parse_q(const std::string& text) {
  if (text.empty() || text.front() == ' ' || text.front() == '\t') return 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() ? value : 0;
}

// goautoneg's Less. It is not a strict weak ordering (a concrete type with a
// lower q still goes before a wildcard), so the order depends on the sort:
// Go's sort.Sort runs an insertion sort on the short slices Accept headers
// make (up to 12 clauses), which is what this does for any length.
bool goes_before(const AcceptClause& a, const AcceptClause& b) {
  if (a.q > b.q) return true;
  if (a.type != "*" && b.type == "*") return true;
  if (a.subtype != "*" && b.subtype == "*") return true;
  return false;
}

}  // namespace

std::string AcceptClause::param(const std::string& name) const {
  std::string value;
  for (const auto& [key, text] : params) {
    if (key == name) value = text;
  }
  return value;
}

bool AcceptClause::admits(const std::string& media_type, const std::string& media_subtype) const {
  return (type == media_type && (subtype == media_subtype || subtype == "*")) || (type == "*" && subtype == "*");
}

std::vector<AcceptClause> parse_accept(const std::string& header) {
  std::vector<AcceptClause> clauses;
  for (const std::string& part : split(header, ',')) {
    std::vector<std::string> pieces = split(trim_spaces(part), ';');
    std::vector<std::string> range = split(pieces[0], '/');
    AcceptClause clause;
    clause.type = trim_spaces(range[0]);
    if (range.size() == 1 && clause.type == "*") {
      clause.subtype = "*";
    } else if (range.size() == 2) {
      clause.subtype = trim_spaces(range[1]);
    } else {
      continue;
    }
    for (std::size_t i = 1; i < pieces.size(); ++i) {
      std::size_t equals = pieces[i].find('=');
      if (equals == std::string::npos) continue;
      std::string name = trim_spaces(pieces[i].substr(0, equals));
      std::string value = pieces[i].substr(equals + 1);
      if (name == "q") {
        clause.q = parse_q(value);
      } else {
        clause.params.emplace_back(std::move(name), trim_spaces(value));
      }
    }
    clauses.push_back(std::move(clause));
  }
  for (std::size_t i = 1; i < clauses.size(); ++i) {
    for (std::size_t j = i; j > 0 && goes_before(clauses[j], clauses[j - 1]); --j) std::swap(clauses[j], clauses[j - 1]);
  }
  return clauses;
}

}  // namespace switchyard::devcluster
