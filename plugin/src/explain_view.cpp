// explain's view (explain_view.h).
#include "switchyard/plugin/explain_view.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

namespace switchyard::plugin {
namespace {

// The heading of each rule, padded so that the findings line up.
std::string heading(const std::string& rule) {
  if (rule == "state") return "state             ";
  if (rule == "1") return "rule 1 health     ";
  if (rule == "1a") return "rule 1a data plane";
  if (rule == "overrides") return "overrides         ";
  if (rule == "2") return "rule 2 usable     ";
  if (rule == "3") return "rule 3 group      ";
  if (rule == "4") return "rule 4 failback   ";
  if (rule == "5") return "rule 5 weights    ";
  return rule;
}

}  // namespace

std::string explain_text(const core::ObjectKey& key, const std::vector<core::ExplainLine>& lines) {
  std::string out = "FailoverService " + key.to_string() + "\n";
  for (const auto& line : lines) out += "  " + heading(line.rule) + "  " + line.text + "\n";
  return out;
}

std::string explain_json(const core::ObjectKey& key, const std::vector<core::ExplainLine>& lines) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> out(buffer);
  out.SetIndent(' ', 2);
  out.StartObject();
  out.Key("namespace");
  out.String(key.namespace_name);
  out.Key("name");
  out.String(key.name);
  out.Key("lines");
  out.StartArray();
  for (const auto& line : lines) {
    out.StartObject();
    out.Key("rule");
    out.String(line.rule);
    out.Key("text");
    out.String(line.text);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

}  // namespace switchyard::plugin
