// The agent's side of the agent <-> hub protocol: sends reports and long-polls
// the assignment. Calls block; the agent runs them off its loop thread and
// hands the outcomes back.
//
// Thread-safety: send_report and poll_assignment may run at once on two
// threads (each has its own kept-alive connection: a parked poll would hold
// up a report behind it on one connection with an older hub, and httplib
// does not pipeline); neither may be called concurrently with itself.
// may_have_missed_hub() runs on the thread that sends reports.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "switchyard/protocol/messages.h"

namespace httplib {
class Client;
}

namespace switchyard::agent {

struct HubClientOptions {
  std::string hub_url;   // https://hub.example:8443 (http:// for local development)
  std::string cluster;   // the MemberCluster this agent speaks for
  std::string token;     // bearer token bound to that cluster
  std::string ca_file;   // PEM bundle that signs the hub's certificate; empty: system roots
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds request_timeout{10};
};

enum class HubOutcome {
  Ok,                // report accepted / assignment answered
  NeedFullSnapshot,  // 409: send a full report next
  Unchanged,         // long poll timed out with the same revision
  Rejected,          // the hub refused the request (4xx other than 409); retrying as is will not help
  Unavailable,       // network error, 5xx, 429, or a follower hub: retry with backoff
};

struct ReportResult {
  HubOutcome outcome;
  std::string detail;  // the hub's message or the network error, for logs and metrics
  std::optional<std::chrono::seconds> retry_after = {};  // when the hub said when to come back
  // With Ok: whether the hub applied the report or took it for a resend.
  protocol::ReportOutcome answer = protocol::ReportOutcome::Applied;
};

struct PollResult {
  HubOutcome outcome;
  std::string detail;
  std::optional<protocol::Assignment> assignment;  // set when outcome is Ok
  std::optional<std::chrono::seconds> retry_after;  // when the hub said when to come back
};

// What the agent needs of the hub; HubClient is the real one, tests pass fakes.
class HubApi {
 public:
  virtual ~HubApi() = default;
  [[nodiscard]] virtual ReportResult send_report(const protocol::Report& report) = 0;
  // Waits up to `wait` for an assignment whose revision differs from
  // `after`, the revision the agent holds, numbered by the hub process
  // `epoch` (empty: none yet). With the hub's current epoch the answer may
  // be a delta against `after`.
  [[nodiscard]] virtual PollResult poll_assignment(std::int64_t after, const std::string& epoch,
                                                   std::chrono::seconds wait) = 0;
  // Any thread: makes a call in progress on another thread return soon (as
  // Unavailable), for shutdown.
  virtual void cancel() = 0;
  // The reporting thread, before it builds a report: true when the agent
  // may have missed a hub since the last report answered, so that the next
  // report must be a full snapshot (a delta would be a 409 from a hub
  // process that knows nothing of this agent). Broken or closed connections
  // say so: a restarted hub, another replica now leading.
  [[nodiscard]] virtual bool may_have_missed_hub() { return false; }
};

class HubClient : public HubApi {
 public:
  explicit HubClient(HubClientOptions options);
  ~HubClient() override;
  HubClient(const HubClient&) = delete;
  HubClient& operator=(const HubClient&) = delete;

  [[nodiscard]] ReportResult send_report(const protocol::Report& report) override;
  [[nodiscard]] PollResult poll_assignment(std::int64_t after, const std::string& epoch,
                                           std::chrono::seconds wait) override;
  void cancel() override;
  // The report connection the hub last answered on is gone (closed by the
  // hub, reset), or a poll's connection broke since the last report.
  [[nodiscard]] bool may_have_missed_hub() override;

 private:
  std::unique_ptr<httplib::Client> make_client(std::chrono::seconds read_timeout) const;

  HubClientOptions options_;
  std::unique_ptr<httplib::Client> report_client_;
  std::unique_ptr<httplib::Client> poll_client_;
  bool reported_ = false;                  // a report was answered on report_client_'s connection
  std::atomic<bool> poll_broke_{false};    // a poll failed without an answer (set by the polling thread)
};

}  // namespace switchyard::agent
