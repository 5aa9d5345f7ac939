#include "switchyard/devcluster/objects/label_selector.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <regex>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

enum class Token { kEnd, kIdentifier, kComma, kNot, kEquals, kDoubleEquals, kNotEquals, kIn, kNotIn,
                   kOpen, kClose, kGreater, kLess };

struct Lexed {
  Token token;
  std::string text;
};

bool is_special(char c) {
  return c == ',' || c == '!' || c == '=' || c == '(' || c == ')' || c == '<' || c == '>';
}

// Splits the selector into tokens the way apimachinery's lexer does: runs of
// non-special, non-space characters are identifiers ("in"/"notin" keywords).
std::vector<Lexed> lex(std::string_view text) {
  std::vector<Lexed> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) { ++i; continue; }
    if (c == '!' && i + 1 < text.size() && text[i + 1] == '=') { tokens.push_back({Token::kNotEquals, "!="}); i += 2; continue; }
    if (c == '=' && i + 1 < text.size() && text[i + 1] == '=') { tokens.push_back({Token::kDoubleEquals, "=="}); i += 2; continue; }
    switch (c) {
      case ',': tokens.push_back({Token::kComma, ","}); ++i; continue;
      case '!': tokens.push_back({Token::kNot, "!"}); ++i; continue;
      case '=': tokens.push_back({Token::kEquals, "="}); ++i; continue;
      case '(': tokens.push_back({Token::kOpen, "("}); ++i; continue;
      case ')': tokens.push_back({Token::kClose, ")"}); ++i; continue;
      case '>': tokens.push_back({Token::kGreater, ">"}); ++i; continue;
      case '<': tokens.push_back({Token::kLess, "<"}); ++i; continue;
      default: break;
    }
    std::size_t start = i;
    while (i < text.size() && !is_special(text[i]) && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string word(text.substr(start, i - start));
    Token token = word == "in" ? Token::kIn : word == "notin" ? Token::kNotIn : Token::kIdentifier;
    tokens.push_back({token, std::move(word)});
  }
  tokens.push_back({Token::kEnd, ""});
  return tokens;
}

const char* kNameMessage =
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const char* kValueMessage =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
    "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const char* kPrefixMessage =
    "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

bool is_label_name(std::string_view text) {
  static const std::regex name("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$");
  return !text.empty() && text.size() <= 63 && std::regex_match(text.begin(), text.end(), name);
}

// IsQualifiedName: [prefix/]name, prefix a DNS subdomain of at most 253.
std::string key_problems(std::string_view key) {
  std::vector<std::string> problems;
  std::string_view name = key;
  std::size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    static const std::regex subdomain(R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
    if (prefix.empty()) problems.push_back("prefix part must be non-empty");
    else if (prefix.size() > 253) problems.push_back("prefix part must be no more than 253 characters");
    else if (!std::regex_match(prefix.begin(), prefix.end(), subdomain)) problems.push_back(kPrefixMessage);
    if (name.find('/') != std::string_view::npos) {
      return "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
             "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
             "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix "
             "and '/' (e.g. 'example.com/MyName')";
    }
  }
  if (name.empty()) problems.push_back("name part must be non-empty");
  else if (name.size() > 63) problems.push_back("name part must be no more than 63 characters");
  else if (!is_label_name(name)) problems.push_back(kNameMessage);
  std::string joined;
  for (const std::string& problem : problems) joined += (joined.empty() ? "" : "; ") + problem;
  return joined;
}

std::string value_problems(std::string_view value) {
  if (value.empty()) return {};
  if (value.size() > 63) return "must be no more than 63 characters";
  return is_label_name(value) ? std::string() : std::string(kValueMessage);
}

class Parser {
 public:
  explicit Parser(std::string_view text) : tokens_(lex(text)) {}

  ParsedLabelSelector parse() {
    LabelSelector selector;
    while (true) {
      const Lexed& next = peek();
      if (next.token == Token::kEnd) break;
      if (next.token != Token::kIdentifier && next.token != Token::kNot)
        return fail("found '" + next.text + "', expected: !, identifier, or 'end of string'");
      std::optional<LabelRequirement> requirement = parse_requirement();
      if (!requirement) return fail(error_);
      selector.requirements.push_back(std::move(*requirement));
      const Lexed& after = take();
      if (after.token == Token::kEnd) break;
      if (after.token != Token::kComma)
        return fail("found '" + after.text + "', expected: ',' or 'end of string'");
      if (peek().token == Token::kEnd) return fail("found '', expected: identifier after ','");
    }
    // The API server sorts requirements by key; keep that order for printing.
    std::stable_sort(selector.requirements.begin(), selector.requirements.end(),
                     [](const auto& a, const auto& b) { return a.key < b.key; });
    return {std::move(selector), {}};
  }

 private:
  const Lexed& peek() const { return tokens_[position_]; }
  const Lexed& take() {
    const Lexed& token = tokens_[position_];
    if (token.token != Token::kEnd) ++position_;
    return token;
  }
  static ParsedLabelSelector fail(std::string message) {
    return {std::nullopt, "unable to parse requirement: " + std::move(message)};
  }
  std::nullopt_t error(std::string message) {
    error_ = std::move(message);
    return std::nullopt;
  }

  std::optional<LabelRequirement> parse_requirement() {
    LabelRequirement requirement;
    bool negated = false;
    if (peek().token == Token::kNot) {
      take();
      negated = true;
    }
    const Lexed& key = take();
    if (key.token != Token::kIdentifier)
      return error("found '" + key.text + "', expected: identifier");
    if (std::string problems = key_problems(key.text); !problems.empty())
      return error("key: Invalid value: " + go_quote(key.text) + ": " + problems);
    requirement.key = key.text;
    Token next = peek().token;
    if (next == Token::kEnd || next == Token::kComma) {
      requirement.op = negated ? LabelOperator::kDoesNotExist : LabelOperator::kExists;
      return requirement;
    }
    if (negated) return error("found '" + peek().text + "', expected: ',' or 'end of string'");
    const Lexed& op = take();
    switch (op.token) {
      case Token::kEquals:
      case Token::kDoubleEquals: requirement.op = LabelOperator::kEquals; break;
      case Token::kNotEquals: requirement.op = LabelOperator::kNotEquals; break;
      case Token::kIn: requirement.op = LabelOperator::kIn; break;
      case Token::kNotIn: requirement.op = LabelOperator::kNotIn; break;
      case Token::kGreater: requirement.op = LabelOperator::kGreaterThan; break;
      case Token::kLess: requirement.op = LabelOperator::kLessThan; break;
      default: return error("found '" + op.text + "', expected: in, notin, =, ==, !=, gt, lt");
    }
    if (requirement.op == LabelOperator::kIn || requirement.op == LabelOperator::kNotIn) {
      if (take().token != Token::kOpen) return error("found '" + tokens_[position_ - 1].text + "', expected: '('");
      // "(a, b)", "()" and "(a,)" are all accepted; empty entries are "".
      while (true) {
        const Lexed& item = take();
        if (item.token == Token::kIdentifier) {
          requirement.values.push_back(item.text);
          const Lexed& separator = take();
          if (separator.token == Token::kClose) break;
          if (separator.token != Token::kComma)
            return error("found '" + separator.text + "', expected: ',', or ')'");
        } else if (item.token == Token::kComma) {
          requirement.values.emplace_back();
        } else if (item.token == Token::kClose) {
          if (requirement.values.empty() || tokens_[position_ - 2].token == Token::kComma)
            requirement.values.emplace_back();
          break;
        } else {
          return error("found '" + item.text + "', expected: ',', ')' or identifier");
        }
      }
    } else {
      const Lexed& value = peek();
      if (value.token == Token::kIdentifier) {
        requirement.values.push_back(value.text);
        take();
      } else if (value.token == Token::kEnd || value.token == Token::kComma) {
        requirement.values.emplace_back();
      } else {
        take();
        return error("found '" + value.text + "', expected: identifier");
      }
    }
    for (std::size_t i = 0; i < requirement.values.size(); ++i) {
      const std::string& value = requirement.values[i];
      if (requirement.op == LabelOperator::kGreaterThan || requirement.op == LabelOperator::kLessThan) {
        long long number = 0;
        auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (ec != std::errc() || end != value.data() + value.size())
          return error("values[0]: Invalid value: " + go_quote(value) +
                       ": for 'Gt', 'Lt' operators, the value must be an integer");
        continue;
      }
      if (std::string problems = value_problems(value); !problems.empty())
        return error("values[" + std::to_string(i) + "][" + requirement.key + "]: Invalid value: " +
                     go_quote(value) + ": " + problems);
    }
    return requirement;
  }

  std::vector<Lexed> tokens_;
  std::size_t position_ = 0;
  std::string error_;
};

bool requirement_matches(const LabelRequirement& requirement, const rapidjson::Value* labels) {
  std::optional<std::string_view> value =
      labels == nullptr ? std::nullopt : string_member(*labels, requirement.key);
  auto in_values = [&] {
    return std::find(requirement.values.begin(), requirement.values.end(), *value) != requirement.values.end();
  };
  switch (requirement.op) {
    case LabelOperator::kExists: return value.has_value();
    case LabelOperator::kDoesNotExist: return !value.has_value();
    case LabelOperator::kEquals:
    case LabelOperator::kIn: return value.has_value() && in_values();
    case LabelOperator::kNotEquals:
    case LabelOperator::kNotIn: return !value.has_value() || !in_values();
    case LabelOperator::kGreaterThan:
    case LabelOperator::kLessThan: {
      if (!value) return false;
      long long have = 0, want = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), have);
      if (ec != std::errc() || end != value->data() + value->size()) return false;
      const std::string& bound = requirement.values.front();
      std::from_chars(bound.data(), bound.data() + bound.size(), want);
      return requirement.op == LabelOperator::kGreaterThan ? have > want : have < want;
    }
  }
  return false;
}

}  // namespace

bool LabelSelector::matches(const rapidjson::Value* labels) const {
  if (labels != nullptr && !labels->IsObject()) labels = nullptr;
  for (const LabelRequirement& requirement : requirements)
    if (!requirement_matches(requirement, labels)) return false;
  return true;
}

ParsedLabelSelector parse_label_selector(std::string_view text) { return Parser(text).parse(); }

const rapidjson::Value* object_labels(const rapidjson::Value& object) {
  const rapidjson::Value* metadata = find_member(object, "metadata");
  return metadata == nullptr ? nullptr : find_member(*metadata, "labels");
}

}  // namespace switchyard::devcluster::objects
