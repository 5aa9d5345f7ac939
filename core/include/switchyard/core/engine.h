// The failover engine: every FailoverService, the health the agents report,
// and the decisions of api.md rules 1-8, per consumer cluster.
//
// Pure and single-threaded: no I/O, no clock (every call that depends on
// time takes `now`), owned by the hub's loop thread. Inputs arrive as calls;
// `evaluate` then decides only the FailoverServices that those inputs (or
// time) touched and reports what changed, so the hub writes a status, an
// assignment or an Event only when there is something new.
//
// Hot path: a health observation is an interned-id update plus an index
// lookup; no allocation once the fleet is interned.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "switchyard/core/data_plane.h"
#include "switchyard/core/failover_service.h"
#include "switchyard/core/field_error.h"
#include "switchyard/core/overrides.h"
#include "switchyard/core/status.h"
#include "switchyard/core/time.h"
#include "switchyard/core/traffic_split.h"

namespace switchyard::core {

enum class ServiceRole : std::uint8_t { Local, Mirror };

using ClusterId = std::uint32_t;
using ServiceId = std::uint32_t;
using RecordId = std::uint32_t;

// What one agent measured of one service.
struct Observation {
  bool exists = false;
  std::uint32_t ready_endpoints = 0;
  std::uint32_t total_endpoints = 0;
  bool operator==(const Observation&) const = default;
};

struct EngineOptions {
  // When the hub started: clusters count as heard at this time, so that none
  // becomes unknown during the first unknownAfterSeconds (start-up grace).
  TimeMs started_at = 0;
  // Rule 8: a member silent for the smallest unknownAfterSeconds of the
  // valid FailoverServices counts toward the fleet freeze, so that the freeze
  // begins before any of them can act on that silence (unknownAfterSeconds
  // is at most silentFailoverSeconds). This applies while none is valid.
  TimeMs fleet_silent_after_ms = 40'000;
};

enum class DecisionEventKind { FailedOver, FailedBack, NoHealthyBackend, InvalidSpec, Pinned, PinForced, Unpinned };

struct DecisionEvent {
  DecisionEventKind kind;
  std::string reason;   // Kubernetes Event reason, e.g. "FailedOver"
  std::string message;  // names consumer, from and to
  bool warning = false;
};

// What one evaluate() changed for one FailoverService.
struct Change {
  RecordId record = 0;
  bool spec_changed = false;    // added or replaced: every cluster it names has a new assignment
  bool status_changed = false;
  std::uint64_t splits_changed = 0;  // bit i: consumer i's TrafficSplit changed
  std::vector<DecisionEvent> events;
};

struct Revisions {
  std::int64_t desired = 0;
  std::int64_t applied = 0;
};

// What a cluster's agent must watch and apply, across every FailoverService.
struct ClusterAssignment {
  struct WatchItem {
    std::string namespace_name, name;
    ServiceRole role;
    // A local service some FailoverService checks the data plane of
    // (merged when several do); unset otherwise, and for mirrors.
    std::optional<MeasureRequest> measure;
    auto operator<=>(const WatchItem&) const = default;
  };
  std::vector<WatchItem> watch;       // sorted, unique
  std::vector<TrafficSplit> splits;   // sorted by namespace/name
  bool operator==(const ClusterAssignment&) const = default;
};

class Engine {
 public:
  explicit Engine(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // --- Fleet --------------------------------------------------------------
  // The MemberClusters that exist. FailoverServices naming others become
  // Invalid (and valid again when the cluster appears).
  void set_member_clusters(const std::set<std::string, std::less<>>& names, TimeMs now);
  [[nodiscard]] const std::set<std::string, std::less<>>& member_clusters() const { return members_; }

  // --- FailoverServices ---------------------------------------------------
  // Adds or replaces a FailoverService. `recorded` is its status as last
  // written (after a hub restart: the decisions to resume); pass it only
  // when the engine does not know the object yet.
  RecordId upsert(const FailoverService& fos, const std::optional<FosStatus>& recorded, TimeMs now);
  // An object whose spec could not even be parsed: it is shown Invalid.
  RecordId upsert_unparsable(const ObjectKey& key, std::int64_t generation, std::vector<FieldError> errors,
                             TimeMs now);
  // Returns the clusters whose assignment loses its TrafficSplit or watches.
  std::vector<std::string> remove(const ObjectKey& key);
  [[nodiscard]] std::optional<RecordId> find(const ObjectKey& key) const;

  // --- Health -------------------------------------------------------------
  // Ids are permanent: resolve a cluster once and keep its id. A service is
  // looked up in its cluster's own table, without building a key or
  // allocating once it is known (one per reported service: bench/core).
  [[nodiscard]] ClusterId cluster_id(std::string_view cluster);
  [[nodiscard]] ServiceId service_id(ClusterId cluster, std::string_view namespace_name, std::string_view name,
                                     ServiceRole role);
  // A report from `cluster` arrived at `now` (hub receive time).
  void heard_from(ClusterId cluster, TimeMs now);
  // What the report said of one service.
  void observe(ServiceId service, const Observation& observation);
  // A full snapshot: services of `cluster` it does not list are forgotten
  // (no longer measured), as after a restart of its agent.
  // Both cost the cluster's own services, not the fleet's.
  void begin_snapshot(ClusterId cluster);
  void end_snapshot(ClusterId cluster);
  // Rule 1a (data_plane.h). What the report said of one service's data
  // plane (nothing: it measured none, as an older agent), then, once per
  // evaluation the agent reports, `data_plane_evaluated`: every backing
  // service that cluster runs advances its check streak by one judgement of
  // its last sample. A report repeats no unchanged sample, so the count of
  // evaluations, not of samples, drives the thresholds.
  void observe_data_plane(ServiceId service, std::optional<DataPlaneSample> sample);
  void data_plane_evaluated(ClusterId cluster);
  // How many of the cluster's services its agent reports now: every service
  // some report carried, less those a later full snapshot left out.
  [[nodiscard]] std::size_t reported_services(ClusterId cluster) const;

  // --- Operator overrides (overrides.h) ------------------------------------
  // A MemberCluster's spec.drain, or nothing when it has none. An undrain
  // with Undrain::Now returns the cluster's backends without the failback
  // delay in the next evaluate() (once: a backend not usable then waits the
  // delay as usual when it becomes usable later).
  void set_drain(ClusterId cluster, std::optional<Drain> drain,
                 Undrain undrain = Undrain::AfterFailbackDelay);
  [[nodiscard]] const std::optional<Drain>& drain(ClusterId cluster) const;

  // --- Deciding -----------------------------------------------------------
  // Decides every FailoverService touched since the last call (or whose
  // timers are due) and appends what changed to `out` (cleared first).
  void evaluate(TimeMs now, std::vector<Change>& out);
  // The earliest time after `now` at which time alone can change a
  // decision; the hub arms one timer for it.
  [[nodiscard]] std::optional<TimeMs> next_deadline(TimeMs now) const;
  [[nodiscard]] bool frozen() const { return frozen_; }
  // How long a member must be silent to count toward the freeze now (see
  // EngineOptions::fleet_silent_after_ms).
  [[nodiscard]] TimeMs fleet_silent_after() const;
  // Some decision found the cluster's agent silent (past a FailoverService's
  // unknownAfterSeconds) and it has not reported since. What is decided for
  // it meanwhile is provisional (rule 1b): the hub hands it no new assignment
  // until its next report has been decided on.
  [[nodiscard]] bool silent(ClusterId cluster) const;

  // --- Outputs ------------------------------------------------------------
  [[nodiscard]] const ObjectKey& key_of(RecordId record) const;
  [[nodiscard]] std::size_t consumer_count(RecordId record) const;
  [[nodiscard]] const std::string& consumer_cluster(RecordId record, std::size_t consumer) const;
  // The consumer's TrafficSplit, or nothing while no decision was ever made
  // for it (or the spec is invalid).
  [[nodiscard]] std::optional<TrafficSplit> traffic_split(RecordId record, std::size_t consumer) const;
  // The status block; `revisions` gives each consumer cluster's assignment
  // revisions (desired, applied).
  [[nodiscard]] FosStatus status(RecordId record, TimeMs now,
                                 const std::map<std::string, Revisions, std::less<>>& revisions);
  [[nodiscard]] ClusterAssignment assignment_for(std::string_view cluster) const;
  // Clusters whose assignment a change touched (consumers whose split
  // changed; clusters whose watch list may have changed).
  [[nodiscard]] std::vector<std::string> clusters_touched(const Change& change) const;
  [[nodiscard]] std::size_t record_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::set<std::string, std::less<>> members_;
  bool frozen_ = false;
};

}  // namespace switchyard::core
