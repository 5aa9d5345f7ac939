// An informer keeps a local copy of one resource type (optionally one
// namespace, filtered by label and field selectors) and tells handlers about
// every change, as client-go's shared informer does:
//
//   list (paged) -> watch from the list's resourceVersion (bookmarks on)
//   broken stream / timeoutSeconds -> watch again from the last seen resourceVersion
//   410 Gone (in-stream ERROR, or HTTP 410 on watch or list) -> list again and
//       deliver the difference to the store as adds, updates and deletes
//   server unreachable (connection refused, reset or closed) -> retry within
//       about a second (250 ms doubling to 1 s), so an API server restart
//       costs about a second, not the backoff built up while it was down
//   other errors -> capped jittered exponential backoff, then retry
//
// Threads: the list+watch runs on the informer's own thread and hands what it
// receives to the owner's libuv loop (a mutex-guarded queue + uv_async_send).
// The store and every handler call belong to the loop thread; each change is
// delivered exactly once, in order per object.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <uv.h>

#include "switchyard/kube/backoff.h"
#include "switchyard/kube/client.h"
#include "switchyard/kube/object.h"
#include "switchyard/kube/resource.h"

namespace switchyard::kube {

// Called on the loop thread. Handlers must not destroy the Informer; they may
// call stop().
class InformerHandler {
 public:
  virtual ~InformerHandler();
  virtual void on_add(const ObjectPtr& object) {}
  virtual void on_update(const ObjectPtr& old, const ObjectPtr& now) {}
  // `last` is the final state the informer knows: the DELETED event's object,
  // or the last stored one when a re-list found the object gone.
  virtual void on_delete(const ObjectPtr& last) {}
  // Once, after the adds of the first list have been delivered.
  virtual void on_synced() {}
};

struct InformerOptions {
  Resource resource;
  std::string namespace_name;  // "" = all namespaces (or a cluster-scoped resource)
  std::string label_selector, field_selector;
  BackoffOptions backoff;
  // While the server cannot be reached (ApiError::unreachable): a connect
  // that is refused costs the server nothing, and waiting out `backoff`
  // (up to 30 s by then) would delay the first watch after it comes back.
  BackoffOptions unreachable_backoff{std::chrono::milliseconds(250), std::chrono::milliseconds(1000), 2.0, 1.0,
                                     std::chrono::milliseconds(120000)};
  int page_size = 500;  // list limit per page; 0 = one unpaged list
  // Each watch asks the server to end it after a random time in
  // [min_watch_timeout, 2 * min_watch_timeout] (client-go: 5 minutes), so
  // connections are renewed and load spreads.
  std::chrono::seconds min_watch_timeout{300};
  std::uint64_t random_seed = 0;  // jitter source; 0 = random
};

// Counters readable from any thread (tests, metrics).
struct InformerStats {
  std::atomic<std::uint64_t> lists{0};          // complete lists delivered
  std::atomic<std::uint64_t> watches{0};        // watch requests started
  std::atomic<std::uint64_t> gone{0};           // 410s that forced a re-list
  std::atomic<std::uint64_t> errors{0};         // failed requests (backed off)
  std::atomic<std::uint64_t> events{0};         // watch events received (bookmarks included)
};

class Informer {
 public:
  // Loop thread. `client`, `loop` and `handler` must outlive the Informer.
  Informer(Client& client, uv_loop_t* loop, InformerOptions options, InformerHandler& handler);
  // Stops if still running (loop thread).
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // Loop thread; starts the list+watch thread. Call once.
  void start();
  // Loop thread: ends the watch, joins the thread, drops undelivered events
  // and closes the async handle (the loop must run once more to free it).
  // No handler is called after it returns. Idempotent.
  void stop();

  // Loop thread: true once the first list has been delivered to the handler.
  [[nodiscard]] bool synced() const;
  // Loop thread: the store as delivered to the handler so far.
  [[nodiscard]] ObjectPtr find(std::string_view ns, std::string_view name) const;
  [[nodiscard]] std::vector<ObjectPtr> list() const;  // by namespace, then name
  [[nodiscard]] std::string resource_version() const;  // last delivered (bookmarks included)

  [[nodiscard]] const InformerStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchyard::kube
