#include <map>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/core/json_fields.h"
#include "data_plane_json.h"
#include "service_key_json.h"
#include "switchyard/protocol/codec.h"

namespace switchyard::protocol {
namespace {

using core::json::FieldReader;

constexpr std::size_t kMaxApplyErrors = 100;
constexpr std::size_t kMaxApplyErrorLength = 1024;
// Far above any real Service's endpoint count; a bound so sums cannot overflow.
constexpr std::uint64_t kMaxEndpoints = 1'000'000;

std::optional<ServiceHealth> read_service(const rapidjson::Value& value, const std::string& path,
                                          std::vector<FieldError>& errors) {
  if (!value.IsObject()) {
    errors.push_back({path, "must be an object"});
    return std::nullopt;
  }
  FieldReader fields(value, path, errors);
  auto key = detail::read_service_key(fields);
  auto exists = fields.required_bool("exists");
  auto ready = fields.required_uint("readyEndpoints", kMaxEndpoints);
  auto total = fields.required_uint("totalEndpoints", kMaxEndpoints);
  if (ready && total && *ready > *total) {
    fields.error("readyEndpoints", "is " + std::to_string(*ready) +
                                       ", more than totalEndpoints " + std::to_string(*total));
    return std::nullopt;
  }
  if (exists && !*exists && total && *total > 0) {
    fields.error("totalEndpoints", "must be 0 when exists is false");
    return std::nullopt;
  }
  const auto before = errors.size();
  auto data_plane = detail::read_data_plane_measurement(value, path, errors);
  if (!key || !exists || !ready || !total || errors.size() != before) return std::nullopt;
  return ServiceHealth{std::move(*key), *exists, static_cast<std::uint32_t>(*ready),
                       static_cast<std::uint32_t>(*total), std::move(data_plane)};
}

std::optional<AppliedState> read_applied(const rapidjson::Value* value, const std::string& path,
                                         std::vector<FieldError>& errors) {
  AppliedState applied;
  if (value == nullptr) return applied;  // an agent that has applied nothing yet
  FieldReader fields(*value, path, errors);
  const auto before = errors.size();
  if (auto revision = fields.optional_int("revision", 0, INT64_MAX)) applied.revision = *revision;
  if (const auto* list = fields.array("errors", false)) {
    if (list->Size() > kMaxApplyErrors) {
      fields.error("errors", "at most " + std::to_string(kMaxApplyErrors) + " entries");
    } else {
      for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
        const auto& entry = (*list)[i];
        const auto entry_path = core::json::indexed(fields.path_of("errors"), i);
        if (!entry.IsString()) {
          errors.push_back({entry_path, "must be a string"});
        } else if (entry.GetStringLength() > kMaxApplyErrorLength) {
          errors.push_back({entry_path, "at most " + std::to_string(kMaxApplyErrorLength) +
                                            " characters"});
        } else {
          applied.errors.emplace_back(entry.GetString(), entry.GetStringLength());
        }
      }
    }
  }
  if (errors.size() != before) return std::nullopt;
  return applied;
}

}  // namespace

const char* to_string(ServiceRole role) {
  return role == ServiceRole::Local ? "local" : "mirror";
}

const char* to_string(ReportOutcome outcome) {
  return outcome == ReportOutcome::Applied ? "Applied" : "Duplicate";
}

std::string encode_report_answer(ReportOutcome outcome) {
  return std::string(R"({"outcome":")") + to_string(outcome) + "\"}";
}

ReportOutcome decode_report_answer(std::string_view body) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseValidateEncodingFlag>(body.data(), body.size());
  if (document.HasParseError() || !document.IsObject()) return ReportOutcome::Applied;
  const auto outcome = document.FindMember("outcome");
  if (outcome != document.MemberEnd() && outcome->value.IsString() &&
      std::string_view(outcome->value.GetString(), outcome->value.GetStringLength()) == "Duplicate") {
    return ReportOutcome::Duplicate;
  }
  return ReportOutcome::Applied;
}

Decoded<Report> decode_report(std::string_view body) {
  Decoded<Report> result;
  rapidjson::Document document;
  if (!core::json::parse_body(body, document, result.errors)) return result;

  FieldReader fields(document, "", result.errors);
  Report report;
  if (auto agent_id = fields.required_string("agentId")) {
    if (agent_id->empty() || agent_id->size() > kMaxAgentIdLength) {
      fields.error("agentId", "must be 1 to " + std::to_string(kMaxAgentIdLength) + " characters");
    } else {
      report.agent_id = std::move(*agent_id);
    }
  }
  if (auto seq = fields.required_uint("seq", kMaxReportSeq)) report.seq = *seq;
  if (auto full = fields.required_bool("full")) report.full = *full;
  if (auto version = fields.optional_string("agentVersion")) {
    // Copied into MemberCluster status: bounded like agentId.
    if (version->size() > kMaxAgentVersionLength) {
      fields.error("agentVersion", "at most " + std::to_string(kMaxAgentVersionLength) + " characters");
    } else {
      report.agent_version = std::move(*version);
    }
  }

  if (const auto* services = fields.array("services", true)) {
    std::map<ServiceKey, std::size_t> first_index;
    for (rapidjson::SizeType i = 0; i < services->Size(); ++i) {
      const auto path = core::json::indexed("services", i);
      auto service = read_service((*services)[i], path, result.errors);
      if (!service) continue;
      auto [it, inserted] = first_index.emplace(service->key, i);
      if (!inserted) {
        result.errors.push_back({path, "duplicates services[" + std::to_string(it->second) + "]"});
        continue;
      }
      report.services.push_back(std::move(*service));
    }
  }
  if (auto applied = read_applied(fields.object("applied", false), "applied", result.errors)) {
    report.applied = std::move(*applied);
  }
  if (const auto* outputs = fields.object("outputs", false)) {
    FieldReader served(*outputs, "outputs", result.errors);
    ServedApis apis;
    apis.traffic_split = served.required_bool("trafficSplit").value_or(false);
    apis.gateway_http_route = served.required_bool("httpRoute").value_or(false);
    apis.linkerd_http_route = served.required_bool("linkerdHTTPRoute").value_or(false);
    report.outputs = apis;
  }
  report.data_plane = detail::read_data_plane_round(document, result.errors);
  if (result.errors.empty()) result.value = std::move(report);
  return result;
}

std::string encode_report(const Report& report) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  out.Key("agentId");
  out.String(report.agent_id);
  out.Key("seq");
  out.Uint64(report.seq);
  out.Key("full");
  out.Bool(report.full);
  if (!report.agent_version.empty()) {
    out.Key("agentVersion");
    out.String(report.agent_version);
  }
  out.Key("services");
  out.StartArray();
  for (const auto& service : report.services) {
    out.StartObject();
    detail::write_service_key_fields(out, service.key);
    out.Key("exists");
    out.Bool(service.exists);
    out.Key("readyEndpoints");
    out.Uint(service.ready_endpoints);
    out.Key("totalEndpoints");
    out.Uint(service.total_endpoints);
    if (service.data_plane) detail::write_data_plane_measurement(out, *service.data_plane);
    out.EndObject();
  }
  out.EndArray();
  if (report.outputs) {
    out.Key("outputs");
    out.StartObject();
    out.Key("trafficSplit");
    out.Bool(report.outputs->traffic_split);
    out.Key("httpRoute");
    out.Bool(report.outputs->gateway_http_route);
    out.Key("linkerdHTTPRoute");
    out.Bool(report.outputs->linkerd_http_route);
    out.EndObject();
  }
  if (report.data_plane) detail::write_data_plane_round(out, *report.data_plane);
  out.Key("applied");
  out.StartObject();
  out.Key("revision");
  out.Int64(report.applied.revision);
  out.Key("errors");
  out.StartArray();
  for (const auto& error : report.applied.errors) out.String(error);
  out.EndArray();
  out.EndObject();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace switchyard::protocol
