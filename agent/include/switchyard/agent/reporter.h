// Sends the agent's reports on its own thread (docs/protocol.md): a full
// snapshot first, after a 409, after any failed send and whenever the agent
// may have missed a hub (a new epoch in an assignment; the hub client saw a
// connection break or close: a restarted hub or a new leader would answer a
// delta 409, issue 18 item 2); deltas otherwise,
// promptly after the loop hands over a change; a heartbeat (an empty delta)
// when nothing was sent for `interval`; a full snapshot after
// `full_after_duplicates` answers in a row that the hub did not apply it.
// Each report carries the applied
// revision and apply errors the loop last handed over.
//
// Nothing is sent before the loop's first update(): an agent that has not yet
// measured anything must not tell the hub its services are gone.
//
// The ReportBuilder belongs to this thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/backoff.h"
#include "switchyard/agent/hub_client.h"
#include "switchyard/agent/report_builder.h"

namespace switchyard::agent {

struct ReportInput {
  std::map<protocol::ServiceKey, protocol::ServiceHealth> measured;
  protocol::AppliedState applied;
  std::optional<protocol::Report::DataPlaneRound> data_plane;  // the last evaluation round, if any
  std::optional<protocol::ServedApis> outputs;                  // the route APIs discovered, once known
};

struct ReporterOptions {
  std::chrono::milliseconds interval{5000};
  // Consecutive reports the hub answered Duplicate (not applied) after which
  // the next is a full snapshot. One can be a resend the hub saw twice (the
  // first copy applied); two mean the hub's sequence for this agent is not
  // the agent's own (docs/protocol.md, "Sequencing").
  int full_after_duplicates = 2;
  BackoffOptions backoff = kHubRetryBackoff;
  std::uint64_t seed = 2;
};

class Reporter {
 public:
  // `on_reachable_again` runs on the reporter's thread when a report is
  // accepted after failed sends.
  Reporter(HubApi& hub, ReportBuilder builder, ReporterOptions options, AgentMetrics& metrics,
           std::function<void()> on_reachable_again = {});
  ~Reporter();
  Reporter(const Reporter&) = delete;
  Reporter& operator=(const Reporter&) = delete;

  void start();
  void stop();  // idempotent; joins the thread

  // Any thread: the latest state to report. Replaces what was handed over
  // before and not yet sent.
  void update(ReportInput input);
  // Any thread: the epoch of the assignment just received. A new one means
  // another hub process (a restart, another leader) that knows nothing of
  // this agent and would answer the next delta 409, so the next report is a
  // full snapshot instead: one round trip fewer per agent while a restarted
  // hub converges. A report waiting out its backoff after failed sends goes
  // at once: the hub that answered the poll is reachable, and a new leader
  // counts this cluster as silent until it hears a report.
  void assignment_epoch(const std::string& epoch);

 private:
  void run();

  HubApi& hub_;
  ReportBuilder builder_;  // reporter thread only
  ReporterOptions options_;
  AgentMetrics& metrics_;
  std::function<void()> on_reachable_again_;
  std::thread thread_;

  std::mutex mutex_;  // guards input_, input_version_, hub_epoch_, full_requested_, hub_answered_, stopping_
  std::condition_variable wake_;
  std::optional<ReportInput> input_;
  std::uint64_t input_version_ = 0;
  std::string hub_epoch_;
  bool full_requested_ = false;
  bool hub_answered_ = false;  // a poll brought an epoch not seen before; cuts a retry wait short
  bool stopping_ = false;
};

}  // namespace switchyard::agent
