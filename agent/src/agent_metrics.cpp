#include "switchyard/agent/agent_metrics.h"

namespace switchyard::agent {
namespace {

constexpr const char* kReportsHelp = "Reports sent to the hub, by outcome.";

}  // namespace

AgentMetrics::AgentMetrics(metrics::Registry& registry)
    : reports_ok(registry.counter("switchyard_agent_reports_sent_total", kReportsHelp, {{"outcome", "ok"}})),
      reports_resync(registry.counter("switchyard_agent_reports_sent_total", kReportsHelp,
                                      {{"outcome", "full_snapshot_requested"}})),
      reports_duplicate(registry.counter("switchyard_agent_reports_sent_total", kReportsHelp,
                                         {{"outcome", "duplicate"}})),
      reports_failed(registry.counter("switchyard_agent_reports_sent_total", kReportsHelp, {{"outcome", "error"}})),
      report_latency(registry.histogram("switchyard_agent_report_latency_seconds",
                                        "Time from sending a report to the hub's answer.",
                                        metrics::latency_buckets_seconds())),
      hub_connected(registry.gauge("switchyard_agent_hub_connected",
                                   "1 when the last report or assignment poll reached the hub.")),
      assignment_revision(registry.gauge("switchyard_agent_assignment_revision",
                                         "Revision of the last assignment received from the hub.")),
      applied_revision(registry.gauge("switchyard_agent_applied_revision",
                                      "Revision of the last assignment applied without errors.")),
      apply_errors(registry.counter("switchyard_agent_apply_errors_total",
                                    "Errors applying TrafficSplits (foreign objects, missing CRD, RBAC, API).")),
      apply_failing(registry.gauge("switchyard_agent_apply_failing",
                                   "Errors in the last TrafficSplit apply pass (0 when clean).")),
      watched_services(registry.gauge("switchyard_agent_watched_services",
                                      "Services the current assignment asks the agent to measure.")),
      watch_errors(registry.counter("switchyard_agent_watch_errors_total",
                                    "Failed list/watch requests of the Service and EndpointSlice informers "
                                    "(retried with backoff).")),
      data_plane_evaluations(registry.counter("switchyard_agent_data_plane_evaluations_total",
                                              "Data-plane evaluation rounds (batched Prometheus queries).")),
      data_plane_query_errors(registry.counter(
          "switchyard_agent_data_plane_query_errors_total",
          "Evaluation rounds in which a Prometheus query failed (unreachable, HTTP, query or body error).")),
      data_plane_seconds(registry.histogram("switchyard_agent_data_plane_evaluation_seconds",
                                            "Time one data-plane evaluation round took.",
                                            metrics::latency_buckets_seconds())) {}

}  // namespace switchyard::agent
