// The hub's Prometheus metrics (docs/hub.md lists them). Registered once;
// the references stay valid as long as the registry.
//
// Thread-safe: updating a metric is lock-free; the per-cluster lookups take
// the registry's lock.
#pragma once

#include <string>

#include "switchyard/telemetry/metrics.h"

namespace switchyard::hub {

class HubMetrics {
 public:
  explicit HubMetrics(metrics::Registry& registry);

  metrics::Counter& failovers;
  metrics::Counter& failbacks;
  metrics::Histogram& decision_seconds;
  metrics::Gauge& connected_agents;
  metrics::Gauge& parked_polls;
  metrics::Gauge& leader;
  // Status writes queued or in flight: 0 once every decided status is written.
  metrics::Gauge& status_writes_pending;
  // (FailoverService, consumer) pairs whose chosen output the consumer
  // cannot get (OutputUnavailable): their routing is kept as it was.
  metrics::Gauge& output_unavailable_consumers;

  metrics::Counter& reports(const std::string& cluster);
  // Data-plane evaluation rounds counted into rule 1a's thresholds: flat
  // while a cluster's agent measures nothing (no --prometheus-url).
  metrics::Counter& data_plane_rounds(const std::string& cluster);
  metrics::Gauge& assignment_revision(const std::string& cluster);
  // Writes to the Kubernetes API by what was written and how it ended.
  metrics::Counter& api_writes(const std::string& kind, const std::string& outcome);

  [[nodiscard]] metrics::Registry& registry() { return registry_; }

 private:
  metrics::Registry& registry_;
};

}  // namespace switchyard::hub
