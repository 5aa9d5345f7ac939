// The status tree: everything an operator needs to see where traffic is
// and why, from FailoverService status and MemberCluster status alone.
#include <sstream>

#include "switchyard/plugin/plugin.h"

namespace switchyard::plugin {
namespace {

const rapidjson::Value* child(const rapidjson::Value& v, const char* key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(key);
  return it == v.MemberEnd() || it->value.IsNull() ? nullptr : &it->value;
}

std::string text(const rapidjson::Value* v, const char* key, const std::string& fallback = "-") {
  const rapidjson::Value* c = v ? child(*v, key) : nullptr;
  if (c == nullptr) return fallback;
  if (c->IsString()) return c->GetString();
  if (c->IsBool()) return c->GetBool() ? "true" : "false";
  if (c->IsInt64()) return std::to_string(c->GetInt64());
  if (c->IsNumber()) {
    std::ostringstream out;
    out << c->GetDouble();
    return out.str();
  }
  return fallback;
}

std::string when(const std::string& time, std::chrono::system_clock::time_point now) {
  const auto parsed = parse_time(time);
  if (!parsed) return time;
  return time + " (" + format_age(std::chrono::duration_cast<std::chrono::seconds>(now - *parsed)) + " ago)";
}

const rapidjson::Value* member_cluster(const rapidjson::Value& list, const std::string& name) {
  if (!list.IsArray()) return nullptr;
  for (const auto& mc : list.GetArray())
    if (const auto* meta = child(mc, "metadata"); meta && text(meta, "name", "") == name) return &mc;
  return nullptr;
}

std::string connection(const rapidjson::Value& member_clusters, const std::string& cluster,
                       std::chrono::system_clock::time_point now) {
  const rapidjson::Value* mc = member_cluster(member_clusters, cluster);
  if (mc == nullptr) return "no MemberCluster " + cluster;
  const rapidjson::Value* status = child(*mc, "status");
  std::string out = text(status, "connected", "") == "true" ? "connected" : "disconnected";
  if (const std::string beat = text(status, "lastHeartbeatTime", ""); !beat.empty())
    out += ", heartbeat " + when(beat, now);
  if (const rapidjson::Value* spec = child(*mc, "spec"); spec && child(*spec, "drain"))
    out += ", DRAINED: " + text(child(*spec, "drain"), "reason", "(no reason)");
  return out;
}

std::string backend_name(const rapidjson::Value& b) {
  return text(&b, "cluster") + "/" + text(&b, "namespace") + "/" + text(&b, "name");
}

}  // namespace

std::string status_tree(const rapidjson::Value& fs, const rapidjson::Value& member_clusters,
                        std::chrono::system_clock::time_point now) {
  std::ostringstream out;
  const rapidjson::Value* meta = child(fs, "metadata");
  const rapidjson::Value* spec = child(fs, "spec");
  const rapidjson::Value* status = child(fs, "status");
  out << "FailoverService " << text(meta, "namespace") << "/" << text(meta, "name") << ": "
      << text(status, "state", "(no status yet: is the hub running?)");
  if (spec && text(spec, "mode", "Enforce") != "Enforce") out << ", mode " << text(spec, "mode");
  out << "\n";
  if (const std::string message = text(status, "message", ""); !message.empty())
    out << "  " << message << "\n";
  if (const rapidjson::Value* pin = spec ? child(*spec, "pin") : nullptr) {
    out << "  pinned to " << (child(*pin, "backend") ? backend_name(*child(*pin, "backend")) : "-");
    if (const std::string until = text(pin, "until", ""); !until.empty()) out << " until " << until;
    if (text(pin, "force", "") == "true") out << " (forced)";
    out << "\n";
  }
  if (status == nullptr) return out.str();

  out << "  active:\n";
  const rapidjson::Value* active = child(*status, "active");
  if (active == nullptr || !active->IsArray() || active->Empty()) out << "    (none)\n";
  else
    for (const auto& a : active->GetArray())
      out << "    " << backend_name(a) << "  weight " << text(&a, "weight") << "\n";

  out << "  backends:\n";
  if (const rapidjson::Value* list = child(*status, "backingServices"); list && list->IsArray())
    for (const auto& b : list->GetArray()) {
      out << "    " << backend_name(b) << "  " << text(&b, "health") << "  readyEndpoints "
          << text(&b, "readyEndpoints");
      if (const std::string since = text(&b, "lastTransitionTime", ""); !since.empty())
        out << "  since " << when(since, now);
      out << "\n      cluster " << text(&b, "cluster") << ": "
          << connection(member_clusters, text(&b, "cluster"), now) << "\n";
      // The core's words carry the evidence: success rate, latency quantile
      // or the share of requests within the maximum, against the thresholds.
      if (const rapidjson::Value* dp = child(b, "dataPlane"))
        out << "      data plane " << text(dp, "verdict") << ", last " << text(dp, "lastEvaluation") << ": "
            << text(dp, "message", "") << "\n";
    }

  out << "  consumers:\n";
  if (const rapidjson::Value* list = child(*status, "consumers"); list && list->IsArray())
    for (const auto& c : list->GetArray())
      out << "    " << text(&c, "cluster") << "  revision " << text(&c, "appliedRevision") << "/"
          << text(&c, "desiredRevision") << (text(&c, "inSync", "") == "true" ? "  in sync" : "  NOT in sync")
          << "  (" << connection(member_clusters, text(&c, "cluster"), now) << ")\n";

  if (const std::string last = text(status, "lastFailoverTime", ""); !last.empty())
    out << "  last failover " << when(last, now) << ", " << text(status, "failoverCount", "0")
        << " failover(s)\n";
  if (const rapidjson::Value* list = child(*status, "conditions"); list && list->IsArray()) {
    out << "  conditions:\n";
    for (const auto& c : list->GetArray()) {
      out << "    " << text(&c, "type") << "=" << text(&c, "status");
      if (const std::string reason = text(&c, "reason", ""); !reason.empty()) out << " " << reason;
      if (const std::string since = text(&c, "lastTransitionTime", ""); !since.empty())
        out << " since " << when(since, now);
      if (const std::string message = text(&c, "message", ""); !message.empty()) out << ": " << message;
      out << "\n";
    }
  }
  return out.str();
}

}  // namespace switchyard::plugin
