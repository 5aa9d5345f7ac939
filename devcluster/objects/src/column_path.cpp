#include "switchyard/devcluster/objects/column_path.h"

#include <charconv>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {

struct ColumnPathParser {
  std::string_view text;
  std::size_t at = 0;
  std::string error;

  ParsedColumnPath fail(const std::string& why) {
    return {std::nullopt, why + " in " + std::string(text)};
  }

  ParsedColumnPath parse(std::string_view original) {
    text = original;
    std::string_view body = original;
    if (!body.empty() && body.front() == '{') {
      if (body.back() != '}') return fail("unterminated {");
      body = body.substr(1, body.size() - 2);
    }
    ColumnPath path;
    path.text_ = std::string(original);
    std::size_t i = 0;
    if (body.empty() || (body[0] != '.' && body[0] != '[')) return fail("path must start with . or [");
    while (i < body.size()) {
      auto step = std::make_shared<ColumnPathStep>();
      if (body[i] == '.') {
        ++i;
        std::size_t start = i;
        while (i < body.size() && body[i] != '.' && body[i] != '[') ++i;
        if (i == start) {
          if (body.size() == 1) break;  // "." alone: the whole object
          return fail("empty field name");
        }
        std::string_view name = body.substr(start, i - start);
        if (name == "*") step->kind = ColumnPathStep::Kind::kWildcard;
        else { step->kind = ColumnPathStep::Kind::kField; step->name = std::string(name); }
      } else if (body[i] == '[') {
        std::size_t close = find_close(body, i);
        if (close == std::string_view::npos) return fail("unterminated [");
        std::string_view inner = body.substr(i + 1, close - i - 1);
        i = close + 1;
        if (inner == "*") {
          step->kind = ColumnPathStep::Kind::kWildcard;
        } else if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') && inner.back() == inner.front()) {
          step->kind = ColumnPathStep::Kind::kField;
          step->name = std::string(inner.substr(1, inner.size() - 2));
        } else if (inner.rfind("?(", 0) == 0 && inner.back() == ')') {
          if (!parse_filter(inner.substr(2, inner.size() - 3), *step)) return fail(error);
        } else {
          long long index = 0;
          auto [end, ec] = std::from_chars(inner.data(), inner.data() + inner.size(), index);
          if (ec != std::errc() || end != inner.data() + inner.size()) return fail("unsupported subscript [" + std::string(inner) + "]");
          step->kind = ColumnPathStep::Kind::kIndex;
          step->index = index;
        }
      } else {
        return fail("unexpected character '" + std::string(1, body[i]) + "'");
      }
      path.steps_.push_back(std::move(step));
    }
    return {std::move(path), {}};
  }

  // The "]" closing the "[" at `open`, skipping quoted literals.
  static std::size_t find_close(std::string_view body, std::size_t open) {
    char quote = 0;
    for (std::size_t i = open + 1; i < body.size(); ++i) {
      if (quote) { if (body[i] == quote) quote = 0; continue; }
      if (body[i] == '"' || body[i] == '\'') quote = body[i];
      else if (body[i] == ']') return i;
    }
    return std::string_view::npos;
  }

  // "@.type=="Ready"" or "@.weight!=0".
  bool parse_filter(std::string_view filter, ColumnPathStep& step) {
    step.kind = ColumnPathStep::Kind::kFilter;
    std::size_t op = filter.find("==");
    step.filter_equals = true;
    if (op == std::string_view::npos) {
      op = filter.find("!=");
      step.filter_equals = false;
    }
    if (op == std::string_view::npos) { error = "filter needs == or !="; return false; }
    std::string_view left = trim(filter.substr(0, op));
    std::string_view right = trim(filter.substr(op + 2));
    if (left.rfind("@.", 0) != 0) { error = "filter must compare @.<field>"; return false; }
    step.name = std::string(left.substr(2));
    std::string literal(right);
    if (literal.size() >= 2 && literal.front() == '\'' && literal.back() == '\'')
      literal = "\"" + literal.substr(1, literal.size() - 2) + "\"";
    if (parse_json(literal, step.filter_value)) { error = "unsupported filter literal " + std::string(right); return false; }
    return true;
  }

  static std::string_view trim(std::string_view text) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    return text;
  }
};

namespace {

const rapidjson::Value* dotted_member(const rapidjson::Value& object, std::string_view dotted) {
  const rapidjson::Value* node = &object;
  while (node != nullptr && !dotted.empty()) {
    std::size_t dot = dotted.find('.');
    node = find_member(*node, dotted.substr(0, dot));
    dotted = dot == std::string_view::npos ? std::string_view() : dotted.substr(dot + 1);
  }
  return node;
}

}  // namespace

std::vector<const rapidjson::Value*> ColumnPath::evaluate(const rapidjson::Value& object) const {
  std::vector<const rapidjson::Value*> current{&object};
  for (const auto& step : steps_) {
    std::vector<const rapidjson::Value*> next;
    for (const rapidjson::Value* node : current) {
      switch (step->kind) {
        case ColumnPathStep::Kind::kField:
          if (const rapidjson::Value* member = find_member(*node, step->name)) next.push_back(member);
          break;
        case ColumnPathStep::Kind::kIndex:
          if (node->IsArray()) {
            long long size = node->Size();
            long long index = step->index < 0 ? size + step->index : step->index;
            if (index >= 0 && index < size) next.push_back(&(*node)[static_cast<rapidjson::SizeType>(index)]);
          }
          break;
        case ColumnPathStep::Kind::kWildcard:
          if (node->IsArray()) for (const auto& item : node->GetArray()) next.push_back(&item);
          else if (node->IsObject()) for (const auto& member : node->GetObject()) next.push_back(&member.value);
          break;
        case ColumnPathStep::Kind::kFilter:
          if (node->IsArray()) {
            for (const auto& item : node->GetArray()) {
              const rapidjson::Value* field = dotted_member(item, step->name);
              bool same = field != nullptr && *field == step->filter_value;
              if (field != nullptr && same == step->filter_equals) next.push_back(&item);
            }
          }
          break;
      }
    }
    current = std::move(next);
  }
  return current;
}

ParsedColumnPath parse_column_path(std::string_view text) { return ColumnPathParser{}.parse(text); }

}  // namespace switchyard::devcluster::objects
