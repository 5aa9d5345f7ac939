#include "switchyard/devcluster/objects/yaml_json.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "switchyard/devcluster/objects/json_document.h"

namespace switchyard::devcluster::objects {
namespace {

using Allocator = rapidjson::Document::AllocatorType;

bool one_of(const std::string& text, std::initializer_list<const char*> options) {
  for (const char* option : options)
    if (text == option) return true;
  return false;
}

bool parse_integer(const std::string& text, rapidjson::Value& out) {
  std::string digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    negative = digits[0] == '-';
    digits.erase(0, 1);
  }
  int base = 10;
  if (digits.rfind("0x", 0) == 0) { base = 16; digits.erase(0, 2); }
  else if (digits.rfind("0o", 0) == 0) { base = 8; digits.erase(0, 2); }
  if (digits.empty()) return false;
  for (char c : digits) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                         : (c >= '0' && c <= (base == 8 ? '7' : '9'));
    if (!ok) return false;
  }
  errno = 0;
  unsigned long long magnitude = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) return false;
  if (negative) {
    if (magnitude > static_cast<unsigned long long>(std::numeric_limits<long long>::max()) + 1ULL) return false;
    out.SetInt64(static_cast<int64_t>(0ULL - magnitude));
  } else {
    out.SetUint64(magnitude);
  }
  return true;
}

bool parse_float(const std::string& text, rapidjson::Value& out) {
  if (one_of(text, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) { out.SetDouble(INFINITY); return true; }
  if (one_of(text, {"-.inf", "-.Inf", "-.INF"})) { out.SetDouble(-INFINITY); return true; }
  if (one_of(text, {".nan", ".NaN", ".NAN"})) { out.SetDouble(NAN); return true; }
  // [-+]? digits [. digits] [e[-+]digits], with at least one digit.
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; ++digits; }
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; ++digits; }
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    std::size_t exponent_digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) { ++i; ++exponent_digits; }
    if (exponent_digits == 0) return false;
  }
  if (i != text.size()) return false;
  out.SetDouble(std::strtod(text.c_str(), nullptr));
  return true;
}

void plain_scalar(const std::string& text, rapidjson::Value& out, Allocator& allocator) {
  if (one_of(text, {"", "~", "null", "Null", "NULL"})) { out.SetNull(); return; }
  if (one_of(text, {"true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "on", "On", "ON"})) { out.SetBool(true); return; }
  if (one_of(text, {"false", "False", "FALSE", "no", "No", "NO", "n", "N", "off", "Off", "OFF"})) { out.SetBool(false); return; }
  if (parse_integer(text, out) || parse_float(text, out)) return;
  out.SetString(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

struct Converter {
  Allocator& allocator;
  std::size_t values = 0;
  std::string error;

  bool convert(const YAML::Node& node, rapidjson::Value& out, std::size_t depth) {
    if (++values > kMaxYamlValues) {
      error = "YAML expands to more than " + std::to_string(kMaxYamlValues) + " values";
      return false;
    }
    if (depth > kMaxJsonDepth) {
      error = "YAML nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out.SetNull();
        return true;
      case YAML::NodeType::Scalar: {
        const std::string& text = node.Scalar();
        // yaml-cpp tags quoted and explicitly-typed-as-string scalars "!" or "!!str".
        if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str")
          out.SetString(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), allocator);
        else
          plain_scalar(text, out, allocator);
        if (out.IsDouble() && !std::isfinite(out.GetDouble())) {
          // JSON has no infinity or NaN; the API server's YAML decoder fails too.
          error = "YAML value " + text + " at line " + std::to_string(node.Mark().line + 1) +
                  " cannot be represented in JSON";
          return false;
        }
        return true;
      }
      case YAML::NodeType::Sequence:
        out.SetArray();
        for (const YAML::Node& item : node) {
          rapidjson::Value converted;
          if (!convert(item, converted, depth + 1)) return false;
          out.PushBack(converted, allocator);
        }
        return true;
      case YAML::NodeType::Map:
        out.SetObject();
        for (const auto& entry : node) {
          if (!entry.first.IsScalar() && !entry.first.IsNull()) {
            error = "YAML mapping key at line " + std::to_string(entry.first.Mark().line + 1) +
                    " is not a scalar";
            return false;
          }
          std::string key = entry.first.IsNull() ? "null" : entry.first.Scalar();
          rapidjson::Value converted;
          if (!convert(entry.second, converted, depth + 1)) return false;
          set_member(out, key, std::move(converted), allocator);
        }
        return true;
    }
    return true;
  }
};

// Parses without building anything: how many documents there are, and
// how many values the first one holds.
class DocumentCounter : public YAML::EventHandler {
 public:
  struct TooManyValues {};
  std::size_t values = 0;  // in the documents handled so far

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { count(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { count(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override { count(); }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count();
  }
  void OnMapEnd() override {}

 private:
  void count() {
    if (++values > kMaxYamlValues) throw TooManyValues{};
  }
};

struct DocumentShape {
  std::size_t documents = 0;  // up to two
  bool too_many_values = false;
};

// Two things LoadAll must never be given:
// - yaml-cpp 0.7 never consumes a "," at a document's top level (a body of
//   "," or "'a',"): LoadAll then yields empty documents forever, allocating
//   until memory runs out. Counting documents up to two first bounds that.
// - its nodes cost about 500 bytes per value: a 3 MB body of "- a" lines
//   (786,000 values) took 400 MB before the conversion's value limit
//   refused it. Counting values first, on parser events that build nothing,
//   refuses it before a node exists.
DocumentShape shape_of(const std::string& text) {
  std::istringstream stream(text);
  YAML::Parser parser(stream);
  DocumentCounter counter;
  DocumentShape shape;
  try {
    while (shape.documents < 2 && parser.HandleNextDocument(counter)) ++shape.documents;
  } catch (const DocumentCounter::TooManyValues&) {
    shape.too_many_values = true;
  }
  return shape;
}

}  // namespace

std::optional<std::string> flow_nesting_error(std::string_view text) {
  // Counts flow collections opened and not yet closed, outside comments
  // and quoted scalars. It errs only towards counting: a '[' or '{' inside a
  // plain or block scalar counts too (real manifests do not hold hundreds of
  // unclosed ones), and a quote starts a quoted scalar only where a YAML
  // token can start, so no input hides brackets from it that yaml-cpp reads
  // as flow indicators.
  std::size_t depth = 0;
  std::size_t line = 1;
  char token_start = '\n';  // the last non-blank character, '\n' at a line's start
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      token_start = '\n';
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    bool at_token_start = token_start == '\n' || token_start == '[' || token_start == '{' || token_start == ',' ||
                          token_start == ':' || token_start == '-' || token_start == '?';
    bool after_blank = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || text[i - 1] == '\n';
    if (c == '#' && after_blank) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if ((c == '\'' || c == '"') && at_token_start) {
      for (++i; i < text.size(); ++i) {
        if (text[i] == '\n') ++line;
        if (c == '"' && text[i] == '\\') {
          ++i;
        } else if (text[i] == c) {
          if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
            ++i;
          } else {
            break;
          }
        }
      }
      token_start = c;
      continue;
    }
    if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) {
        return "YAML nesting deeper than " + std::to_string(kMaxJsonDepth) + " levels at line " +
               std::to_string(line);
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
    token_start = c;
  }
  return std::nullopt;
}

std::optional<std::string> yaml_to_json(std::string_view text, rapidjson::Document& out) {
  // yaml-cpp scans a flow collection's tokens ahead of parsing it, keeping
  // each in memory until the collection ends: a 1 MB body of '[' took the
  // server from 11 to 240 MB before its parser's own depth limit threw.
  if (auto error = flow_nesting_error(text)) {
    out.SetNull();
    return error;
  }
  std::vector<YAML::Node> documents;
  try {
    const std::string body(text);
    DocumentShape shape = shape_of(body);
    if (shape.too_many_values) return "YAML expands to more than " + std::to_string(kMaxYamlValues) + " values";
    if (shape.documents > 1) return "expected one YAML document, found more";
    documents = YAML::LoadAll(body);
  } catch (const YAML::Exception& e) {
    return "invalid YAML at line " + std::to_string(e.mark.line + 1) + ", column " +
           std::to_string(e.mark.column + 1) + ": " + e.msg;
  }
  out.SetNull();
  if (documents.empty()) return std::nullopt;
  Converter converter{out.GetAllocator(), 0, {}};
  rapidjson::Value converted;
  if (!converter.convert(documents.front(), converted, 0)) {
    out.SetNull();
    return converter.error;
  }
  static_cast<rapidjson::Value&>(out) = std::move(converted);
  return std::nullopt;
}

}  // namespace switchyard::devcluster::objects
