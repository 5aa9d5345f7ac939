// -o yaml: a JSON document emitted as YAML that reads back as the same JSON.
#include <cctype>

#include <yaml-cpp/yaml.h>

#include "switchyard/plugin/plugin.h"

namespace switchyard::plugin {
namespace {

// yaml-cpp leaves plain a string that would read back as a number ("8080",
// "-1", ".5"), a boolean or null ("true", "yes", "null", "~", YAML 1.1's too,
// as PyYAML and kubectl read them): quote those.
bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  const char c = s[0];
  if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' || c == '~') return true;
  std::string lower;
  for (char ch : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  for (const char* word : {"true", "false", "yes", "no", "on", "off", "y", "n", "null"})
    if (lower == word) return true;
  return false;
}

void emit(YAML::Emitter& out, const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType: out << YAML::Null; break;
    case rapidjson::kFalseType: out << false; break;
    case rapidjson::kTrueType: out << true; break;
    case rapidjson::kStringType: {
      const std::string s(v.GetString(), v.GetStringLength());
      if (needs_quotes(s)) out << YAML::DoubleQuoted;
      out << s;
      break;
    }
    case rapidjson::kNumberType:
      if (v.IsInt64()) out << v.GetInt64();
      else if (v.IsUint64()) out << v.GetUint64();
      else out << v.GetDouble();
      break;
    case rapidjson::kArrayType:
      out << YAML::BeginSeq;
      for (const auto& item : v.GetArray()) emit(out, item);
      out << YAML::EndSeq;
      break;
    case rapidjson::kObjectType:
      out << YAML::BeginMap;
      for (const auto& m : v.GetObject()) {
        out << YAML::Key << std::string(m.name.GetString(), m.name.GetStringLength()) << YAML::Value;
        emit(out, m.value);
      }
      out << YAML::EndMap;
      break;
  }
}

}  // namespace

std::string json_to_yaml(const rapidjson::Value& value) {
  YAML::Emitter out;
  emit(out, value);
  return std::string(out.c_str()) + "\n";
}

}  // namespace switchyard::plugin
