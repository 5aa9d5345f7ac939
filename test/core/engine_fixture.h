// A fake fleet for engine tests: a clock the test moves, agents that report,
// and readable views of the decisions.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/engine.h"
#include "switchyard/core/parse.h"

namespace switchyard::core::testing {

inline constexpr TimeMs kStart = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

// A FailoverService JSON object in namespace emojivoto from a spec body.
inline std::string fos_json(const std::string& spec, const std::string& name = "web-svc",
                            std::int64_t generation = 1) {
  return R"({"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService","metadata":{"name":")" + name +
         R"(","namespace":"emojivoto","generation":)" + std::to_string(generation) + R"(},"spec":)" + spec + "}";
}

inline FailoverService parse_ok(const std::string& json) {
  auto parsed = parse_failover_service(json);
  INFO(parsed.message());
  REQUIRE(parsed.ok());
  return *parsed.value;
}

// The status as the API server hands it back (to a restarted hub, to the
// plugin): through its JSON form.
inline FosStatus round_trip(const FosStatus& status) {
  rapidjson::Document document;
  document.Parse(status_to_json(status).c_str());
  REQUIRE_FALSE(document.HasParseError());
  auto restored = status_from_json(document);
  REQUIRE(restored);
  return *restored;
}

class Fleet {
 public:
  explicit Fleet(std::set<std::string, std::less<>> clusters, TimeMs started_at = kStart)
      : engine(EngineOptions{started_at, 40'000}), now(started_at) {
    engine.set_member_clusters(clusters, now);
  }

  RecordId apply(const std::string& spec, const std::optional<FosStatus>& recorded = std::nullopt,
                 const std::string& name = "web-svc") {
    const auto id = engine.upsert(parse_ok(fos_json(spec, name)), recorded, now);
    evaluate();
    return id;
  }

  // `cluster`'s agent reports (receive time: now) the given services.
  struct Seen {
    std::string name;
    std::uint32_t ready;
    ServiceRole role = ServiceRole::Local;
    bool exists = true;
  };
  void report(const std::string& cluster, const std::vector<Seen>& services) {
    const auto id = engine.cluster_id(cluster);
    engine.heard_from(id, now);
    for (const auto& seen : services) {
      engine.observe(engine.service_id(id, "emojivoto", seen.name, seen.role),
                     Observation{seen.exists, seen.exists ? seen.ready : 0, seen.exists ? seen.ready : 0});
    }
    evaluate();
  }
  void heartbeat(const std::string& cluster) { report(cluster, {}); }

  void advance(double seconds) {
    now += static_cast<TimeMs>(seconds * 1000);
    evaluate();
  }

  void evaluate() {
    engine.evaluate(now, last_changes);
    for (const auto& change : last_changes) {
      for (const auto& event : change.events) events.push_back(event);
    }
  }

  // Consumer's backends as "service=weight", in order.
  std::vector<std::string> split(const std::string& consumer, RecordId id = 0) const {
    for (std::size_t c = 0; c < engine.consumer_count(id); ++c) {
      if (engine.consumer_cluster(id, c) != consumer) continue;
      auto ts = engine.traffic_split(id, c);
      if (!ts) return {"<no split>"};
      std::vector<std::string> out;
      for (const auto& backend : ts->backends) out.push_back(backend.service + "=" + std::to_string(backend.weight));
      return out;
    }
    return {"<not a consumer>"};
  }

  FosStatus status(RecordId id = 0) { return engine.status(id, now, revisions); }

  std::vector<std::string> event_reasons() const {
    std::vector<std::string> reasons;
    for (const auto& event : events) reasons.push_back(event.reason);
    return reasons;
  }

  Engine engine;
  TimeMs now;
  std::vector<Change> last_changes;
  std::vector<DecisionEvent> events;
  std::map<std::string, Revisions, std::less<>> revisions;
};

// The emojivoto story: web-svc in west (primary) and east, mirrored both ways.
inline const std::string kTwoClusterSpec =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30}})";

// Both clusters healthy, each mirror of the other reachable.
inline void all_healthy(Fleet& fleet) {
  fleet.report("west", {{"web-svc", 2}, {"web-svc-east", 1, ServiceRole::Mirror}});
  fleet.report("east", {{"web-svc", 2}, {"web-svc-west", 1, ServiceRole::Mirror}});
}

// kTwoClusterSpec with a success-rate check (rule 1a): minimum 95%,
// failureThreshold 2, successThreshold 3.
inline const std::string kTwoClusterCheckedSpec =
    R"({"backingServices":[{"cluster":"west","namespace":"emojivoto","name":"web-svc"},)"
    R"({"cluster":"east","namespace":"emojivoto","name":"web-svc"}],"failback":{"delaySeconds":30},)"
    R"("health":{"successRate":{"minimum":0.95,"window":"30s"},"failureThreshold":2,"successThreshold":3}})";

// `cluster`'s agent reports `evaluations` evaluations of its web-svc at a
// 40% success rate (12 rps).
inline void fail_data_plane(Fleet& fleet, const std::string& cluster, int evaluations) {
  const auto id = fleet.engine.cluster_id(cluster);
  for (int i = 0; i < evaluations; ++i) {
    fleet.engine.observe_data_plane(fleet.engine.service_id(id, "emojivoto", "web-svc", ServiceRole::Local),
                                    DataPlaneSample{12.0, 0.4, std::nullopt, {}, "", std::nullopt, std::nullopt});
    fleet.engine.data_plane_evaluated(id);
    fleet.evaluate();
  }
}

}  // namespace switchyard::core::testing
