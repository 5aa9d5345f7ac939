// The member cluster as far as the assignment's watch list reaches: one
// namespace watch per namespace the list names (started and stopped as the
// list changes), feeding ServiceMeasurements.
//
// Only namespaces whose watch has synced are measured: a service whose
// informer has not listed yet is left out of reports rather than reported as
// missing, so a new watch never makes the hub see a healthy service vanish.
//
// Not thread-safe: owned by the agent's loop thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "switchyard/agent/ports.h"
#include "switchyard/agent/service_measurements.h"

namespace switchyard::agent {

class ClusterView {
 public:
  // `on_change` runs (on the loop thread) after every event that may change
  // a measurement or the synced set.
  ClusterView(WatchBackend& backend, std::function<void()> on_change);
  ~ClusterView();
  ClusterView(const ClusterView&) = delete;
  ClusterView& operator=(const ClusterView&) = delete;

  // `checks`: what the hub asked measured of some local services (data-plane checks).
  void set_watch(const std::vector<protocol::ServiceKey>& watch,
                 const std::map<protocol::ServiceKey, protocol::DataPlaneChecks>& checks = {});
  // Every watched namespace has synced (true when nothing is watched).
  [[nodiscard]] bool synced() const;
  // The watched services of synced namespaces.
  [[nodiscard]] std::map<protocol::ServiceKey, protocol::ServiceHealth> measure() const;
  [[nodiscard]] std::vector<WatchedWorkload> workloads() const { return measurements_.workloads(); }
  [[nodiscard]] std::set<std::string> namespaces() const;
  // Failed list/watch requests of the current namespace watches.
  [[nodiscard]] std::uint64_t failed_requests() const;
  // Stops every watch (shutdown).
  void clear();

 private:
  class Namespace;
  void drop(std::map<std::string, std::unique_ptr<Namespace>>::iterator it);

  WatchBackend& backend_;
  std::function<void()> on_change_;
  ServiceMeasurements measurements_;
  std::map<std::string, std::unique_ptr<Namespace>> namespaces_;
};

}  // namespace switchyard::agent
