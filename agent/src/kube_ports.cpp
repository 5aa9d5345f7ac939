#include "switchyard/agent/kube_ports.h"

#include "switchyard/kube/informer.h"
#include "switchyard/telemetry/log.h"

namespace switchyard::agent {
namespace {

constexpr const char* kServiceNameLabel = "kubernetes.io/service-name";

ApiFailure failure_of(const kube::ApiError& error) { return {error.code, error.reason, error.message}; }

// "split.smi-spec.io/v1alpha2" -> the v1alpha2 trafficsplits resource;
// "gateway.networking.k8s.io/v1", "policy.linkerd.io/v1beta3" -> httproutes.
kube::Resource split_resource(const std::string& api_version) {
  const auto slash = api_version.find('/');
  const auto version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  const auto group = protocol::api_group_of(api_version);
  if (group == protocol::kSmiGroup) return kube::trafficsplits(version);
  return kube::Resource{group, version, "httproutes", "HTTPRoute", true};
}

class ServiceHandler : public kube::InformerHandler {
 public:
  ServiceHandler(NamespaceEvents& events, std::function<void()> synced) : events_(events), synced_(std::move(synced)) {}
  void on_add(const kube::ObjectPtr& object) override {
    events_.service_upserted(std::string(object->namespace_name()), std::string(object->name()));
  }
  void on_update(const kube::ObjectPtr&, const kube::ObjectPtr& now) override { on_add(now); }
  void on_delete(const kube::ObjectPtr& last) override {
    events_.service_deleted(std::string(last->namespace_name()), std::string(last->name()));
  }
  void on_synced() override { synced_(); }

 private:
  NamespaceEvents& events_;
  std::function<void()> synced_;
};

class SliceHandler : public kube::InformerHandler {
 public:
  SliceHandler(NamespaceEvents& events, std::function<void()> synced) : events_(events), synced_(std::move(synced)) {}
  void on_add(const kube::ObjectPtr& object) override {
    std::string error;
    auto slice = decode_endpoint_slice(object->to_json(), error);
    if (!slice) {
      // Counted as gone: a slice the agent cannot read must not keep
      // endpoints it may no longer have.
      log::warn("EndpointSlice ignored",
                {{"endpointslice", std::string(object->namespace_name()) + "/" + std::string(object->name())},
                 {"error", error}});
      on_delete(object);
      return;
    }
    events_.slice_upserted(std::move(*slice));
  }
  void on_update(const kube::ObjectPtr&, const kube::ObjectPtr& now) override { on_add(now); }
  void on_delete(const kube::ObjectPtr& last) override {
    events_.slice_deleted(std::string(last->namespace_name()), std::string(last->name()));
  }
  void on_synced() override { synced_(); }

 private:
  NamespaceEvents& events_;
  std::function<void()> synced_;
};

class KubeNamespaceWatch : public NamespaceWatch {
 public:
  KubeNamespaceWatch(kube::Client& client, uv_loop_t* loop, const std::string& namespace_name,
                     NamespaceEvents& events)
      : events_(events),
        service_handler_(events, [this] { one_synced(); }),
        slice_handler_(events, [this] { one_synced(); }) {
    kube::InformerOptions services;
    services.resource = kube::kServices;
    services.namespace_name = namespace_name;
    kube::InformerOptions slices;
    slices.resource = kube::kEndpointSlices;
    slices.namespace_name = namespace_name;
    slices.label_selector = kServiceNameLabel;
    services_ = std::make_unique<kube::Informer>(client, loop, services, service_handler_);
    slices_ = std::make_unique<kube::Informer>(client, loop, slices, slice_handler_);
    services_->start();
    slices_->start();
  }
  ~KubeNamespaceWatch() override {
    services_->stop();
    slices_->stop();
  }
  std::uint64_t failed_requests() const override {
    return services_->stats().errors.load() + slices_->stats().errors.load();
  }

 private:
  void one_synced() {
    if (++synced_count_ == 2) events_.synced();
  }

  NamespaceEvents& events_;
  ServiceHandler service_handler_;
  SliceHandler slice_handler_;
  int synced_count_ = 0;
  // After the handlers: destroyed (stopped) before them.
  std::unique_ptr<kube::Informer> services_;
  std::unique_ptr<kube::Informer> slices_;
};

}  // namespace

KubeWatchBackend::KubeWatchBackend(kube::Client& client, uv_loop_t* loop) : client_(client), loop_(loop) {}

std::unique_ptr<NamespaceWatch> KubeWatchBackend::watch_namespace(const std::string& namespace_name,
                                                                  NamespaceEvents& events) {
  return std::make_unique<KubeNamespaceWatch>(client_, loop_, namespace_name, events);
}

KubeTrafficSplitApi::KubeTrafficSplitApi(kube::Client& client) : client_(client) {}

ListedTrafficSplits KubeTrafficSplitApi::list(const std::string& api_version) {
  auto page = client_.list_all(split_resource(api_version), "");
  if (!page) return {failure_of(page.error()), {}};
  ListedTrafficSplits listed;
  for (const auto& item : page.value().items) listed.objects_json.push_back(item->to_json());
  return listed;
}

FetchedTrafficSplit KubeTrafficSplitApi::get(const std::string& api_version, const std::string& namespace_name,
                                             const std::string& name) {
  auto found = client_.get(split_resource(api_version), namespace_name, name);
  if (!found) return {failure_of(found.error()), {}};
  return {std::nullopt, found.value()->to_json()};
}

SplitWrite KubeTrafficSplitApi::create(const std::string& api_version, const std::string& namespace_name,
                                       const std::string& object_json) {
  auto created = client_.create(split_resource(api_version), namespace_name, object_json);
  if (!created) return {failure_of(created.error()), {}};
  return {std::nullopt, std::string(created.value()->resource_version())};
}

SplitWrite KubeTrafficSplitApi::merge_patch(const std::string& api_version, const std::string& namespace_name,
                                            const std::string& name, const std::string& patch_json) {
  auto patched = client_.patch(split_resource(api_version), namespace_name, name, kube::PatchType::Merge, patch_json);
  if (!patched) return {failure_of(patched.error()), {}};
  return {std::nullopt, std::string(patched.value()->resource_version())};
}

std::optional<ApiFailure> KubeTrafficSplitApi::remove(const std::string& api_version,
                                                      const std::string& namespace_name, const std::string& name) {
  auto removed = client_.remove(split_resource(api_version), namespace_name, name);
  if (!removed) return failure_of(removed.error());
  return std::nullopt;
}

KubeApiDiscovery::KubeApiDiscovery(kube::Client& client) : client_(client) {}

DiscoveredResources KubeApiDiscovery::served_resources(const std::string& group_version) {
  auto served = client_.served_resources(group_version);
  if (!served) return {failure_of(served.error()), {}};
  return {std::nullopt, std::move(served.value())};
}

}  // namespace switchyard::agent
