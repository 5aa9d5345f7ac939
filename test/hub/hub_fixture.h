// Fakes and object builders for the hub's controller tests: a recording
// status sink and event sink, the real agent-API hand-offs, and the JSON the
// Kubernetes API serves for FailoverServices, MemberClusters and Secrets.
#pragma once

#include <catch2/catch.hpp>

#include <rapidjson/document.h>

#include <memory>
#include <string>
#include <vector>

#include "switchyard/hub/controller.h"
#include "switchyard/protocol/codec.h"

namespace switchyard::hub::testing {

inline constexpr TimeMs kStart = 1'700'000'000'000;

class RecordingStatuses final : public StatusSink {
 public:
  void submit(StatusWrite write) override { writes.push_back(std::move(write)); }
  std::vector<StatusWrite> writes;
  [[nodiscard]] std::vector<StatusWrite> of(WriteKind kind, const std::string& name) const {
    std::vector<StatusWrite> out;
    for (const auto& write : writes) {
      if (write.kind == kind && write.name == name) out.push_back(write);
    }
    return out;
  }
};

struct RecordedEvent {
  EventSubject subject;
  bool warning;
  std::string reason, message;
};

class RecordingEvents final : public EventSink {
 public:
  void record(const EventSubject& subject, bool warning, const std::string& reason,
              const std::string& message) override {
    events.push_back({subject, warning, reason, message});
  }
  [[nodiscard]] std::vector<RecordedEvent> with_reason(const std::string& reason) const {
    std::vector<RecordedEvent> out;
    for (const auto& event : events) {
      if (event.reason == reason) out.push_back(event);
    }
    return out;
  }
  std::vector<RecordedEvent> events;
};

inline std::unique_ptr<rapidjson::Document> parse(const std::string& json) {
  auto document = std::make_unique<rapidjson::Document>();
  document->Parse(json.c_str());
  REQUIRE_FALSE(document->HasParseError());
  return document;
}

inline const std::string kTwoClusterSpec =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30}})";

inline std::string fos_json(const std::string& spec, const std::string& status_json = "",
                            std::int64_t generation = 1, const std::string& name = "web-svc") {
  std::string json = R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService","metadata":{"name":")" +
                     name + R"(","namespace":"emojivoto","uid":"uid-)" + name + R"(","generation":)" +
                     std::to_string(generation) + R"(},"spec":)" + spec;
  if (!status_json.empty()) json += R"(,"status":)" + status_json;
  return json + "}";
}

inline FailoverServiceObject fos_object(const std::string& spec, const std::string& status_json = "",
                                        std::int64_t generation = 1, const std::string& name = "web-svc") {
  auto document = parse(fos_json(spec, status_json, generation, name));
  auto object = read_failover_service(*document);
  REQUIRE(object);
  return *object;
}

inline MemberClusterObject member_object(const std::string& name, const std::string& status_json = "") {
  std::string json = R"({"apiVersion":"switchyard.io/v1alpha1","kind":"MemberCluster","metadata":{"name":")" + name +
                     R"(","uid":"uid-)" + name + R"(","generation":1},"spec":{"tokenSecretRef":)"
                     R"({"namespace":"switchyard-system","name":"agent-)" + name + R"(","key":"token"}})";
  if (!status_json.empty()) json += R"(,"status":)" + status_json;
  auto document = parse(json + "}");
  auto object = read_member_cluster(*document);
  REQUIRE(object);
  return *object;
}

inline std::string base64(const std::string& text) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    const auto n = (std::uint32_t(std::uint8_t(text[i])) << 16) | (std::uint32_t(std::uint8_t(text[i + 1])) << 8) |
                   std::uint8_t(text[i + 2]);
    for (int shift : {18, 12, 6, 0}) out.push_back(alphabet[(n >> shift) & 63]);
  }
  if (i + 1 == text.size()) {
    const auto n = std::uint32_t(std::uint8_t(text[i])) << 16;
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == text.size()) {
    const auto n = (std::uint32_t(std::uint8_t(text[i])) << 16) | (std::uint32_t(std::uint8_t(text[i + 1])) << 8);
    out += {alphabet[(n >> 18) & 63], alphabet[(n >> 12) & 63], alphabet[(n >> 6) & 63], '='};
  }
  return out;
}

// A Secret in switchyard-system whose data.token is base64 of `token`.
inline SecretObject secret_object(const std::string& name, const std::string& token) {
  auto document = parse(R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":")" + name +
                        R"(","namespace":"switchyard-system"},"data":{"token":")" + base64(token) + R"("}})");
  auto object = read_secret(*document);
  REQUIRE(object);
  return *object;
}

// The hub's outputs wired to fakes, and a controller over them.
struct Hub {
  explicit Hub(TimeMs started_at = kStart, std::chrono::milliseconds cluster_timeout = std::chrono::seconds(15))
      : hub_metrics(registry),
        controller({started_at, cluster_timeout}, {board, tokens, sessions, statuses, events, hub_metrics}),
        now(started_at) {}

  // MemberClusters west and east with their token Secrets.
  void add_members(const std::vector<std::string>& names) {
    for (const auto& name : names) {
      controller.member_cluster_changed(member_object(name), now);
      controller.secret_changed(secret_object("agent-" + name, "token-" + name));
    }
  }

  struct Seen {
    std::string name;
    std::uint32_t ready;
    protocol::ServiceRole role = protocol::ServiceRole::Local;
  };
  void report(const std::string& cluster, const std::vector<Seen>& services, std::int64_t applied = 0,
              bool full = true) {
    protocol::Report report;
    report.agent_id = cluster + "-agent";
    report.seq = ++seq[cluster];
    report.full = full;
    report.agent_version = "0.1.0";
    report.applied.revision = applied;
    for (const auto& seen : services) {
      report.services.push_back({{"emojivoto", seen.name, seen.role}, true, seen.ready, seen.ready, std::nullopt});
    }
    if (auto served = outputs.find(cluster); served != outputs.end()) report.outputs = served->second;
    controller.report_received(cluster, std::move(report), now);
  }
  void all_healthy() {
    report("west", {{"web-svc", 2}, {"web-svc-east", 1, protocol::ServiceRole::Mirror}}, applied("west"));
    report("east", {{"web-svc", 2}, {"web-svc-west", 1, protocol::ServiceRole::Mirror}}, applied("east"));
  }
  std::int64_t applied(const std::string& cluster) const { return controller.revision(cluster); }

  void flush() { controller.flush(now); }
  void advance(double seconds) {
    now += static_cast<TimeMs>(seconds * 1000);
    flush();
  }

  // The assignment currently published for `cluster` (fails the test if none).
  protocol::Assignment assignment(const std::string& cluster) {
    auto published = board.wait_for_change(cluster, -1, AssignmentBoard::Clock::now());
    REQUIRE(published);
    auto decoded = protocol::decode_assignment(published->text());
    INFO(decoded.message());
    REQUIRE(decoded.ok());
    return *decoded.value;
  }
  // "service=weight" of the only TrafficSplit in `cluster`'s assignment.
  std::vector<std::string> split(const std::string& cluster) {
    const auto current = assignment(cluster);
    REQUIRE(current.traffic_splits.size() == 1);
    auto document = parse(current.traffic_splits[0].object_json);
    std::vector<std::string> out;
    for (const auto& backend : (*document)["spec"]["backends"].GetArray()) {
      const auto& weight = backend["weight"];
      out.push_back(std::string(backend["service"].GetString()) + "=" +
                    (weight.IsString() ? std::string(weight.GetString()) : std::to_string(weight.GetInt64())));
    }
    return out;
  }
  // The `.status` last written for FailoverService web-svc, parsed.
  std::unique_ptr<rapidjson::Document> last_status(const std::string& name = "web-svc") {
    const auto writes = statuses.of(WriteKind::FailoverServiceStatus, name);
    REQUIRE_FALSE(writes.empty());
    return parse(writes.back().status_json);
  }

  metrics::Registry registry;
  HubMetrics hub_metrics;
  AssignmentBoard board;
  TokenRegistry tokens;
  AgentSessions sessions;
  RecordingStatuses statuses;
  RecordingEvents events;
  Controller controller;
  TimeMs now;
  std::map<std::string, std::uint64_t> seq;
  // What each cluster's agent reports it serves (`outputs`); none: an agent
  // older than discovery.
  std::map<std::string, protocol::ServedApis> outputs;
};

}  // namespace switchyard::hub::testing
