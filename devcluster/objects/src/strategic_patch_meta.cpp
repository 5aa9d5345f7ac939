// Which lists of the built-in kinds merge by key: the patchStrategy and
// patchMergeKey struct tags of the Kubernetes API types devcluster serves.
#include <string>

#include "switchyard/devcluster/objects/strategic_merge.h"

namespace switchyard::devcluster::objects {
namespace {

void add_object_meta(StrategicPatchMeta& meta) {
  meta.lists["metadata.finalizers"] = {""};
  meta.lists["metadata.ownerReferences"] = {"uid"};
}

void add_pod_spec(StrategicPatchMeta& meta, const std::string& prefix) {
  for (const char* containers : {"containers", "initContainers", "ephemeralContainers"}) {
    const std::string path = prefix + "." + containers;
    meta.lists[path] = {"name"};
    meta.lists[path + ".ports"] = {"containerPort"};
    meta.lists[path + ".env"] = {"name"};
    meta.lists[path + ".volumeMounts"] = {"mountPath"};
    meta.lists[path + ".volumeDevices"] = {"devicePath"};
  }
  meta.lists[prefix + ".volumes"] = {"name"};
  meta.lists[prefix + ".imagePullSecrets"] = {"name"};
  meta.lists[prefix + ".hostAliases"] = {"ip"};
  meta.lists[prefix + ".topologySpreadConstraints"] = {"topologyKey"};
  meta.lists[prefix + ".resourceClaims"] = {"name"};
  meta.lists[prefix + ".schedulingGates"] = {"name"};
}

StrategicPatchMeta with_object_meta() {
  StrategicPatchMeta meta;
  add_object_meta(meta);
  return meta;
}

const StrategicPatchMeta& plain_meta() {
  static const StrategicPatchMeta meta = with_object_meta();
  return meta;
}

const StrategicPatchMeta& service_meta() {
  static const StrategicPatchMeta meta = [] {
    StrategicPatchMeta m = with_object_meta();
    m.lists["spec.ports"] = {"port"};
    m.lists["status.conditions"] = {"type"};
    return m;
  }();
  return meta;
}

const StrategicPatchMeta& namespace_meta() {
  static const StrategicPatchMeta meta = [] {
    StrategicPatchMeta m = with_object_meta();
    m.lists["status.conditions"] = {"type"};
    return m;
  }();
  return meta;
}

const StrategicPatchMeta& service_account_meta() {
  static const StrategicPatchMeta meta = [] {
    StrategicPatchMeta m = with_object_meta();
    m.lists["secrets"] = {"name"};
    return m;
  }();
  return meta;
}

const StrategicPatchMeta& deployment_meta() {
  static const StrategicPatchMeta meta = [] {
    StrategicPatchMeta m = with_object_meta();
    add_pod_spec(m, "spec.template.spec");
    m.lists["spec.template.metadata.finalizers"] = {""};
    m.lists["spec.template.metadata.ownerReferences"] = {"uid"};
    m.lists["status.conditions"] = {"type"};
    return m;
  }();
  return meta;
}

}  // namespace

const StrategicPatchMeta* strategic_patch_meta(std::string_view group, std::string_view kind) {
  if (group.empty()) {
    if (kind == "Service") return &service_meta();
    if (kind == "Namespace") return &namespace_meta();
    if (kind == "ServiceAccount") return &service_account_meta();
    if (kind == "Endpoints" || kind == "Secret" || kind == "ConfigMap" || kind == "Event") return &plain_meta();
    return nullptr;
  }
  if (group == "apps") return kind == "Deployment" ? &deployment_meta() : nullptr;
  if (group == "discovery.k8s.io" || group == "coordination.k8s.io" || group == "rbac.authorization.k8s.io" ||
      group == "apiextensions.k8s.io" || group == "events.k8s.io")
    return &plain_meta();
  return nullptr;
}

}  // namespace switchyard::devcluster::objects
