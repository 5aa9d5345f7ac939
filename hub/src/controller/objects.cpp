#include "switchyard/hub/objects.h"

#include <array>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/core/parse.h"
#include "switchyard/core/time.h"

namespace switchyard::hub {
namespace {

const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_at(const rapidjson::Value& object, const char* key) {
  const auto* value = member(object, key);
  if (value == nullptr || !value->IsString()) return {};
  return {value->GetString(), value->GetStringLength()};
}

std::int64_t int_at(const rapidjson::Value& object, const char* key) {
  const auto* value = member(object, key);
  return value != nullptr && value->IsInt64() ? value->GetInt64() : 0;
}

}  // namespace

std::optional<FailoverServiceObject> read_failover_service(const rapidjson::Value& object) {
  const auto* metadata = member(object, "metadata");
  if (metadata == nullptr) return std::nullopt;
  FailoverServiceObject out;
  out.key = {string_at(*metadata, "namespace"), string_at(*metadata, "name")};
  if (out.key.namespace_name.empty() || out.key.name.empty()) return std::nullopt;
  out.uid = string_at(*metadata, "uid");
  out.generation = int_at(*metadata, "generation");
  out.spec = core::parse_failover_service(object);
  if (const auto* status = member(object, "status"); status != nullptr && status->IsObject() &&
                                                      status->MemberCount() > 0) {
    out.recorded = core::status_from_json(*status);
    if (out.recorded) out.recorded_json = core::status_to_json(*out.recorded);
  }
  return out;
}

std::optional<MemberClusterObject> read_member_cluster(const rapidjson::Value& object) {
  const auto* metadata = member(object, "metadata");
  if (metadata == nullptr) return std::nullopt;
  MemberClusterObject out;
  out.name = string_at(*metadata, "name");
  if (out.name.empty()) return std::nullopt;
  out.uid = string_at(*metadata, "uid");
  out.generation = int_at(*metadata, "generation");

  const std::string prefix = "membercluster " + out.name + ": ";
  const auto* spec = member(object, "spec");
  const auto* ref = spec == nullptr ? nullptr : member(*spec, "tokenSecretRef");
  if (ref == nullptr || !ref->IsObject()) {
    out.problem = prefix + "spec.tokenSecretRef: required object is missing";
  } else {
    SecretRef secret{string_at(*ref, "namespace"), string_at(*ref, "name"), string_at(*ref, "key")};
    if (secret.key.empty()) secret.key = "token";
    if (secret.name.empty()) {
      out.problem = prefix + "spec.tokenSecretRef.name: required string is missing";
    } else if (secret.namespace_name.empty()) {
      out.problem = prefix + "spec.tokenSecretRef.namespace: required string is missing";
    } else {
      out.token_ref = std::move(secret);
    }
  }

  if (const auto* output = spec == nullptr ? nullptr : member(*spec, "output"); output != nullptr) {
    const auto kind = output->IsString() ? core::output_kind_from(output->GetString()) : std::nullopt;
    if (kind) {
      out.output = kind;
    } else {
      out.output_problem = prefix +
                           "spec.output: must be TrafficSplit, HTTPRoute, LinkerdHTTPRoute or Auto; FailoverServices "
                           "that name no output get TrafficSplits in this cluster";
    }
  }

  auto drain = core::parse_drain(object);
  if (drain.ok()) {
    out.drain = std::move(*drain.value);
  } else {
    out.drain = core::Drain{};
    out.drain_problem = prefix + drain.message();
  }
  out.undrain = core::undrain_of(object);

  if (const auto* status = member(object, "status"); status != nullptr && status->IsObject() &&
                                                      status->MemberCount() > 0) {
    MemberStatusView view;
    if (const auto* connected = member(*status, "connected"); connected != nullptr && connected->IsBool()) {
      view.connected = connected->GetBool();
    }
    view.agent_version = string_at(*status, "agentVersion");
    const auto services = int_at(*status, "reportedServices");
    view.reported_services = services > 0 ? static_cast<std::uint64_t>(services) : 0;
    view.applied_revision = int_at(*status, "appliedRevision");
    view.drained = string_at(*status, "drained");
    out.recorded = view;
    if (const auto* conditions = member(*status, "conditions"); conditions != nullptr && conditions->IsArray()) {
      for (const auto& condition : conditions->GetArray()) {
        if (string_at(condition, "type") == "TokenConflict" && string_at(condition, "status") == "True") {
          out.recorded->token_conflict = string_at(condition, "message");
        }
        if (string_at(condition, "type") != "Connected") continue;
        core::TimeMs since = 0;
        if (core::parse_rfc3339(string_at(condition, "lastTransitionTime"), since)) out.connected_since_ms = since;
      }
    }
  }
  return out;
}

std::optional<SecretObject> read_secret(const rapidjson::Value& object) {
  const auto* metadata = member(object, "metadata");
  if (metadata == nullptr) return std::nullopt;
  SecretObject out;
  out.namespace_name = string_at(*metadata, "namespace");
  out.name = string_at(*metadata, "name");
  if (out.name.empty()) return std::nullopt;
  if (const auto* data = member(object, "data"); data != nullptr && data->IsObject()) {
    for (const auto& entry : data->GetObject()) {
      if (!entry.value.IsString()) continue;
      auto decoded = decode_base64({entry.value.GetString(), entry.value.GetStringLength()});
      if (decoded) out.data.emplace(std::string(entry.name.GetString(), entry.name.GetStringLength()),
                                    std::move(*decoded));
    }
  }
  return out;
}

std::string member_status_to_json(const MemberStatusView& view, std::int64_t last_heartbeat_ms,
                                  std::int64_t connected_since_ms, std::int64_t generation,
                                  std::int64_t token_conflict_since_ms) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("connected");
  out.Bool(view.connected);
  out.Key("agentVersion");
  out.String(view.agent_version);
  if (last_heartbeat_ms > 0) {
    out.Key("lastHeartbeatTime");
    out.String(core::format_rfc3339(last_heartbeat_ms));
  }
  out.Key("reportedServices");
  out.Uint64(view.reported_services);
  out.Key("appliedRevision");
  out.Int64(view.applied_revision);
  if (!view.drained.empty()) {
    out.Key("drained");
    out.String(view.drained);
  }
  out.Key("conditions");
  out.StartArray();
  out.StartObject();
  out.Key("type");
  out.String("Connected");
  out.Key("status");
  out.String(view.connected ? "True" : "False");
  out.Key("observedGeneration");
  out.Int64(generation);
  out.Key("lastTransitionTime");
  out.String(core::format_rfc3339(connected_since_ms));
  out.Key("reason");
  out.String(view.connected ? "AgentReporting" : "AgentSilent");
  out.Key("message");
  out.String(view.connected ? "the cluster's agent reports to this hub"
                            : "no report from the cluster's agent within the hub's --cluster-timeout");
  out.EndObject();
  if (!view.token_conflict.empty()) {
    out.StartObject();
    out.Key("type");
    out.String("TokenConflict");
    out.Key("status");
    out.String("True");
    out.Key("observedGeneration");
    out.Int64(generation);
    out.Key("lastTransitionTime");
    out.String(core::format_rfc3339(token_conflict_since_ms));
    out.Key("reason");
    out.String("TokenShared");
    out.Key("message");
    out.String(view.token_conflict);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<std::string> decode_base64(std::string_view text) {
  static const auto table = [] {
    std::array<int, 256> values{};
    values.fill(-1);
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) values[static_cast<unsigned char>(alphabet[i])] = i;
    return values;
  }();
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const int value = table[static_cast<unsigned char>(text[i])];
    if (value < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xff));
    }
  }
  return out;
}

}  // namespace switchyard::hub
