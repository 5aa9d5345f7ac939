#include "sim_agent.h"

#include <cstdio>

namespace switchyard::bench {

void HealthTable::set_ready(const std::string& cluster, const protocol::ServiceKey& key, std::uint32_t ready) {
  std::lock_guard lock(mutex_);
  ready_[{cluster, key}] = ready;
}

protocol::ServiceHealth HealthTable::measure(const std::string& cluster, const protocol::ServiceKey& key) const {
  const std::uint32_t total = key.role == protocol::ServiceRole::Local ? 2 : 1;
  std::uint32_t ready = total;
  {
    std::lock_guard lock(mutex_);
    if (auto found = ready_.find({cluster, key}); found != ready_.end()) ready = found->second;
  }
  return {key, true, ready, total, {}};
}

RecordingHub::RecordingHub(agent::HubClientOptions options, FleetCounters& counters)
    : client_(std::move(options)), counters_(counters) {}

agent::ReportResult RecordingHub::send_report(const protocol::Report& report) {
  auto result = client_.send_report(report);
  switch (result.outcome) {
    case agent::HubOutcome::Ok:
      accepted_applied_ = report.applied.revision;
      ++counters_.reports_accepted;
      break;
    case agent::HubOutcome::NeedFullSnapshot: ++counters_.reports_conflict; break;
    default: ++counters_.reports_failed; break;
  }
  return result;
}

agent::PollResult RecordingHub::poll_assignment(std::int64_t after, const std::string& epoch,
                                               std::chrono::seconds wait) {
  parked_ = true;
  ++counters_.polls_in_flight;
  auto result = client_.poll_assignment(after, epoch, wait);
  --counters_.polls_in_flight;
  parked_ = false;
  if (result.outcome != agent::HubOutcome::Ok && result.outcome != agent::HubOutcome::Unchanged) {
    ++counters_.polls_failed;
  }
  return result;
}

namespace {

agent::HubClientOptions client_options(const SimAgentOptions& options) {
  agent::HubClientOptions client;
  client.hub_url = options.hub_url;
  client.cluster = options.cluster;
  client.token = options.token;
  client.ca_file = options.ca_file;
  return client;
}

std::string agent_id(const SimAgentOptions& options) {
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(options.seed * 0x9E3779B97F4A7C15ULL));
  return options.cluster + "-" + suffix;
}

}  // namespace

SimAgent::SimAgent(SimAgentOptions options, const HealthTable& health, agent::AgentMetrics& metrics,
                   FleetCounters& counters)
    : options_(std::move(options)),
      health_(health),
      hub_(client_options(options_), counters),
      reporter_(hub_, agent::ReportBuilder(agent_id(options_), "scale-sim"),
                agent::ReporterOptions{.interval = options_.report_interval, .seed = options_.seed * 2 + 1}, metrics),
      poller_(hub_, agent::PollerOptions{std::chrono::seconds(30), {}, options_.seed * 2}, metrics,
              [this](protocol::Assignment&& assignment) { on_assignment(std::move(assignment)); }) {}

SimAgent::~SimAgent() { stop(); }

void SimAgent::start() {
  reporter_.start();
  poller_.start();
}

void SimAgent::stop() {
  poller_.stop();
  reporter_.stop();
}

void SimAgent::on_assignment(protocol::Assignment&& assignment) {
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  // A delta carries the watch list only when it changed, and only the
  // TrafficSplits that changed.
  if (assignment.watch_changed) watch_ = std::move(assignment.watch);
  if (assignment.full) splits_.clear();
  for (const auto& removed : assignment.removed_traffic_splits) splits_.erase(removed);
  for (const auto& split : assignment.traffic_splits) splits_.insert({split.namespace_name, split.name, {}});
  revision_ = assignment.revision;
  reporter_.assignment_epoch(assignment.epoch);
  assigned_ = true;
  received_at_ = now;
  report_current();
}

void SimAgent::remeasure() {
  std::lock_guard lock(mutex_);
  if (assigned_) report_current();
}

void SimAgent::report_current() {
  agent::ReportInput input;
  for (const auto& key : watch_) input.measured.emplace(key, health_.measure(options_.cluster, key));
  input.applied.revision = revision_;
  reporter_.update(std::move(input));
}

AgentView SimAgent::view() const {
  std::lock_guard lock(mutex_);
  return {revision_, received_at_, hub_.accepted_applied(), watch_.size(), splits_.size()};
}

}  // namespace switchyard::bench
