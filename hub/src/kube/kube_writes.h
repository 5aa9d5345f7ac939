// StatusApi and EventSink over the real Kubernetes API (kube::Client,
// kube::EventRecorder).
#pragma once

#include "switchyard/hub/writes.h"
#include "switchyard/kube/client.h"
#include "switchyard/kube/events.h"

namespace switchyard::hub {

// Writes `.status` with a JSON merge patch on the status subresource: no
// resourceVersion, so a concurrent spec edit never turns into a conflict.
class KubeStatusApi final : public StatusApi {
 public:
  explicit KubeStatusApi(kube::Client& client) : client_(client) {}
  [[nodiscard]] WriteOutcome write_status(const StatusWrite& write, std::string& error) override;

 private:
  kube::Client& client_;
};

class KubeEventSink final : public EventSink {
 public:
  explicit KubeEventSink(kube::EventRecorder& recorder) : recorder_(recorder) {}
  void record(const EventSubject& subject, bool warning, const std::string& reason,
              const std::string& message) override;

 private:
  kube::EventRecorder& recorder_;
};

}  // namespace switchyard::hub
