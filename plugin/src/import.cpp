// import --from-linkerd-failover: the TrafficSplits linkerd-failover
// controls, one list per cluster, as FailoverServices and MemberClusters.
#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "switchyard/plugin/plugin.h"

namespace switchyard::plugin {
namespace {

std::string str(const rapidjson::Value& v, const char* a, const char* b = nullptr) {
  if (!v.IsObject() || !v.HasMember(a)) return {};
  const rapidjson::Value* x = &v[a];
  if (b) {
    if (!x->IsObject() || !x->HasMember(b)) return {};
    x = &(*x)[b];
  }
  return x->IsString() ? x->GetString() : std::string{};
}

bool controlled(const rapidjson::Value& ts) {
  if (!ts.HasMember("metadata") || !ts["metadata"].IsObject() || !ts["metadata"].HasMember("labels")) return false;
  const auto& labels = ts["metadata"]["labels"];
  return str(labels, "failover.linkerd.io/controlled-by") == "linkerd-failover" ||
         str(labels, "app.kubernetes.io/managed-by") == "linkerd-failover";
}

}  // namespace

Outcome<std::string> import_linkerd_failover(
    const std::vector<std::pair<std::string, const rapidjson::Value*>>& splits_by_cluster) {
  struct Fos {
    std::vector<std::string> consumers;
    std::vector<Backend> backends;
  };
  std::map<std::pair<std::string, std::string>, Fos> services;  // (namespace, apex)
  for (const auto& [cluster, list] : splits_by_cluster) {
    if (list == nullptr || !list->IsArray()) continue;
    for (const auto& ts : list->GetArray()) {
      if (!controlled(ts)) continue;
      const std::string ns = str(ts, "metadata", "namespace"), ts_name = str(ts, "metadata", "name");
      const std::string primary_service =
          ts["metadata"].HasMember("annotations") ? str(ts["metadata"]["annotations"], "failover.linkerd.io/primary-service") : "";
      const std::string apex = str(ts, "spec", "service");
      if (primary_service.empty() || apex.empty())
        return {std::nullopt, "TrafficSplit " + ns + "/" + ts_name + " in " + cluster +
                                  ": no failover.linkerd.io/primary-service annotation or spec.service"};
      std::vector<Backend> backends{{cluster, ns, primary_service}};
      if (ts["spec"].HasMember("backends") && ts["spec"]["backends"].IsArray())
        for (const auto& b : ts["spec"]["backends"].GetArray()) {
          const std::string service = str(b, "service");
          if (service == primary_service || service.empty()) continue;
          Backend backend{cluster, ns, service};
          // A Linkerd mirror is named <service>-<link>: the cluster is the link.
          for (const auto& [other, unused] : splits_by_cluster) {
            const std::string suffix = "-" + other;
            if (other != cluster && service.size() > suffix.size() &&
                service.compare(service.size() - suffix.size(), suffix.size(), suffix) == 0)
              backend = {other, ns, service.substr(0, service.size() - suffix.size())};
          }
          backends.push_back(backend);
        }
      Fos& fos = services[{ns, apex}];
      fos.consumers.push_back(cluster);
      for (const auto& b : backends)
        if (std::none_of(fos.backends.begin(), fos.backends.end(), [&](const Backend& x) {
              return x.cluster == b.cluster && x.namespace_name == b.namespace_name && x.name == b.name;
            }))
          fos.backends.push_back(b);
    }
  }
  std::string out;
  for (const auto& [cluster, unused] : splits_by_cluster) {
    rapidjson::Document mc;
    mc.Parse(R"({"apiVersion":"switchyard.io/v1alpha1","kind":"MemberCluster","metadata":{},
      "spec":{"tokenSecretRef":{"namespace":"switchyard-system","key":"token"}}})");
    mc["metadata"].AddMember("name", rapidjson::Value(cluster.c_str(), mc.GetAllocator()), mc.GetAllocator());
    mc["spec"]["tokenSecretRef"].AddMember("name", rapidjson::Value(("agent-" + cluster).c_str(), mc.GetAllocator()),
                                           mc.GetAllocator());
    out += "---\n" + json_to_yaml(mc);
  }
  for (const auto& [key, fos] : services) {
    rapidjson::Document d(rapidjson::kObjectType);
    auto& al = d.GetAllocator();
    auto s = [&](const std::string& x) { return rapidjson::Value(x.c_str(), al); };
    d.AddMember("apiVersion", "switchyard.io/v1alpha1", al);
    d.AddMember("kind", "FailoverService", al);
    rapidjson::Value meta(rapidjson::kObjectType), spec(rapidjson::kObjectType), consumers(rapidjson::kArrayType),
        backing(rapidjson::kArrayType);
    meta.AddMember("name", s(key.second), al);
    meta.AddMember("namespace", s(key.first), al);
    spec.AddMember("service", s(key.second), al);
    spec.AddMember("targetNamespace", s(key.first), al);
    for (const auto& c : fos.consumers) consumers.PushBack(s(c), al);
    spec.AddMember("consumers", consumers, al);
    for (const auto& b : fos.backends) {
      rapidjson::Value item(rapidjson::kObjectType);
      item.AddMember("cluster", s(b.cluster), al);
      item.AddMember("namespace", s(b.namespace_name), al);
      item.AddMember("name", s(b.name), al);
      backing.PushBack(item, al);
    }
    spec.AddMember("backingServices", backing, al);
    d.AddMember("metadata", meta, al);
    d.AddMember("spec", spec, al);
    out += "---\n" + json_to_yaml(d);
  }
  return {out, {}};
}

}  // namespace switchyard::plugin
