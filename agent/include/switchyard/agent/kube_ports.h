// The agent's ports (ports.h) on the real Kubernetes API (kube/):
//   - per watched namespace, a Service informer and an EndpointSlice informer
//     (label selector kubernetes.io/service-name, i.e. the slices that belong
//     to a Service), whose handlers run on the agent's loop thread;
//   - route objects through the blocking Client: TrafficSplits of
//     split.smi-spec.io, HTTPRoutes of gateway.networking.k8s.io and of
//     policy.linkerd.io (the API version says which);
//   - API discovery of which of those the cluster serves.
//
// Verbs used (docs/agent.md, deploy/agent/rbac.yaml): services and
// endpointslices list+watch; trafficsplits and httproutes (both groups)
// list, get, create, patch, delete; discovery documents (non-resource GET).
#pragma once

#include <uv.h>

#include "switchyard/agent/ports.h"
#include "switchyard/kube/client.h"

namespace switchyard::agent {

class KubeWatchBackend : public WatchBackend {
 public:
  // `client` and `loop` outlive the backend and every watch it makes.
  KubeWatchBackend(kube::Client& client, uv_loop_t* loop);
  [[nodiscard]] std::unique_ptr<NamespaceWatch> watch_namespace(const std::string& namespace_name,
                                                                NamespaceEvents& events) override;

 private:
  kube::Client& client_;
  uv_loop_t* loop_;
};

class KubeTrafficSplitApi : public TrafficSplitApi {
 public:
  explicit KubeTrafficSplitApi(kube::Client& client);
  [[nodiscard]] ListedTrafficSplits list(const std::string& api_version) override;
  [[nodiscard]] FetchedTrafficSplit get(const std::string& api_version, const std::string& namespace_name,
                                        const std::string& name) override;
  [[nodiscard]] SplitWrite create(const std::string& api_version, const std::string& namespace_name,
                                  const std::string& object_json) override;
  [[nodiscard]] SplitWrite merge_patch(const std::string& api_version, const std::string& namespace_name,
                                       const std::string& name, const std::string& patch_json) override;
  [[nodiscard]] std::optional<ApiFailure> remove(const std::string& api_version, const std::string& namespace_name,
                                                 const std::string& name) override;

 private:
  kube::Client& client_;
};

class KubeApiDiscovery : public ApiDiscoveryApi {
 public:
  explicit KubeApiDiscovery(kube::Client& client);
  [[nodiscard]] DiscoveredResources served_resources(const std::string& group_version) override;

 private:
  kube::Client& client_;
};

}  // namespace switchyard::agent
