// The agent's Prometheus metrics, registered once; every member is safe to
// update from any thread.
#pragma once

#include "switchyard/telemetry/metrics.h"

namespace switchyard::agent {

struct AgentMetrics {
  explicit AgentMetrics(metrics::Registry& registry);

  metrics::Counter& reports_ok;        // switchyard_agent_reports_sent_total{outcome="ok"}
  metrics::Counter& reports_resync;    // ... {outcome="full_snapshot_requested"} (409)
  metrics::Counter& reports_duplicate; // ... {outcome="duplicate"} (200, not applied by the hub)
  metrics::Counter& reports_failed;    // ... {outcome="error"}
  metrics::Histogram& report_latency;  // switchyard_agent_report_latency_seconds
  metrics::Gauge& hub_connected;       // switchyard_agent_hub_connected (0/1)
  metrics::Gauge& assignment_revision; // switchyard_agent_assignment_revision
  metrics::Gauge& applied_revision;    // switchyard_agent_applied_revision
  metrics::Counter& apply_errors;      // switchyard_agent_apply_errors_total
  metrics::Gauge& apply_failing;       // switchyard_agent_apply_failing (errors in the last pass)
  metrics::Gauge& watched_services;    // switchyard_agent_watched_services
  metrics::Counter& watch_errors;      // switchyard_agent_watch_errors_total
  metrics::Counter& data_plane_evaluations;  // switchyard_agent_data_plane_evaluations_total
  metrics::Counter& data_plane_query_errors; // switchyard_agent_data_plane_query_errors_total
  metrics::Histogram& data_plane_seconds;    // switchyard_agent_data_plane_evaluation_seconds
};

}  // namespace switchyard::agent
