// A blocking, thread-safe client for the Kubernetes REST API. One Client is
// shared by a process: concurrent callers use separate pooled keep-alive
// connections, each watch has its own connection.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "switchyard/kube/config.h"
#include "switchyard/kube/object.h"
#include "switchyard/kube/resource.h"
#include "switchyard/kube/result.h"

namespace switchyard::kube {

enum class PatchType {
  Merge,           // application/merge-patch+json
  Json,            // application/json-patch+json
  StrategicMerge,  // application/strategic-merge-patch+json (built-in types only)
  Apply,           // application/apply-patch+yaml (server-side apply; JSON is valid YAML)
};

struct ListOptions {
  std::string label_selector, field_selector, resource_version, continue_token;
  int limit = 0;  // 0 = server default (everything)
};

struct ListPage {
  std::vector<ObjectPtr> items;  // items carry kind/apiVersion like a GET result
  std::string resource_version, continue_token;
};

struct WatchOptions {
  std::string resource_version, label_selector, field_selector;
  bool allow_bookmarks = true;
  int timeout_seconds = 0;  // 0 = server default
};

struct WatchEvent {
  enum class Type { Added, Modified, Deleted, Bookmark, Error };
  Type type = Type::Error;
  ObjectPtr object;  // null for Error
  ApiError error;    // set for Error (410 Expired when the resourceVersion is too old)
};

// How a watch stream ended without a transport/HTTP error.
struct WatchEnd {
  enum class Reason { ServerClosed, Stopped };
  Reason reason = Reason::ServerClosed;
  std::string last_resource_version;  // of the last event seen (bookmarks included)
  std::size_t events = 0;
};

struct PatchOptions {
  std::string field_manager;  // empty = ClusterConfig::field_manager for Apply, none otherwise
  bool force = false;         // Apply only: take over conflicting fields
};

struct DeleteOptions {
  std::string propagation_policy;            // "", Foreground, Background, Orphan
  std::string precondition_uid;
  std::string precondition_resource_version;
};

class Client {
 public:
  // OpenSSL writes to sockets with write(2), which raises SIGPIPE when the
  // server has gone; the constructor therefore sets SIGPIPE to ignored if
  // the process still has the default (fatal) disposition.
  explicit Client(ClusterConfig config);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClusterConfig& config() const;

  Result<ObjectPtr> get(const Resource&, std::string_view ns, std::string_view name);
  Result<ListPage> list(const Resource&, std::string_view ns, const ListOptions& = {});
  // Follows continue tokens until the last page; resource_version of the
  // result is the first page's (the list's snapshot).
  Result<ListPage> list_all(const Resource&, std::string_view ns, ListOptions options = {});
  Result<ObjectPtr> create(const Resource&, std::string_view ns, const std::string& body_json);
  Result<ObjectPtr> update(const Resource&, std::string_view ns, std::string_view name,
                           const std::string& body_json);
  Result<ObjectPtr> patch(const Resource&, std::string_view ns, std::string_view name, PatchType,
                          const std::string& patch, const PatchOptions& = {});
  // Server-side apply: patch(..., PatchType::Apply, ...).
  Result<ObjectPtr> apply(const Resource&, std::string_view ns, std::string_view name,
                          const std::string& body, const PatchOptions& = {});
  Result<ObjectPtr> update_status(const Resource&, std::string_view ns, std::string_view name,
                                  const std::string& body_json);
  Result<ObjectPtr> patch_status(const Resource&, std::string_view ns, std::string_view name,
                                 PatchType, const std::string& patch, const PatchOptions& = {});
  // DELETE; succeeds on 200/202 (the Status or the object being finalised).
  Result<void> remove(const Resource&, std::string_view ns, std::string_view name,
                      const DeleteOptions& = {});

  // API discovery: the resources (plural names, subresources left out) a
  // group version serves, from its APIResourceList (GET /apis/<group>/<version>,
  // /api/v1 for "v1"). A group version not served is a 404 error.
  Result<std::vector<std::string>> served_resources(std::string_view group_version);

  // Streams a watch: calls on_event for each event line on the calling
  // thread until the stream ends, `stop` becomes true (noticed within about
  // 100 ms even on an idle stream), or an error. HTTP errors (e.g. 410 on a
  // too-old resourceVersion) come back as the Result's error; in-stream
  // ERROR events go to on_event.
  Result<WatchEnd> watch(const Resource&, std::string_view ns, const WatchOptions&,
                         const std::function<void(WatchEvent&&)>& on_event,
                         const std::atomic<bool>& stop);

  // Counters for tests and metrics.
  std::size_t connections_opened() const;
  std::size_t credential_refreshes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs `mutation` (which should re-read the object and write it) until it
// does not fail with 409 Conflict, at most `attempts` times, with a short
// jittered pause between tries as client-go's RetryOnConflict.
Result<ObjectPtr> retry_on_conflict(int attempts, const std::function<Result<ObjectPtr>()>& mutation);

}  // namespace switchyard::kube
