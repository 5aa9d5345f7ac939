// The Kubernetes API of one devcluster: verbs on objects, discovery,
// OpenAPI, errors as Status. Runs on the loop thread only; the HTTP layer
// parses requests, calls in, and streams watches from what start_watch()
// hands back.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "api_error.h"
#include "api_types.h"
#include "discovery.h"
#include "resource_types.h"
#include "store.h"

namespace switchyard::devcluster {

// Label and field selectors of a list or watch, parsed once.
class ObjectFilter {
 public:
  virtual ~ObjectFilter() = default;
  [[nodiscard]] virtual bool matches(const rapidjson::Value& object) const = 0;
};

struct WatchStart {
  std::optional<ApiError> error;  // sent as the response (not in-stream)
  bool expired = false;           // send an in-stream 410 Expired and close
  std::string expired_message;
  std::shared_ptr<Watcher> watcher;
  std::vector<Event> initial;  // current state as ADDED, or the ring's replay
  bool initial_events_end_bookmark = false;
  std::uint64_t start_version = 0;  // resourceVersion the initial events reach
  ResourceType type;
  std::shared_ptr<const ObjectFilter> filter;  // null = everything
};

class Api {
 public:
  struct Options {
    std::size_t event_window = 10000;
    std::size_t watcher_queue_limit = 100000;
    // RFC 3339 now; injectable so tests get fixed timestamps.
    std::function<std::string()> clock;
    std::uint64_t seed = 0;  // 0 = random
  };
  explicit Api(Options options);

  // Any request but a watch. Never throws.
  [[nodiscard]] ApiResponse handle(const ApiRequest& request);
  // A watch request (watch=true or /watch/ paths).
  [[nodiscard]] WatchStart start_watch(const ApiRequest& request);
  [[nodiscard]] static bool is_watch(const ApiRequest& request);

  [[nodiscard]] Store& store() { return store_; }
  [[nodiscard]] const ResourceTypes& types() const { return types_; }
  // Re-serves the CRDs in the store (after loading persisted objects).
  void serve_stored_crds();
  // Called after every committed change (persistence hooks in here).
  std::function<void()> on_change;

 private:
  ApiResponse handle_resource(const ApiRequest& request, const ResourcePath& path);
  // GET /api (core) or /apis in an aggregated format.
  ApiResponse aggregated_discovery(const ApiRequest& request, bool core, DiscoveryFormat format) const;
  ApiResponse get_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);
  ApiResponse list_objects(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);
  ApiResponse create_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);
  ApiResponse update_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);
  ApiResponse patch_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);
  ApiResponse delete_object(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);
  ApiResponse delete_collection(const ApiRequest& request, const ResourceType& type, const ResourcePath& path);

  // Shared tail of update and patch: checks, merges, validates and stores.
  ApiResponse write_existing(const ApiRequest& request, const ResourceType& type, const ResourcePath& path,
                             const ObjectPtr& existing, rapidjson::Document& incoming, int success_code);
  ApiResponse commit_create(const ApiRequest& request, const ResourceType& type, const ResourcePath& path,
                            std::unique_ptr<rapidjson::Document> object);
  // Validation of a candidate object (CR schemas, CRD rules): causes or none.
  [[nodiscard]] std::optional<ApiError> validate(const ResourceType& type, rapidjson::Document& object,
                                                 const ApiRequest& request);
  void remove_now(const ResourceType& type, const std::string& ns, const std::string& name);
  void after_commit(const ResourceType& type, const ObjectPtr& stored);
  [[nodiscard]] std::optional<ApiError> check_namespace(const ResourceType& type, const std::string& ns) const;
  [[nodiscard]] std::string object_response(const ApiRequest& request, const ResourceType& type,
                                            const ObjectPtr& object) const;
  [[nodiscard]] std::string new_uid();
  void set_crd_status(rapidjson::Document& crd) const;

  Options options_;
  ResourceTypes types_;
  Store store_;
  std::mt19937_64 random_;
};

// True for dryRun=All (the only value Kubernetes accepts).
[[nodiscard]] bool is_dry_run(const ApiRequest& request);

}  // namespace switchyard::devcluster
