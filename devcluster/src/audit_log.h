// An audit trail for tests that compare RBAC roles with what clients really
// do: one JSON line per resource request, with the verb as Kubernetes RBAC
// names it (get, list, watch, create, update, patch, delete,
// deletecollection), the API group, resource, subresource, namespace, name
// and the request's User-Agent. Discovery and OpenAPI requests are not
// resource requests and are not recorded.
#pragma once

#include <cstdio>
#include <map>
#include <mutex>
#include <string>

namespace switchyard::devcluster {

class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends to `path`; false with `error` set when it cannot be opened.
  [[nodiscard]] bool open(const std::string& path, std::string& error);
  // Records one request (a no-op when not open). Called from the HTTP
  // threads: lines are written whole under a mutex and flushed at once, so
  // a reader never sees half a line.
  void record(const std::string& method, const std::string& path,
              const std::multimap<std::string, std::string>& query, const std::string& user_agent);

 private:
  std::mutex mutex_;
  std::FILE* file_ = nullptr;
};

// The RBAC verb of a request, "" when it is not a resource request.
[[nodiscard]] std::string rbac_verb(const std::string& method, const std::string& path,
                                    const std::multimap<std::string, std::string>& query);

}  // namespace switchyard::devcluster
