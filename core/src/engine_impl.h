// The engine's state (see engine.h). Internal to core/.
#pragma once

#include <queue>

#include "service_index.h"
#include "switchyard/core/engine.h"
#include "switchyard/core/overrides.h"

namespace switchyard::core {

inline constexpr TimeMs kNever = INT64_MIN;
inline constexpr RecordId kNoRecord = UINT32_MAX;
inline constexpr RecordId kManyRecords = UINT32_MAX - 1;

struct ClusterState {
  std::string name;
  bool member = false;
  TimeMs last_heard = 0;        // hub receive time; started_at until the first report
  bool reported = false;        // a report arrived since the hub started
  bool seen_silent = false;     // an evaluation found it silent: its next report re-decides
  std::vector<RecordId> records;  // FailoverServices naming it (backing or consumer)
  std::vector<ServiceId> services;  // its services, for its agent's snapshots
  ServiceIndex service_index;       // its services by name
  std::size_t reported_services = 0;  // of them, those its agent reports now
  std::optional<Drain> drain;         // MemberCluster spec.drain (overrides.h)
  // Undrained with Undrain::Now and not decided on yet: the groups its
  // backends make usable skip the failback delay in the next evaluate().
  bool undrained_now = false;
};

// What the reports say of one service. Kept apart from its names, so that
// deciding reads 20 bytes per service and the health of a large fleet stays
// in cache (bench/core).
struct ServiceHealth {
  Observation last;       // the last reported values (the last known health)
  bool reported = false;  // some report since the hub started carried it
  bool in_snapshot = false;
  // The FailoverService that decides on it when there is exactly one (the
  // common case), so that observe marks it without reading ServiceState and
  // its list: kNoRecord when none, kManyRecords when more (see the list).
  RecordId sole_record = kNoRecord;
};


struct ServiceState {
  ClusterId cluster = 0;
  ServiceRole role = ServiceRole::Local;
  std::vector<RecordId> records;  // FailoverServices that decide on it (ServiceHealth::sole_record sums it up)
  std::string name, namespace_name;
};

// Why a backing service is or is not usable from one consumer.
enum class MirrorState : std::uint8_t { NotNeeded, Ready, NotReady, Missing, Unknown };

// Why a backing service is not healthy, or not usable from one consumer,
// kept as data: the words are written only when a status message or an Event
// is rendered, so deciding allocates nothing (bench/core).
enum class WhyNot : std::uint8_t {
  None,
  PresumedDown,       // its cluster silent for silentFailoverSeconds
  SilentUnknown,      // its cluster silent for unknownAfterSeconds, last known unhealthy
  DoesNotExist,
  TooFewEndpoints,    // `ready` says how many
  RestoredUnhealthy,  // after a hub restart, before its agent reports
  NotReportedYet,
  MirrorMissing,      // rule 7
  MirrorNotReady,     // rule 2
  Drained,            // its cluster's MemberCluster has spec.drain
  DataPlaneFailing,   // rule 1a: failureThreshold failing evaluations in a row
};

struct Reason {
  WhyNot why = WhyNot::None;
  std::uint32_t ready = 0;
  bool operator==(const Reason&) const = default;
};

// What a consumer's status line says, as data (render_consumer_message
// writes it out).
enum class LineKind : std::uint8_t { None, Waiting, Traffic, NoHealthyKept, NoHealthyYet };

struct ConsumerLine {
  LineKind kind = LineKind::None;
  TimeMs since = 0;
  std::vector<std::uint8_t> carrying;  // per backing: weight > 0 (Traffic)
  std::vector<Reason> because;  // per backing; None: not mentioned
  bool operator==(const ConsumerLine&) const = default;
};

struct BackingRuntime {
  ServiceId service = kNoService;
  ClusterId cluster = 0;
  std::uint32_t weight = 1;              // spec's, here so that deciding does not read the spec
  std::optional<bool> restored_healthy;  // from the recorded status, until a report says
  Health display = Health::Unknown;
  std::uint32_t display_ready = 0;
  TimeMs display_since = 0;
  // Rule 1a (data_plane.h): advanced once per evaluation its agent reports.
  CheckStreak streak;
  std::string failing_words;  // the evaluation that made it failing, for status and Events
};

// A consumer's decision as it stood when its own agent fell silent: what that
// agent last had (rule 1b). See ConsumerRuntime::before_silence.
struct HeldDecision {
  bool decided = false;
  std::int32_t active_priority = 0;
  TimeMs active_since = 0;
  std::vector<std::uint32_t> weights;
  std::vector<std::uint8_t> omitted;
  bool no_healthy = false;
  std::vector<TimeMs> usable_since;
};

// What a consumer's pin did at its last decision, for the Events of a change.
enum class PinShown : std::uint8_t { None, Pinned, Forced };

// The pinned backing that decides a consumer (overrides.cpp).
struct PinDecision {
  std::size_t backing = 0;
  bool forced = false;  // not usable, pinned by spec.pin.force
};

// The fields every decision reads come first, so that a consumer's decision
// reads four cache lines of it; what is read only for outputs follows
// (bench/core).
struct ConsumerRuntime {
  ClusterId cluster = 0;
  bool decided = false;
  bool restored = false;                 // decided from a recorded status, before this hub heard the consumer
  bool no_healthy = false;
  PinShown pin_shown = PinShown::None;
  std::int32_t active_priority = 0;
  TimeMs active_since = 0;
  std::size_t pin_backing = 0;           // the backing pinned when pin_shown was set
  // After a restart: the line status showed, until decided anew.
  std::unique_ptr<std::string> recorded_message;
  // Set while this consumer's own agent is silent. Decisions made meanwhile
  // (rule 2: only the backends' side counts) are provisional: its agent hears
  // none of them, and when it reports again the consumer is decided anew from
  // this held decision on the fresh report, so that its silence moves none of
  // its traffic and starts no failback delay (rule 1b).
  std::unique_ptr<HeldDecision> before_silence;
  std::vector<ServiceId> mirrors;        // per backing: its mirror here, kNoService when local
  std::vector<std::uint32_t> weights;    // per backing
  std::vector<std::uint8_t> omitted;     // per backing: mirror missing here (rule 7)
  std::vector<TimeMs> usable_since;      // per priority group (index into Record::priorities)
  ConsumerLine line;                     // its status line
  std::vector<std::string> backend_names;  // per backing: the Service name in this cluster
  // spec.mode Observe: the route as last enforced (undecided: none), which
  // this consumer keeps while `weights` shows the would-be decision. It lists
  // its own backends, so that neither a spec edit nor a restart (resumed from
  // status.consumers[].heldBackends) rewrites it. Nothing while enforcing.
  struct Routed {
    bool decided = false;
    std::vector<ConsumerStatus::Held> backends;  // in the route's order
  };
  std::optional<Routed> observe_hold;
};

// What decide() reads of the spec on every decision, copied next to the
// record's decision state (compile), so that a decision reads none of the
// spec's cache lines unless it writes words.
struct DecidingSpec {
  TimeMs unknown_after_ms = 0;
  TimeMs silent_failover_ms = 0;
  TimeMs failback_delay_ms = 0;
  std::uint32_t min_ready_endpoints = 1;
  bool require_mirror_ready = false;
  bool has_pin = false;
};

// The fields every decision reads come first (see ConsumerRuntime).
struct Record {
  bool live = false;
  bool status_dirty = true;
  bool spec_changed = false;
  bool shown_frozen = false;
  bool unparsable = false;          // latest could not be parsed at all
  std::uint64_t splits_dirty = 0;
  TimeMs scheduled_wake = kNever;  // the earliest wake-up queued for it
  DecidingSpec deciding;
  std::vector<FieldError> errors;  // non-empty: Invalid
  std::vector<BackingRuntime> backings;
  std::vector<std::int32_t> priorities;         // distinct, ascending
  std::vector<std::uint32_t> group_of;          // per backing: index into priorities
  std::vector<ConsumerRuntime> consumers;
  std::vector<DecisionEvent> pending_events;
  FailoverService fos;              // the spec decided on (the last valid one, if any)
  std::int64_t observed_generation = 0;
  std::uint64_t failover_count = 0;
  std::optional<TimeMs> last_failover_time;
  std::vector<Condition> conditions;            // as last shown, for transition times
  std::string state_message;
  FailoverService latest;           // the spec as last given, valid or not
};

struct Engine::Impl {
  EngineOptions options;
  std::vector<ClusterState> clusters;
  std::unordered_map<std::string, ClusterId> cluster_ids;
  std::vector<ServiceState> services;
  std::vector<ServiceHealth> health;  // per service
  // Per service: its agent's last data-plane measurement (rule 1a), apart
  // from `health` so that readiness stays 20 bytes per service.
  std::vector<std::optional<DataPlaneSample>> samples;
  std::string key_buffer;  // reused to look clusters up without allocating
  std::vector<Record> records;
  std::vector<RecordId> free_records;
  // unknownAfterSeconds (ms) of each valid FailoverService, counted: the
  // smallest is rule 8's silence threshold (fleet_silent_after).
  std::map<TimeMs, std::size_t> unknown_thresholds;
  std::map<ObjectKey, RecordId> record_ids;
  // Clusters undrained with Undrain::Now since the last evaluate() (their
  // ClusterState::undrained_now is set).
  std::vector<ClusterId> undrained_now;
  std::vector<RecordId> dirty;
  // Per record: queued in `dirty`. Apart from Record so that marking one
  // reads a byte, not a Record's cache lines (they are read when decided).
  std::vector<std::uint8_t> queued;
  std::vector<RecordId> deciding;  // the batch evaluate() takes from `dirty` (kept for its capacity)
  // Rule 8's count of silent members is redone only when it can change.
  bool fleet_recount = true;
  TimeMs fleet_next_recount = INT64_MIN;
  // Reused by decide() so that deciding allocates nothing.
  struct Scratch {
    std::vector<std::uint8_t> healthy, last_known, presumed_down, no_info, usable, omitted, mirror_unknown, group_usable, mentioned;
    std::vector<Health> display;
    std::vector<Reason> health_why, why_not;
    std::vector<std::uint32_t> weights;
    ConsumerLine line;
    // Sizes every per-backing vector (and group_usable) for one record,
    // without refilling them: deciding sets each element it reads.
    void size_for(std::size_t backings, std::size_t groups);
  } scratch;
  using Wake = std::pair<TimeMs, RecordId>;
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes;

  ClusterId intern_cluster(std::string_view name);
  ServiceId intern_service(ClusterId cluster, std::string_view namespace_name, std::string_view name,
                           ServiceRole role);
  void mark_dirty(RecordId id);
  // Keeps health[service].sole_record in step with services[service].records.
  void sum_up_records(ServiceId service);
  void attach(RecordId id);
  void detach(RecordId id);
  void compile(Record& record, const std::optional<FosStatus>& recorded, TimeMs now);
  // Adds (or takes back) a valid record's unknownAfterSeconds to rule 8's threshold.
  void count_threshold(const Record& record, bool add);
  [[nodiscard]] TimeMs fleet_silent_after() const;
  // Rule 1b: holds a consumer's decision when its agent falls silent, and
  // brings it back when the agent reports again.
  void hold_or_resume(Record& record, std::size_t consumer, bool silent);
  // Decides one record; returns its next wake-up time (or kNever).
  TimeMs decide(Record& record, TimeMs now, bool frozen);
  // Starts the memory loads decide() will make for `record` (prefetch.cpp).
  void prefetch(const Record& record) const;
  // Keeps `line` as the consumer's status line; true when what status says changed.
  bool update_line(Record& record, std::size_t consumer, const ConsumerLine& line);
  // The operator overrides step (overrides.cpp), on the scratch's usable
  // backings of one consumer, before group selection: drained backends
  // become unusable; returns the pinned backing that decides, if any. May
  // bring `wake` forward to the pin's expiry.
  std::optional<PinDecision> apply_overrides(Record& record, std::size_t consumer, TimeMs now, TimeMs& wake);
  // A usable member of `group` is in a cluster just undrained with
  // Undrain::Now (read on the scratch's usable backings of one consumer):
  // the group's failback clock starts as if the delay had passed.
  [[nodiscard]] bool returns_without_delay(const Record& record, std::size_t group) const;
  // Rule 4's timer: queues a wake-up unless an earlier one is queued.
  void schedule(RecordId id, TimeMs at);
  // Rule 1a: one evaluation of `cluster`'s agent, for every backing it runs.
  void advance_data_plane(ClusterId cluster);
};

// The conditions of the overrides (overrides.cpp): Pinned and PinForced
// while spec.pin is set, Observing in Observe mode.
void append_override_conditions(const Record& record, std::vector<Condition>& conditions);
// The route consumer `consumer` of `record` has now: its Observe-mode hold,
// else its decision (overrides.cpp).
[[nodiscard]] ConsumerRuntime::Routed routed(const Record& record, std::size_t consumer);
// The hold status recorded for consumer `consumer` (restart), if any
// (overrides.cpp): its heldBackends.
[[nodiscard]] std::optional<ConsumerRuntime::Routed> recorded_hold(const ConsumerStatus& shown);

// The words (decision_words.cpp).
// Appends why backing `backing` is not usable from `consumer`.
void append_reason(std::string& out, const Record& record, std::size_t consumer, std::size_t backing,
                   const Reason& reason);
// Appends the reasons of the backings `include` marks, "; "-separated.
void append_reasons(std::string& out, const Record& record, std::size_t consumer, const std::vector<Reason>& reasons,
                    const std::vector<std::uint8_t>& include);
// Appends "cluster/namespace/name" of the backings `include` marks, ", "-separated.
void append_backings(std::string& out, const Record& record, const std::vector<std::uint8_t>& include);
[[nodiscard]] std::string render_line(const Record& record, std::size_t consumer, const ConsumerLine& line);
// The consumer's status line as status shows it.
[[nodiscard]] std::string consumer_message(const Record& record, std::size_t consumer);

}  // namespace switchyard::core
