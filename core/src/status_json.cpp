#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/core/status.h"

namespace switchyard::core {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_time(Writer& out, const char* key, TimeMs time) {
  out.Key(key);
  out.String(format_rfc3339(time));
}

// Rule 1a's evidence of one backend (docs/hub.md "Data-plane evidence").
void write_data_plane(Writer& out, const DataPlaneEvidence& shown) {
  const auto number = [&out](const char* key, const std::optional<double>& value) {
    if (!value) return;
    out.Key(key);
    out.Double(*value);
  };
  out.Key("dataPlane");
  out.StartObject();
  out.Key("verdict");
  out.String(shown.verdict);
  out.Key("lastEvaluation");
  out.String(shown.last);
  out.Key("consecutive");
  out.Uint(shown.consecutive);
  number("successRate", shown.success_rate);
  number("minSuccessRate", shown.min_success_rate);
  number("requestRate", shown.request_rate);
  number("latencyMs", shown.latency_ms);
  number("maxLatencyMs", shown.max_latency_ms);
  number("latencyWithinShare", shown.latency_within_share);
  number("latencyQuantile", shown.latency_quantile);
  if (!shown.queries.empty()) {
    out.Key("queries");
    out.StartArray();
    for (const auto& query : shown.queries) {
      out.StartObject();
      out.Key("name");
      out.String(query.name);
      number("value", query.value);
      out.Key("comparison");
      out.String(query.comparison);
      out.Key("threshold");
      out.Double(query.threshold);
      out.Key("result");
      out.String(query.result);
      out.EndObject();
    }
    out.EndArray();
  }
  out.Key("message");
  out.String(shown.message);
  out.EndObject();
}

const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string string_of(const rapidjson::Value& object, const char* key) {
  const auto* value = member(object, key);
  return value != nullptr && value->IsString() ? std::string(value->GetString(), value->GetStringLength())
                                               : std::string();
}

std::optional<std::int64_t> int_of(const rapidjson::Value& object, const char* key) {
  const auto* value = member(object, key);
  if (value == nullptr || !value->IsInt64()) return std::nullopt;
  return value->GetInt64();
}

std::optional<TimeMs> time_of(const rapidjson::Value& object, const char* key) {
  TimeMs time = 0;
  if (!parse_rfc3339(string_of(object, key), time)) return std::nullopt;
  return time;
}

std::optional<Health> health_of(const std::string& text) {
  if (text == "Healthy") return Health::Healthy;
  if (text == "Unhealthy") return Health::Unhealthy;
  if (text == "Unknown") return Health::Unknown;
  return std::nullopt;
}

std::optional<FosState> state_of(const std::string& text) {
  for (auto state : {FosState::Primary, FosState::FailedOver, FosState::NoHealthyBackend, FosState::Frozen,
                     FosState::Invalid}) {
    if (text == to_string(state)) return state;
  }
  return std::nullopt;
}

std::optional<double> number_of(const rapidjson::Value& object, const char* key) {
  const auto* value = member(object, key);
  if (value == nullptr || !value->IsNumber()) return std::nullopt;
  return value->GetDouble();
}

template <class F>
void for_each_object(const rapidjson::Value& status, const char* key, F&& f) {
  const auto* list = member(status, key);
  if (list == nullptr || !list->IsArray()) return;
  for (const auto& entry : list->GetArray()) {
    if (entry.IsObject()) f(entry);
  }
}

// What write_data_plane wrote, read back (what-if and explain read it).
std::optional<DataPlaneEvidence> data_plane_of(const rapidjson::Value& backing) {
  const auto* shown = member(backing, "dataPlane");
  if (shown == nullptr || !shown->IsObject()) return std::nullopt;
  DataPlaneEvidence evidence;
  evidence.verdict = string_of(*shown, "verdict");
  evidence.last = string_of(*shown, "lastEvaluation");
  evidence.consecutive = static_cast<std::uint32_t>(std::max<std::int64_t>(0, int_of(*shown, "consecutive").value_or(0)));
  evidence.success_rate = number_of(*shown, "successRate");
  evidence.min_success_rate = number_of(*shown, "minSuccessRate");
  evidence.request_rate = number_of(*shown, "requestRate");
  evidence.latency_ms = number_of(*shown, "latencyMs");
  evidence.max_latency_ms = number_of(*shown, "maxLatencyMs");
  evidence.latency_within_share = number_of(*shown, "latencyWithinShare");
  evidence.latency_quantile = number_of(*shown, "latencyQuantile");
  for_each_object(*shown, "queries", [&evidence](const rapidjson::Value& query) {
    evidence.queries.push_back({string_of(query, "name"), number_of(query, "value"), string_of(query, "comparison"),
                                number_of(query, "threshold").value_or(0), string_of(query, "result")});
  });
  evidence.message = string_of(*shown, "message");
  return evidence;
}

void write_conditions(Writer& out, const std::vector<Condition>& conditions) {
  out.StartArray();
  for (const auto& condition : conditions) {
    out.StartObject();
    out.Key("type");
    out.String(condition.type);
    out.Key("status");
    out.String(condition.status);
    out.Key("observedGeneration");
    out.Int64(condition.observed_generation);
    write_time(out, "lastTransitionTime", condition.last_transition_time);
    out.Key("reason");
    out.String(condition.reason);
    out.Key("message");
    out.String(condition.message);
    out.EndObject();
  }
  out.EndArray();
}

std::vector<Condition> conditions_of(const rapidjson::Value& object) {
  std::vector<Condition> conditions;
  for_each_object(object, "conditions", [&](const rapidjson::Value& entry) {
    conditions.push_back({string_of(entry, "type"), string_of(entry, "status"),
                          int_of(entry, "observedGeneration").value_or(0),
                          time_of(entry, "lastTransitionTime").value_or(0), string_of(entry, "reason"),
                          string_of(entry, "message")});
  });
  return conditions;
}

}  // namespace

const char* to_string(FosState state) {
  switch (state) {
    case FosState::Primary: return "Primary";
    case FosState::FailedOver: return "FailedOver";
    case FosState::NoHealthyBackend: return "NoHealthyBackend";
    case FosState::Frozen: return "Frozen";
    case FosState::Invalid: return "Invalid";
  }
  return "Invalid";
}

const char* to_string(Health health) {
  switch (health) {
    case Health::Healthy: return "Healthy";
    case Health::Unhealthy: return "Unhealthy";
    case Health::Unknown: return "Unknown";
  }
  return "Unknown";
}

std::string status_to_json(const FosStatus& status) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartObject();
  out.Key("observedGeneration");
  out.Int64(status.observed_generation);
  out.Key("state");
  out.String(to_string(status.state));
  out.Key("message");
  out.String(status.message);
  out.Key("active");
  out.StartArray();
  for (const auto& active : status.active) {
    out.StartObject();
    out.Key("cluster");
    out.String(active.cluster);
    out.Key("namespace");
    out.String(active.namespace_name);
    out.Key("name");
    out.String(active.name);
    out.Key("weight");
    out.Uint(active.weight);
    out.EndObject();
  }
  out.EndArray();
  out.Key("backingServices");
  out.StartArray();
  for (const auto& backing : status.backing_services) {
    out.StartObject();
    out.Key("cluster");
    out.String(backing.cluster);
    out.Key("namespace");
    out.String(backing.namespace_name);
    out.Key("name");
    out.String(backing.name);
    out.Key("health");
    out.String(to_string(backing.health));
    out.Key("readyEndpoints");
    out.Uint(backing.ready_endpoints);
    write_time(out, "lastTransitionTime", backing.last_transition_time);
    if (backing.data_plane) write_data_plane(out, *backing.data_plane);
    out.EndObject();
  }
  out.EndArray();
  out.Key("consumers");
  out.StartArray();
  for (const auto& consumer : status.consumers) {
    out.StartObject();
    out.Key("cluster");
    out.String(consumer.cluster);
    out.Key("desiredRevision");
    out.Int64(consumer.desired_revision);
    out.Key("appliedRevision");
    out.Int64(consumer.applied_revision);
    out.Key("inSync");
    out.Bool(consumer.in_sync);
    if (consumer.active_priority) {
      out.Key("activePriority");
      out.Int(*consumer.active_priority);
    }
    if (consumer.active_since) write_time(out, "activeSince", *consumer.active_since);
    out.Key("activeBackends");
    out.StartArray();
    for (const auto& active : consumer.active_backends) out.String(active);
    out.EndArray();
    if (!consumer.omitted_backends.empty()) {
      out.Key("omittedBackends");
      out.StartArray();
      for (const auto& omitted : consumer.omitted_backends) out.String(omitted);
      out.EndArray();
    }
    if (!consumer.would_apply.empty()) {
      out.Key("wouldApply");
      out.StartArray();
      for (const auto& entry : consumer.would_apply) {
        out.StartObject();
        out.Key("backend");
        out.String(entry.backend);
        out.Key("weight");
        out.Uint(entry.weight);
        out.EndObject();
      }
      out.EndArray();
    }
    if (!consumer.held_backends.empty()) {
      out.Key("heldBackends");
      out.StartArray();
      for (const auto& held : consumer.held_backends) {
        out.StartObject();
        out.Key("backend");
        out.String(held.backend);
        out.Key("service");
        out.String(held.service);
        out.Key("weight");
        out.Uint(held.weight);
        out.EndObject();
      }
      out.EndArray();
    }
    out.Key("message");
    out.String(consumer.message);
    if (!consumer.output.empty()) {
      out.Key("output");
      out.String(consumer.output);
    }
    if (!consumer.conditions.empty()) {
      out.Key("conditions");
      write_conditions(out, consumer.conditions);
    }
    out.EndObject();
  }
  out.EndArray();
  out.Key("failoverCount");
  out.Uint64(status.failover_count);
  if (status.last_failover_time) write_time(out, "lastFailoverTime", *status.last_failover_time);
  out.Key("conditions");
  write_conditions(out, status.conditions);
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::optional<FosStatus> status_from_json(const rapidjson::Value& value) {
  if (!value.IsObject()) return std::nullopt;
  FosStatus status;
  status.observed_generation = int_of(value, "observedGeneration").value_or(0);
  if (auto state = state_of(string_of(value, "state"))) status.state = *state;
  status.message = string_of(value, "message");
  for_each_object(value, "active", [&](const rapidjson::Value& entry) {
    status.active.push_back({string_of(entry, "cluster"), string_of(entry, "namespace"), string_of(entry, "name"),
                             static_cast<std::uint32_t>(int_of(entry, "weight").value_or(0))});
  });
  for_each_object(value, "backingServices", [&](const rapidjson::Value& entry) {
    status.backing_services.push_back({string_of(entry, "cluster"), string_of(entry, "namespace"),
                                       string_of(entry, "name"),
                                       health_of(string_of(entry, "health")).value_or(Health::Unknown),
                                       static_cast<std::uint32_t>(int_of(entry, "readyEndpoints").value_or(0)),
                                       time_of(entry, "lastTransitionTime").value_or(0), data_plane_of(entry)});
  });
  for_each_object(value, "consumers", [&](const rapidjson::Value& entry) {
    ConsumerStatus consumer;
    consumer.cluster = string_of(entry, "cluster");
    consumer.desired_revision = int_of(entry, "desiredRevision").value_or(0);
    consumer.applied_revision = int_of(entry, "appliedRevision").value_or(0);
    if (const auto* in_sync = member(entry, "inSync"); in_sync != nullptr && in_sync->IsBool()) {
      consumer.in_sync = in_sync->GetBool();
    }
    if (auto priority = int_of(entry, "activePriority")) consumer.active_priority = static_cast<std::int32_t>(*priority);
    consumer.active_since = time_of(entry, "activeSince");
    for (auto [key, list] : {std::pair{"omittedBackends", &consumer.omitted_backends},
                             std::pair{"activeBackends", &consumer.active_backends}}) {
      const auto* names = member(entry, key);
      if (names == nullptr || !names->IsArray()) continue;
      for (const auto& name : names->GetArray()) {
        if (name.IsString()) list->emplace_back(name.GetString(), name.GetStringLength());
      }
    }
    for_each_object(entry, "wouldApply", [&](const rapidjson::Value& would) {
      consumer.would_apply.push_back(
          {string_of(would, "backend"), static_cast<std::uint32_t>(int_of(would, "weight").value_or(0))});
    });
    // A held entry without its Service cannot be written back as it was:
    // the whole hold is dropped rather than resumed with a wrong route.
    bool held_complete = true;
    for_each_object(entry, "heldBackends", [&](const rapidjson::Value& held) {
      const auto weight = int_of(held, "weight");
      auto service = string_of(held, "service");
      if (service.empty() || !weight || *weight < 0) held_complete = false;
      consumer.held_backends.push_back(
          {string_of(held, "backend"), std::move(service), static_cast<std::uint32_t>(weight.value_or(0))});
    });
    if (!held_complete) consumer.held_backends.clear();
    consumer.message = string_of(entry, "message");
    consumer.output = string_of(entry, "output");
    consumer.conditions = conditions_of(entry);
    status.consumers.push_back(std::move(consumer));
  });
  if (auto count = int_of(value, "failoverCount"); count && *count >= 0) {
    status.failover_count = static_cast<std::uint64_t>(*count);
  }
  status.last_failover_time = time_of(value, "lastFailoverTime");
  status.conditions = conditions_of(value);
  return status;
}

}  // namespace switchyard::core
