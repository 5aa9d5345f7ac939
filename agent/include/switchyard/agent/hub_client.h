// The agent's side of the agent <-> hub protocol: sends reports and long-polls
// the assignment. Calls block; the agent runs them off its loop thread and
// hands the outcomes back.
//
// Thread-safety: send_report and poll_assignment may run at once on two
// threads (each has its own connection); neither may be called concurrently
// with itself.
#pragma once

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

 private:
  std::unique_ptr<httplib::Client> make_client(std::chrono::seconds read_timeout) const;

  HubClientOptions options_;
  std::unique_ptr<httplib::Client> report_client_;
  std::unique_ptr<httplib::Client> poll_client_;
};

}  // namespace switchyard::agent
