// What the hub writes to the management cluster, as small interfaces so the
// controller can be tested without a Kubernetes API (style.md: inject the
// Kubernetes API). The kube/ adapters implement them for the real thing.
#pragma once

#include <string>

namespace switchyard::hub {

enum class WriteKind { FailoverServiceStatus, MemberClusterStatus };

[[nodiscard]] const char* to_string(WriteKind kind);

// A status subresource write: the complete `.status` object for one object.
struct StatusWrite {
  WriteKind kind = WriteKind::FailoverServiceStatus;
  std::string namespace_name;  // empty for the cluster-scoped MemberCluster
  std::string name;
  std::string status_json;
  bool operator==(const StatusWrite&) const = default;
};

enum class WriteOutcome {
  Written,
  Gone,       // the object no longer exists: nothing left to write
  Retryable,  // transport error, 429, 5xx, conflict: try again later
  Refused,    // the API refused the body (4xx): retrying the same body will not help
};

// Blocking writes to the Kubernetes API; called from the writer thread only.
class StatusApi {
 public:
  virtual ~StatusApi() = default;
  [[nodiscard]] virtual WriteOutcome write_status(const StatusWrite& write, std::string& error) = 0;
};

// Where the loop thread hands status writes. Never blocks; the newest write
// of an object replaces one still waiting.
class StatusSink {
 public:
  virtual ~StatusSink() = default;
  virtual void submit(StatusWrite write) = 0;
};

// The object an Event is about (involvedObject).
struct EventSubject {
  std::string api_version;  // switchyard.io/v1alpha1
  std::string kind;         // FailoverService | MemberCluster
  std::string namespace_name;
  std::string name;
  std::string uid;
  bool operator==(const EventSubject&) const = default;
};

// Kubernetes Events. Never blocks the caller.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void record(const EventSubject& subject, bool warning, const std::string& reason,
                      const std::string& message) = 0;
};

}  // namespace switchyard::hub
