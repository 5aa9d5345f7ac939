#include "kube_writes.h"

#include "switchyard/kube/resource.h"

namespace switchyard::hub {

WriteOutcome KubeStatusApi::write_status(const StatusWrite& write, std::string& error) {
  const auto& resource =
      write.kind == WriteKind::FailoverServiceStatus ? kube::kFailoverServices : kube::kMemberClusters;
  auto result = client_.patch_status(resource, write.namespace_name, write.name, kube::PatchType::Merge,
                                     R"({"status":)" + write.status_json + "}");
  if (result.ok()) return WriteOutcome::Written;
  const auto& failure = result.error();
  error = failure.to_string();
  if (failure.not_found()) return WriteOutcome::Gone;
  if (failure.transport() || failure.conflict() || failure.too_many_requests() || failure.code >= 500 ||
      failure.unauthorized() || failure.forbidden()) {
    // 401/403 heal when credentials or RBAC are fixed; keep the newest status for then.
    return WriteOutcome::Retryable;
  }
  return WriteOutcome::Refused;
}

void KubeEventSink::record(const EventSubject& subject, bool warning, const std::string& reason,
                           const std::string& message) {
  kube::EventTarget target;
  target.resource = subject.kind == "MemberCluster" ? kube::kMemberClusters : kube::kFailoverServices;
  target.namespace_name = subject.namespace_name;
  target.name = subject.name;
  target.uid = subject.uid;
  target.api_version = subject.api_version;
  target.kind = subject.kind;
  recorder_.record(target, warning ? kube::EventType::Warning : kube::EventType::Normal, reason, message);
}

}  // namespace switchyard::hub
