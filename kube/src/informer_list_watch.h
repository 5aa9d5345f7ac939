// The informer's list+watch loop (client-go's Reflector), run on the
// informer's own thread. It reports what the server says to a sink; the sink
// hands it to the loop thread, where the store does the diffing.
#pragma once

#include <string>
#include <vector>

#include "informer_stop_signal.h"
#include "informer_store.h"
#include "switchyard/kube/backoff.h"
#include "switchyard/kube/client.h"
#include "switchyard/kube/informer.h"

namespace switchyard::kube {

// Receives, in order, what the list+watch learned. Called on the worker thread.
class ListWatchSink {
 public:
  virtual ~ListWatchSink() = default;
  virtual void listed(std::vector<ObjectPtr> items, std::string resource_version) = 0;
  virtual void changed(WatchChange what, ObjectPtr object) = 0;
  virtual void bookmarked(std::string resource_version) = 0;
};

class ListWatch {
 public:
  ListWatch(Client& client, const InformerOptions& options, ListWatchSink& sink, InformerStats& stats);

  // Lists and watches until `stop` is raised.
  void run(StopSignal& stop);

 private:
  enum class WatchOutcome { Resume, Relist, Backoff };

  // One complete list, page by page. A 410 (an expired continue token, or a
  // resourceVersion the server no longer has) starts it over from scratch.
  [[nodiscard]] Result<ListPage> list_everything(StopSignal& stop);
  [[nodiscard]] WatchOutcome watch_once(StopSignal& stop);
  // Waits the next backoff delay (at least the server's Retry-After; the
  // short one while the server is unreachable); false when stopped.
  bool back_off(StopSignal& stop, const ApiError& error);
  // A list or watch worked: both backoffs start over.
  void succeeded();

  Client& client_;
  const InformerOptions& options_;
  ListWatchSink& sink_;
  InformerStats& stats_;
  UnitRandom random_;
  Backoff backoff_;
  Backoff unreachable_backoff_;  // for ApiError::unreachable() failures
  std::string resource_version_;  // newest seen: the list's, then each event's
  ApiError last_watch_error_;
  bool paging_ = true;  // off once the server shows its pages are not one snapshot
};

}  // namespace switchyard::kube
