// The hub's decision shell around core::Engine: it turns what the informers
// and the agents say into engine inputs, and what the engine decides into
// assignments (AssignmentBoard), status writes (StatusSink), Events
// (EventSink), tokens (TokenRegistry) and metrics.
//
// Threads: every method runs on the hub's loop thread (the controller owns
// the Engine and all decision state). Its outputs are thread-safe hand-offs.
//
// Inputs only record what changed; flush() decides once for the whole batch:
// one engine.evaluate(), then a new assignment revision only for clusters
// whose assignment really changed, then a status write only for objects
// whose status differs from the one last written or observed.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "switchyard/core/engine.h"
#include "switchyard/hub/agent_sessions.h"
#include "switchyard/hub/assignment_board.h"
#include "switchyard/hub/hub_metrics.h"
#include "switchyard/hub/objects.h"
#include "switchyard/hub/route_outputs.h"
#include "switchyard/hub/token_registry.h"
#include "switchyard/hub/writes.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::hub {

using core::TimeMs;

// What the loop drives: reports, a decision per batch, and when to wake up.
class DecisionWork {
 public:
  virtual ~DecisionWork() = default;
  virtual void report_received(const std::string& cluster, protocol::Report&& report, TimeMs received_at) = 0;
  virtual void flush(TimeMs now) = 0;
  [[nodiscard]] virtual std::optional<TimeMs> next_deadline(TimeMs now) const = 0;
};

struct ControllerOptions {
  TimeMs started_at = 0;                             // when this hub started deciding (start-up grace)
  std::chrono::milliseconds cluster_timeout{15'000};  // --cluster-timeout: Connected=False after this silence
};

struct ControllerOutputs {
  AssignmentBoard& board;
  TokenRegistry& tokens;
  AgentSessions& sessions;
  StatusSink& statuses;
  EventSink& events;
  HubMetrics& metrics;
};

class Controller final : public DecisionWork {
 public:
  Controller(ControllerOptions options, ControllerOutputs outputs);
  ~Controller() override;

  // --- Informer inputs ------------------------------------------------------
  void failover_service_changed(const FailoverServiceObject& object, TimeMs now);
  void failover_service_deleted(const core::ObjectKey& key);
  void member_cluster_changed(const MemberClusterObject& object, TimeMs now);
  void member_cluster_deleted(const std::string& name, TimeMs now);
  void secret_changed(const SecretObject& secret);
  void secret_deleted(const std::string& namespace_name, const std::string& name);

  // --- DecisionWork ---------------------------------------------------------
  void report_received(const std::string& cluster, protocol::Report&& report, TimeMs received_at) override;
  void flush(TimeMs now) override;
  [[nodiscard]] std::optional<TimeMs> next_deadline(TimeMs now) const override;

  // --- Introspection (tests, readiness) -------------------------------------
  [[nodiscard]] std::int64_t revision(const std::string& cluster) const;
  [[nodiscard]] bool connected(const std::string& cluster) const;

 private:
  struct FosEntry;
  struct MemberEntry;
  struct ConsumerRevision;
  struct ClusterPublication;
  void refresh_token(const std::string& cluster);
  // After token changes: a condition and an Event on each cluster whose token
  // another has too (the agent API then refuses it for both).
  void note_token_conflicts(TimeMs now);
  void forget_consumer(const std::string& cluster, const core::ObjectKey& key);
  void note_split_changes(const core::Change& change, FosEntry& entry);
  // Output choice (docs/outputs.md): the consumer's choice made again from
  // what the spec, the MemberCluster and its agent's reports say now.
  void choose_output_for(FosEntry& entry, const std::string& cluster, TimeMs now);
  void choose_outputs_in(const std::string& cluster, TimeMs now);  // every FailoverService consuming it
  void output_kinds_changed(const FosEntry& entry, const std::string& cluster);
  void note_applied_outputs(const std::string& cluster, std::int64_t applied);
  // The engine's decided routes of a whole assignment as the objects to
  // write, per each FailoverService's output kinds in `cluster`.
  void expand_routes(const std::string& cluster, core::ClusterAssignment& assignment) const;
  [[nodiscard]] std::vector<core::TrafficSplit> routes_for(const FosEntry& entry, const std::string& cluster,
                                                           const std::optional<core::TrafficSplit>& decided) const;
  void check_connections(TimeMs now);
  void publish(const std::string& cluster);
  // Each records in `step` what it changed, for agents' delta answers.
  void replace_assignment(ClusterPublication& publication, core::ClusterAssignment assignment, AssignmentStep& step);
  [[nodiscard]] bool update_splits(const std::string& cluster, ClusterPublication& publication, AssignmentStep& step);
  void publish_new_revision(const std::string& cluster, std::shared_ptr<AssignmentStep> step);
  [[nodiscard]] std::map<std::string, core::Revisions, std::less<>> revisions_of(const FosEntry& entry) const;
  // A resumed FailoverService whose clusters have not all reported (or timed
  // out) since this hub started keeps its recorded status; noted under each
  // cluster it waits for, and due again when that cluster is heard.
  [[nodiscard]] bool awaits_first_reports(const FosEntry& entry);
  void release_awaiting(const std::string& cluster);
  void write_fos_status(FosEntry& entry, core::RecordId record, TimeMs now);
  void write_member_status(const std::string& name, MemberEntry& member);
  void drain_changed(const MemberClusterObject& object, MemberEntry& entry);
  // Sets entry.consumers and keeps consumed_by_ in step.
  void set_consumers(FosEntry& entry, std::vector<std::string> consumers);
  [[nodiscard]] EventSubject subject_of(const FosEntry& entry) const;

  ControllerOptions options_;
  ControllerOutputs out_;
  core::Engine engine_;
  std::map<core::ObjectKey, FosEntry> services_;
  std::map<std::string, MemberEntry, std::less<>> members_;
  std::map<std::string, std::map<std::string, std::string>> secrets_;  // "ns/name" -> data
  std::map<std::string, ClusterPublication, std::less<>> clusters_;
  std::set<std::string> republish_;            // clusters whose assignment may have changed
  std::set<std::string> rederive_;             // of those, the ones whose watch list may have changed too
  std::set<std::string, std::less<>> held_;    // silent clusters whose new assignment waits for their next report
  std::set<core::ObjectKey> status_due_;       // FailoverServices whose status must be re-derived
  std::map<std::string, std::set<core::ObjectKey>, std::less<>> awaiting_cluster_;  // see awaits_first_reports
  // Per consumer cluster, the FailoverServices moving from one output kind
  // to another there: the old kind leaves once the agent applies the new.
  std::map<std::string, std::set<core::ObjectKey>, std::less<>> moving_;
  // (FailoverService, consumer) whose chosen output is unavailable (the metric).
  std::set<std::pair<core::ObjectKey, std::string>> unavailable_;
  // Per cluster, the FailoverServices that name it a consumer (FosEntry's
  // consumers, inverted): choosing a cluster's outputs again (its default
  // output kind or its served APIs changed) visits those only, not every
  // FailoverService: at 1,000 clusters x 10,000 FailoverServices the scan
  // per agent's first report dominated a restart (13% self time, 9 s).
  std::map<std::string, std::set<core::ObjectKey>, std::less<>> consumed_by_;
  bool first_flush_ = true;
  bool tokens_changed_ = false;  // since the last note_token_conflicts
  std::vector<core::Change> changes_;  // reused across flushes
};

}  // namespace switchyard::hub
