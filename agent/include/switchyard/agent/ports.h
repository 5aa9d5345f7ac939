// The outside world as the agent sees it: the hub, the member cluster's
// Services and EndpointSlices, and its TrafficSplits. Small interfaces so the
// agent's logic runs against fakes in tests and against the real hub client
// and Kubernetes client in the binary (kube_ports.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "switchyard/agent/endpoint_slices.h"
#include "switchyard/agent/hub_client.h"

namespace switchyard::agent {

// --- Member cluster: what the agent measures ------------------------------

// Receives one namespace's Services and EndpointSlices. Called on the agent's
// loop thread only.
class NamespaceEvents {
 public:
  virtual ~NamespaceEvents() = default;
  virtual void service_upserted(const std::string& namespace_name, const std::string& name) = 0;
  virtual void service_deleted(const std::string& namespace_name, const std::string& name) = 0;
  virtual void slice_upserted(EndpointSlice slice) = 0;
  virtual void slice_deleted(const std::string& namespace_name, const std::string& slice_name) = 0;
  // The initial lists of both kinds have been delivered.
  virtual void synced() = 0;
};

// A running watch of one namespace. Destroying it (on the loop thread) stops
// it; no event arrives after the destructor returns.
class NamespaceWatch {
 public:
  virtual ~NamespaceWatch() = default;
  // List and watch requests that failed so far (they are retried with
  // backoff); loop thread. Lets the agent say when the API server is
  // unreachable instead of going quiet.
  [[nodiscard]] virtual std::uint64_t failed_requests() const { return 0; }
};

class WatchBackend {
 public:
  virtual ~WatchBackend() = default;
  // Starts watching the Services and the Services' EndpointSlices of one
  // namespace; events go to `events` (which outlives the watch) on the loop
  // thread. Loop thread.
  [[nodiscard]] virtual std::unique_ptr<NamespaceWatch> watch_namespace(const std::string& namespace_name,
                                                                        NamespaceEvents& events) = 0;
};

// --- Member cluster: what the agent writes --------------------------------

// A failed Kubernetes API request.
struct ApiFailure {
  int code = 0;         // HTTP status; 0: the API server was not reached
  std::string reason;   // Status.reason (NotFound, Forbidden, AlreadyExists...)
  std::string message;  // Status.message or the transport error
};

struct ListedTrafficSplits {
  std::optional<ApiFailure> failure;
  std::vector<std::string> objects_json;  // each item as JSON
};

// One TrafficSplit read, or why not (404: there is none).
struct FetchedTrafficSplit {
  std::optional<ApiFailure> failure;
  std::string object_json;
};

// A create or patch: why it failed, or the object's new resourceVersion.
struct SplitWrite {
  std::optional<ApiFailure> failure;
  std::string resource_version;
};

// TrafficSplits of the SMI group in every namespace. `api_version` is
// "split.smi-spec.io/v1alpha2" and the like. Blocking; called from the
// applier's writer thread only. A merge patch that sets
// metadata.resourceVersion is refused with 409 Conflict when the object has
// moved on since (the API's optimistic concurrency).
class TrafficSplitApi {
 public:
  virtual ~TrafficSplitApi() = default;
  [[nodiscard]] virtual ListedTrafficSplits list(const std::string& api_version) = 0;
  [[nodiscard]] virtual FetchedTrafficSplit get(const std::string& api_version, const std::string& namespace_name,
                                                const std::string& name) = 0;
  [[nodiscard]] virtual SplitWrite create(const std::string& api_version, const std::string& namespace_name,
                                          const std::string& object_json) = 0;
  [[nodiscard]] virtual SplitWrite merge_patch(const std::string& api_version, const std::string& namespace_name,
                                               const std::string& name, const std::string& patch_json) = 0;
  [[nodiscard]] virtual std::optional<ApiFailure> remove(const std::string& api_version,
                                                         const std::string& namespace_name,
                                                         const std::string& name) = 0;
};

// API discovery: which resources a group version serves ("v1alpha2" of
// split.smi-spec.io as "split.smi-spec.io/v1alpha2"). A 404 failure: the
// group version is not served. Blocking; called from the discovery thread.
struct DiscoveredResources {
  std::optional<ApiFailure> failure;
  std::vector<std::string> resources;  // plural names: "trafficsplits", "httproutes"
};

class ApiDiscoveryApi {
 public:
  virtual ~ApiDiscoveryApi() = default;
  [[nodiscard]] virtual DiscoveredResources served_resources(const std::string& group_version) = 0;
};

}  // namespace switchyard::agent
