// The assignment bodies the agent API sends (docs/protocol/assignment.schema.json),
// assembled from pieces encoded once: TrafficSplit objects and the watch list.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/hub/assignment_board.h"
#include "switchyard/protocol/codec.h"

namespace switchyard::hub {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void write_string(Writer& out, const std::string& text) {
  out.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
}

void write_head(Writer& out, std::int64_t revision, const std::string& epoch, bool full) {
  out.StartObject();
  out.Key("revision");
  out.Int64(revision);
  out.Key("epoch");
  write_string(out, epoch);
  out.Key("full");
  out.Bool(full);
}

// Each piece is a complete, compact JSON value already: written through unchanged.
void write_raw(Writer& out, const std::string& json, rapidjson::Type type) {
  out.RawValue(json.data(), json.size(), type);
}

// spec.health's windows and quantile as the agent reads them (docs/protocol.md, "Data-plane checks").
protocol::DataPlaneChecks to_wire(const core::MeasureRequest& measure) {
  protocol::DataPlaneChecks checks{measure.rate_window_ms, measure.latency_quantile, measure.latency_window_ms,
                                   measure.latency_maximum_ms, {}};
  for (const auto& query : measure.queries) checks.queries.push_back({query.name, query.query_template, query.window_ms});
  return checks;
}

}  // namespace

std::string encode_watch_json(const std::vector<core::ClusterAssignment::WatchItem>& watch) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartArray();
  for (const auto& item : watch) {
    out.StartObject();
    out.Key("namespace");
    write_string(out, item.namespace_name);
    out.Key("name");
    write_string(out, item.name);
    out.Key("role");
    out.String(item.role == core::ServiceRole::Local ? "local" : "mirror");
    if (item.measure) {
      out.Key("checks");
      write_raw(out, protocol::encode_data_plane_checks(to_wire(*item.measure)), rapidjson::kObjectType);
    }
    out.EndObject();
  }
  out.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string encode_assignment_body(std::int64_t revision, const std::string& epoch, const std::string& watch_json,
                                   const EncodedSplits& split_objects) {
  rapidjson::StringBuffer buffer;
  buffer.Reserve(split_objects.bytes() + split_objects.size() + watch_json.size() + epoch.size() + 96);
  Writer out(buffer);
  write_head(out, revision, epoch, true);
  out.Key("watch");
  write_raw(out, watch_json, rapidjson::kArrayType);
  out.Key("trafficSplits");
  out.StartArray();
  split_objects.for_each([&](const std::string& split) { write_raw(out, split, rapidjson::kObjectType); });
  out.EndArray();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

const std::string& PublishedAssignment::text() const {
  if (!body.empty()) return body;
  std::call_once(assembled_once_,
                 [this] { assembled_ = encode_assignment_body(revision, epoch, watch_json, splits); });
  return assembled_;
}

std::string encode_delta_body(std::int64_t revision, const std::string& epoch, const std::string* watch_json,
                              const std::vector<const std::string*>& split_objects,
                              const std::vector<protocol::SplitName>& removed) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  write_head(out, revision, epoch, false);
  if (watch_json != nullptr) {
    out.Key("watch");
    write_raw(out, *watch_json, rapidjson::kArrayType);
  }
  out.Key("trafficSplits");
  out.StartArray();
  for (const auto* split : split_objects) write_raw(out, *split, rapidjson::kObjectType);
  out.EndArray();
  out.Key("removedTrafficSplits");
  out.StartArray();
  for (const auto& name : removed) {
    out.StartObject();
    out.Key("namespace");
    write_string(out, name.namespace_name);
    out.Key("name");
    write_string(out, name.name);
    if (!name.api_version.empty()) {
      out.Key("apiVersion");
      write_string(out, name.api_version);
    }
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace switchyard::hub
