#include "switchyard/agent/report_builder.h"

namespace switchyard::agent {

ReportBuilder::ReportBuilder(std::string agent_id, std::string agent_version)
    : agent_id_(std::move(agent_id)), agent_version_(std::move(agent_version)) {}

protocol::Report ReportBuilder::next(
    const std::map<protocol::ServiceKey, protocol::ServiceHealth>& measured,
    const protocol::AppliedState& applied, const std::optional<protocol::ServedApis>& outputs) {
  protocol::Report report;
  report.agent_id = agent_id_;
  report.agent_version = agent_version_;
  report.seq = next_seq_++;
  report.full = need_full_;
  report.applied = applied;
  if (report.full || outputs != baseline_outputs_) report.outputs = outputs;
  for (const auto& [key, health] : measured) {
    if (report.full) {
      report.services.push_back(health);
      continue;
    }
    auto known = baseline_.find(key);
    if (known == baseline_.end() || !(known->second == health)) report.services.push_back(health);
  }
  return report;
}

void ReportBuilder::accepted(const protocol::Report& report) {
  if (report.full) baseline_.clear();
  for (const auto& health : report.services) baseline_[health.key] = health;
  if (report.full || report.outputs) baseline_outputs_ = report.outputs;
  need_full_ = false;
}

void ReportBuilder::require_full() { need_full_ = true; }

}  // namespace switchyard::agent
