// what-if's view (what_if_view.h).
#include "switchyard/plugin/what_if_view.h"

#include <algorithm>
#include <sstream>

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "switchyard/core/overrides.h"
#include "switchyard/core/parse.h"

namespace switchyard::plugin {
namespace {

const rapidjson::Value* member(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(key);
  return it == object.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

core::LiveCluster cluster_from(const rapidjson::Value& object) {
  core::LiveCluster cluster;
  if (const auto* meta = member(object, "metadata")) {
    if (const auto* name = member(*meta, "name"); name && name->IsString()) cluster.name = name->GetString();
  }
  auto drain = core::parse_drain(object);
  cluster.drain = drain.ok() ? *drain.value : std::optional<core::Drain>(core::Drain{});
  cluster.connected = false;
  if (const auto* status = member(object, "status")) {
    if (const auto* connected = member(*status, "connected"); connected && connected->IsBool()) {
      cluster.connected = connected->GetBool();
    }
    core::TimeMs beat = 0;
    if (const auto* at = member(*status, "lastHeartbeatTime");
        at && at->IsString() && core::parse_rfc3339(at->GetString(), beat)) {
      cluster.silent_since = beat;
    }
  }
  if (cluster.connected) cluster.silent_since.reset();
  return cluster;
}

std::string weight_change(std::uint32_t before, std::uint32_t after) {
  return before == after ? std::to_string(before) : std::to_string(before) + " -> " + std::to_string(after);
}

void write_weights(rapidjson::PrettyWriter<rapidjson::StringBuffer>& out, const char* key,
                   const std::vector<core::PredictedWeight>& weights) {
  out.Key(key);
  out.StartArray();
  for (const auto& w : weights) {
    out.StartObject();
    out.Key("backend");
    out.String(w.backend);
    out.Key("weight");
    out.Uint(w.weight);
    out.EndObject();
  }
  out.EndArray();
}

}  // namespace

LiveObjects live_state_from(const rapidjson::Value& failover_services, const rapidjson::Value& member_clusters) {
  LiveObjects out;
  if (member_clusters.IsArray()) {
    for (const auto& mc : member_clusters.GetArray()) out.state.clusters.push_back(cluster_from(mc));
  }
  if (!failover_services.IsArray()) return out;
  for (const auto& object : failover_services.GetArray()) {
    auto parsed = core::parse_failover_service(object);
    if (!parsed.ok()) {
      core::ObjectKey key;
      if (const auto* meta = member(object, "metadata")) {
        if (const auto* ns = member(*meta, "namespace"); ns && ns->IsString()) key.namespace_name = ns->GetString();
        if (const auto* name = member(*meta, "name"); name && name->IsString()) key.name = name->GetString();
      }
      out.unreadable.push_back(core::describe(key, parsed.errors));
      continue;
    }
    core::LiveFailoverService live{std::move(*parsed.value), std::nullopt};
    if (const auto* status = member(object, "status")) live.status = core::status_from_json(*status);
    out.state.services.push_back(std::move(live));
  }
  return out;
}

std::string check_failure(const core::LiveState& state, const core::Failure& failure) {
  const bool member = std::any_of(state.clusters.begin(), state.clusters.end(),
                                  [&](const core::LiveCluster& c) { return c.name == failure.cluster; });
  if (!member) return "--fail: no MemberCluster \"" + failure.cluster + "\"";
  if (failure.whole_cluster()) return "";
  for (const auto& service : state.services) {
    for (const auto& b : service.fos.spec.backing_services) {
      if (b.cluster == failure.cluster && b.namespace_name == failure.namespace_name && b.name == failure.name) {
        return "";
      }
    }
  }
  return "--fail: " + failure.to_string() + " is no backing service of any FailoverService";
}

std::string what_if_text(const core::Failure& failure, const std::vector<core::ServicePrediction>& predictions) {
  std::ostringstream out;
  out << "What if " << failure.to_string() << " fails"
      << (failure.whole_cluster() ? " (every backend in it unusable, its agent silent)" : " (no ready endpoints)")
      << ":\n";
  for (const auto& p : predictions) {
    out << "FailoverService " << p.key.to_string() << ": ";
    if (!p.invalid.empty()) {
      out << "Invalid, nothing decided: " << p.invalid << "\n";
      continue;
    }
    out << core::to_string(p.state_now);
    if (p.state_after != p.state_now) out << " -> " << core::to_string(p.state_after);
    out << "\n";
    for (const auto& c : p.consumers) {
      out << "  consumer " << c.cluster << ": ";
      if (c.silent) {
        out << "silent, keeps its route (rule 1b)\n";
      } else if (c.now.empty() && c.after.empty()) {
        out << "no route decided yet\n";
      } else {
        out << (c.moves() ? "moves" : "unchanged") << "\n";
      }
      for (const auto& after : c.after) {
        std::uint32_t before = 0;
        for (const auto& now : c.now) {
          if (now.backend == after.backend) before = now.weight;
        }
        out << "    " << after.backend << "  weight " << weight_change(before, after.weight) << "\n";
      }
    }
  }
  return out.str();
}

std::string what_if_json(const core::Failure& failure, const std::vector<core::ServicePrediction>& predictions) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> out(buffer);
  out.SetIndent(' ', 2);
  out.StartObject();
  out.Key("failure");
  out.String(failure.whole_cluster() ? failure.cluster : failure.to_string());
  out.Key("failoverServices");
  out.StartArray();
  for (const auto& p : predictions) {
    out.StartObject();
    out.Key("namespace");
    out.String(p.key.namespace_name);
    out.Key("name");
    out.String(p.key.name);
    out.Key("stateNow");
    out.String(core::to_string(p.state_now));
    out.Key("stateAfter");
    out.String(core::to_string(p.state_after));
    if (!p.invalid.empty()) {
      out.Key("invalid");
      out.String(p.invalid);
    }
    out.Key("consumers");
    out.StartArray();
    for (const auto& c : p.consumers) {
      out.StartObject();
      out.Key("cluster");
      out.String(c.cluster);
      out.Key("silent");
      out.Bool(c.silent);
      out.Key("moves");
      out.Bool(c.moves());
      write_weights(out, "now", c.now);
      write_weights(out, "after", c.after);
      out.EndObject();
    }
    out.EndArray();
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

}  // namespace switchyard::plugin
