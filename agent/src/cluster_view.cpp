#include "switchyard/agent/cluster_view.h"

namespace switchyard::agent {

// One watched namespace: its watch, and what that watch delivered, so that
// stopping it forgets exactly its objects.
class ClusterView::Namespace : public NamespaceEvents {
 public:
  Namespace(ServiceMeasurements& measurements, const std::function<void()>& on_change)
      : measurements_(measurements), on_change_(on_change) {}

  void service_upserted(const std::string& namespace_name, const std::string& name) override {
    services_.insert(name);
    measurements_.service_present(namespace_name, name);
    on_change_();
  }
  void service_deleted(const std::string& namespace_name, const std::string& name) override {
    services_.erase(name);
    measurements_.service_gone(namespace_name, name);
    on_change_();
  }
  void slice_upserted(EndpointSlice slice) override {
    slices_.insert(slice.name);
    measurements_.slice_present(std::move(slice));
    on_change_();
  }
  void slice_deleted(const std::string& namespace_name, const std::string& slice_name) override {
    slices_.erase(slice_name);
    measurements_.slice_gone(namespace_name, slice_name);
    on_change_();
  }
  void synced() override {
    synced_ = true;
    on_change_();
  }

  void forget(const std::string& namespace_name) {
    for (const auto& name : services_) measurements_.service_gone(namespace_name, name);
    for (const auto& name : slices_) measurements_.slice_gone(namespace_name, name);
    services_.clear();
    slices_.clear();
  }

  std::unique_ptr<NamespaceWatch> watch;
  bool synced_ = false;

 private:
  ServiceMeasurements& measurements_;
  const std::function<void()>& on_change_;
  std::set<std::string> services_;
  std::set<std::string> slices_;
};

ClusterView::ClusterView(WatchBackend& backend, std::function<void()> on_change)
    : backend_(backend), on_change_(std::move(on_change)) {}

ClusterView::~ClusterView() { clear(); }

void ClusterView::set_watch(const std::vector<protocol::ServiceKey>& watch,
                            const std::map<protocol::ServiceKey, protocol::DataPlaneChecks>& checks) {
  measurements_.set_watch(watch, checks);
  std::set<std::string> wanted;
  for (const auto& key : watch) wanted.insert(key.namespace_name);
  for (auto it = namespaces_.begin(); it != namespaces_.end();) {
    if (wanted.count(it->first) == 0) {
      auto next = std::next(it);
      drop(it);
      it = next;
    } else {
      ++it;
    }
  }
  for (const auto& namespace_name : wanted) {
    if (namespaces_.count(namespace_name) != 0) continue;
    auto entry = std::make_unique<Namespace>(measurements_, on_change_);
    auto& events = *entry;
    namespaces_.emplace(namespace_name, std::move(entry));
    // After the entry is in place: a backend may deliver events at once.
    events.watch = backend_.watch_namespace(namespace_name, events);
  }
}

void ClusterView::drop(std::map<std::string, std::unique_ptr<Namespace>>::iterator it) {
  it->second->watch.reset();  // no event arrives after this
  it->second->forget(it->first);
  namespaces_.erase(it);
}

bool ClusterView::synced() const {
  for (const auto& [name, entry] : namespaces_) {
    if (!entry->synced_) return false;
  }
  return true;
}

std::map<protocol::ServiceKey, protocol::ServiceHealth> ClusterView::measure() const {
  auto measured = measurements_.measure();
  for (auto it = measured.begin(); it != measured.end();) {
    auto entry = namespaces_.find(it->first.namespace_name);
    if (entry == namespaces_.end() || !entry->second->synced_) {
      it = measured.erase(it);
    } else {
      ++it;
    }
  }
  return measured;
}

std::set<std::string> ClusterView::namespaces() const {
  std::set<std::string> names;
  for (const auto& [name, entry] : namespaces_) names.insert(name);
  return names;
}

std::uint64_t ClusterView::failed_requests() const {
  std::uint64_t failed = 0;
  for (const auto& [name, entry] : namespaces_) failed += entry->watch->failed_requests();
  return failed;
}

void ClusterView::clear() {
  while (!namespaces_.empty()) drop(namespaces_.begin());
}

}  // namespace switchyard::agent
