// Merge patches on spec, as api.md names the fields; built with RapidJSON's
// writer so a reason with quotes or newlines stays one JSON string.
#include <cctype>
#include <ctime>
#include <limits>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/plugin/plugin.h"

namespace switchyard::plugin {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

std::string string_member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(key);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string{};
}

}  // namespace

Outcome<std::string> drain_patch(const std::string& reason) {
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos)
    return {std::nullopt, "--reason is required and must not be blank: it is what the next operator reads"};
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("spec");
  w.StartObject();
  w.Key("drain");
  w.StartObject();
  w.Key("reason");
  w.String(reason);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return {std::string(buffer.GetString()), {}};
}

std::string undrain_patch(bool now) {
  // Without --now a stale annotation from an earlier --now is removed, so it
  // cannot skip the delay of a later, ordinary undrain.
  return std::string(R"({"metadata":{"annotations":{")") + kUndrainNowAnnotation + "\":" +
         (now ? std::string("\"") + kUndrainNowValue + "\"" : std::string("null")) +
         R"(}},"spec":{"drain":null}})";
}

Outcome<Backend> resolve_backend(const std::string& argument, const rapidjson::Value& failover_service) {
  const std::string fs_name = failover_service.IsObject() && failover_service.HasMember("metadata")
                                  ? string_member(failover_service["metadata"], "name")
                                  : std::string{};
  const rapidjson::Value* list = nullptr;
  if (failover_service.IsObject() && failover_service.HasMember("spec") && failover_service["spec"].IsObject() &&
      failover_service["spec"].HasMember("backingServices") &&
      failover_service["spec"]["backingServices"].IsArray())
    list = &failover_service["spec"]["backingServices"];
  if (list == nullptr) return {std::nullopt, "FailoverService " + fs_name + ": spec.backingServices is missing"};

  const auto first = argument.find('/');
  const auto second = first == std::string::npos ? std::string::npos : argument.find('/', first + 1);
  std::vector<Backend> matches;
  for (const auto& item : list->GetArray()) {
    Backend b{string_member(item, "cluster"), string_member(item, "namespace"), string_member(item, "name")};
    if (first == std::string::npos ? b.cluster == argument
                                   : argument == b.cluster + "/" + b.namespace_name + "/" + b.name)
      matches.push_back(b);
  }
  if (first != std::string::npos && (second == std::string::npos || argument.find('/', second + 1) != std::string::npos))
    return {std::nullopt, "backend " + argument + ": expected CLUSTER or CLUSTER/NAMESPACE/NAME"};
  if (matches.empty())
    return {std::nullopt, "FailoverService " + fs_name + ": no backing service " + argument +
                              " in spec.backingServices"};
  if (matches.size() > 1)
    return {std::nullopt, "FailoverService " + fs_name + ": cluster " + argument + " has " +
                              std::to_string(matches.size()) +
                              " backing services; name one as CLUSTER/NAMESPACE/NAME"};
  return {matches.front(), {}};
}

std::string pin_patch(const Backend& backend, const std::string& until, bool force) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("spec");
  w.StartObject();
  w.Key("pin");
  w.StartObject();
  w.Key("backend");
  w.StartObject();
  w.Key("cluster");
  w.String(backend.cluster);
  w.Key("namespace");
  w.String(backend.namespace_name);
  w.Key("name");
  w.String(backend.name);
  w.EndObject();
  // null removes an until/force left by an earlier pin (a merge patch merges).
  w.Key("until");
  if (until.empty()) w.Null(); else w.String(until);
  w.Key("force");
  w.Bool(force);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return buffer.GetString();
}

std::string unpin_patch() { return R"({"spec":{"pin":null}})"; }

Outcome<std::chrono::seconds> parse_duration(const std::string& text) {
  const std::string bad = "--for " + text + ": expected a duration like 30m, 2h, 1h30m or 90s";
  if (text.empty()) return {std::nullopt, bad};
  long long total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return {std::nullopt, bad};
    long long number = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      number = number * 10 + (text[i++] - '0');
      if (number > 10LL * 365 * 86400) return {std::nullopt, bad};
    }
    if (i == text.size()) return {std::nullopt, bad};
    const char unit = text[i++];
    const long long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0;
    if (scale == 0) return {std::nullopt, bad};
    total += number * scale;
    if (total > 10LL * 365 * 86400) return {std::nullopt, "--for " + text + ": longer than 10 years"};
  }
  if (total == 0) return {std::nullopt, "--for " + text + ": must be longer than 0"};
  return {std::chrono::seconds(total), {}};
}

std::string format_time(std::chrono::system_clock::time_point time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  if (*end == '.') {
    ++end;
    while (std::isdigit(static_cast<unsigned char>(*end))) ++end;
  }
  if (std::string(end) != "Z") return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string format_age(std::chrono::seconds age) {
  const long long s = age.count() < 0 ? 0 : age.count();
  if (s < 120) return std::to_string(s) + "s";
  if (s < 2 * 3600) return std::to_string(s / 60) + "m";
  if (s < 2 * 86400) return std::to_string(s / 3600) + "h";
  return std::to_string(s / 86400) + "d";
}

}  // namespace switchyard::plugin
