// The agent's view of the services the hub asked about: which exist, and
// their endpoints, fed by the Service and EndpointSlice informers, measured
// into the ServiceHealth values a report carries. Local services and mirrors
// are measured alike; the role only says which the hub asked for.
//
// Not thread-safe: owned by the agent's loop thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "switchyard/agent/endpoint_slices.h"
#include "switchyard/agent/promql.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

// The Deployment a pod belongs to, from the name the ReplicaSet controller
// gives it: "<deployment>-<pod-template-hash>-<5 characters>" ("web-5d8f7c9b6-x2k4p"
// -> "web"). Empty for any other name (a bare pod, a StatefulSet's "db-0").
// The name is the only owner evidence an EndpointSlice carries; Linkerd's
// scrape labels the proxies' series with the same Deployment name.
[[nodiscard]] std::string workload_of_pod(const std::string& pod);

class ServiceMeasurements {
 public:
  // `checks`: what the hub asked measured of some local services; each is
  // carried on to workloads().
  void set_watch(const std::vector<protocol::ServiceKey>& watch,
                 const std::map<protocol::ServiceKey, protocol::DataPlaneChecks>& checks = {});
  [[nodiscard]] const std::vector<protocol::ServiceKey>& watch() const { return watch_; }

  void service_present(const std::string& namespace_name, const std::string& name);
  void service_gone(const std::string& namespace_name, const std::string& name);

  // Slices are keyed by their own namespace/name; a slice that moves to
  // another service (relabelled) is handled by upserting it again.
  void slice_present(EndpointSlice slice);
  void slice_gone(const std::string& namespace_name, const std::string& slice_name);

  // One entry per watched service. A service that does not exist reports no
  // endpoints, even if stale slices still name it.
  [[nodiscard]] std::map<protocol::ServiceKey, protocol::ServiceHealth> measure() const;
  // The workload behind each watched local service, for the data-plane
  // checks: the Deployment most of its endpoints' pods belong to
  // (workload_of_pod). A service without such pods is left out.
  [[nodiscard]] std::vector<WatchedWorkload> workloads() const;

 private:
  using Name = std::pair<std::string, std::string>;  // namespace, name
  std::vector<protocol::ServiceKey> watch_;
  std::map<protocol::ServiceKey, protocol::DataPlaneChecks> checks_;
  std::set<Name> services_;
  std::map<Name, EndpointSlice> slices_;                  // by slice name
  std::map<Name, std::set<std::string>> slices_by_service_;  // service -> slice names
};

}  // namespace switchyard::agent
