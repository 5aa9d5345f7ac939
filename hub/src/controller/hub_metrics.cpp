#include "switchyard/hub/hub_metrics.h"

namespace switchyard::hub {

HubMetrics::HubMetrics(metrics::Registry& registry)
    : failovers(registry.counter("switchyard_hub_failovers_total",
                                 "Consumers whose traffic moved to a lower-priority group.")),
      failbacks(registry.counter("switchyard_hub_failbacks_total",
                                 "Consumers whose traffic moved back to a higher-priority group.")),
      decision_seconds(registry.histogram("switchyard_hub_decision_duration_seconds",
                                          "Time of one batch: evaluate, assignments and statuses.",
                                          metrics::latency_buckets_seconds())),
      connected_agents(registry.gauge("switchyard_hub_connected_agents",
                                      "MemberClusters whose agent reported within --cluster-timeout.")),
      parked_polls(registry.gauge("switchyard_hub_parked_long_polls",
                                  "Assignment long polls waiting for a change.")),
      leader(registry.gauge("switchyard_hub_leader", "1 while this hub leads (or runs without election).")),
      status_writes_pending(registry.gauge("switchyard_hub_status_writes_pending",
                                           "Status writes queued or in flight (0: every decided status is written).")),
      output_unavailable_consumers(registry.gauge(
          "switchyard_hub_output_unavailable_consumers",
          "FailoverService consumers whose chosen output (spec.output) their cluster cannot get; routing kept.")),
      registry_(registry) {}

metrics::Counter& HubMetrics::reports(const std::string& cluster) {
  return registry_.counter("switchyard_hub_reports_total", "Agent reports accepted, by cluster.",
                           {{"cluster", cluster}});
}

metrics::Counter& HubMetrics::data_plane_rounds(const std::string& cluster) {
  return registry_.counter("switchyard_hub_data_plane_rounds_total",
                           "Data-plane evaluation rounds of the agents counted (api.md rule 1a), by cluster.",
                           {{"cluster", cluster}});
}

metrics::Gauge& HubMetrics::assignment_revision(const std::string& cluster) {
  return registry_.gauge("switchyard_hub_assignment_revision", "Current assignment revision, by cluster.",
                         {{"cluster", cluster}});
}

metrics::Counter& HubMetrics::api_writes(const std::string& kind, const std::string& outcome) {
  return registry_.counter("switchyard_hub_api_writes_total",
                           "Writes to the Kubernetes API by kind (status, event) and outcome.",
                           {{"kind", kind}, {"outcome", outcome}});
}

}  // namespace switchyard::hub
