// Turns an open watch into the lines of a Kubernetes watch response: one
// JSON event per line (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), filtered by
// the request's selectors, optionally as Table rows. Runs on the HTTP
// thread that streams the response, never on the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api.h"

namespace switchyard::devcluster {

struct WatchStreamOptions {
  bool table = false;               // Accept asked for as=Table
  std::string include_object;       // Table rows' includeObject
  bool bookmarks = false;           // allowWatchBookmarks
  std::chrono::milliseconds bookmark_interval{5000};
  std::chrono::microseconds coalesce{0};  // least time between two writes (ServerOptions::watch_coalesce)
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  std::function<std::string()> clock;  // RFC 3339 now, for Table Age cells
};

class WatchStream {
 public:
  WatchStream(WatchStart start, WatchStreamOptions options,
              std::shared_ptr<const std::atomic<std::uint64_t>> published_version);
  ~WatchStream();  // closes the watcher so the loop drops it

  // Writes what is ready, waiting up to `wait` for more. `write` returns
  // false when the client is gone. Returns false once the stream is over.
  [[nodiscard]] bool step(const std::function<bool(const std::string&)>& write, std::chrono::milliseconds wait);

 private:
  // Appends the event's line to `out`, unless the watch's selector filters it out.
  void append_event(const Event& event, std::string& out);
  [[nodiscard]] bool write_events(const std::vector<Event>& events,
                                  const std::function<bool(const std::string&)>& write);
  [[nodiscard]] std::string bookmark_line(std::uint64_t version, bool initial_events_end) const;

  WatchStart start_;
  WatchStreamOptions options_;
  std::shared_ptr<const std::atomic<std::uint64_t>> published_;
  bool initial_sent_ = false;
  std::uint64_t last_sent_ = 0;
  std::chrono::steady_clock::time_point last_write_;         // of anything: bookmarks are due after a quiet interval
  std::chrono::steady_clock::time_point last_events_write_;  // of events: the next waits out the coalesce interval
};

}  // namespace switchyard::devcluster
