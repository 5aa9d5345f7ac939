#include "watch_stream.h"

#include <algorithm>
#include <thread>

#include "api_error.h"
#include "object_rules.h"
#include "table.h"

namespace switchyard::devcluster {

WatchStream::WatchStream(WatchStart start, WatchStreamOptions options,
                         std::shared_ptr<const std::atomic<std::uint64_t>> published_version)
    : start_(std::move(start)),
      options_(std::move(options)),
      published_(std::move(published_version)),
      last_write_(std::chrono::steady_clock::now()) {}

WatchStream::~WatchStream() {
  if (start_.watcher) start_.watcher->close();
}

std::string WatchStream::bookmark_line(std::uint64_t version, bool initial_events_end) const {
  std::string line = "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"" + start_.type.kind + "\",\"apiVersion\":\"" +
                     start_.type.api_version() + "\",\"metadata\":{\"resourceVersion\":\"" + std::to_string(version) +
                     "\"";
  if (initial_events_end) line += ",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}";
  return line + "}}}\n";
}

void WatchStream::append_event(const Event& event, std::string& out) {
  EventType type = event.type;
  if (start_.filter) {
    // With selectors, an object moving into or out of the selection is
    // ADDED or DELETED for this watch, as on real servers.
    bool now_matches = start_.filter->matches(*event.object);
    bool matched_before = event.previous && start_.filter->matches(*event.previous);
    if (event.type == EventType::kDeleted) {
      if (!matched_before) return;
    } else if (event.type == EventType::kModified) {
      if (!now_matches && !matched_before) return;
      if (now_matches && !matched_before) type = EventType::kAdded;
      if (!now_matches && matched_before) type = EventType::kDeleted;
    } else if (!now_matches) {
      return;
    }
  }
  out += std::string("{\"type\":\"") + event_type_name(type) + "\",\"object\":";
  if (options_.table) {
    TableOptions table;
    table.include_object = options_.include_object;
    table.now = options_.clock ? options_.clock() : "";
    out += table_json(start_.type, {served_as(start_.type, event.object)}, table);
  } else if (ObjectPtr served = served_as(start_.type, event.object); served != event.object) {
    out += to_json(*served);
  } else if (event.object_json) {
    out += *event.object_json;
  } else {
    out += to_json(*event.object);
  }
  out += "}\n";
  last_sent_ = std::max(last_sent_, event.resource_version);
}

bool WatchStream::write_events(const std::vector<Event>& events, const std::function<bool(const std::string&)>& write) {
  // One write per batch, not per event: with many watchers, each write is a
  // syscall (and a TLS record) per watcher per event.
  constexpr std::size_t kBatchBytes = 256 * 1024;
  std::string batch;
  auto flush = [&] {
    last_write_ = last_events_write_ = std::chrono::steady_clock::now();
    bool written = write(batch);
    batch.clear();
    return written;
  };
  for (const Event& event : events) {
    append_event(event, batch);
    if (batch.size() >= kBatchBytes && !flush()) return false;
  }
  return batch.empty() || flush();
}

bool WatchStream::step(const std::function<bool(const std::string&)>& write, std::chrono::milliseconds wait) {
  if (!initial_sent_) {
    initial_sent_ = true;
    if (start_.expired) {
      write("{\"type\":\"ERROR\",\"object\":" + status_json(expired(start_.expired_message)) + "}\n");
      return false;
    }
    if (!write_events(start_.initial, write)) return false;
    last_sent_ = std::max(last_sent_, start_.start_version);
    if (start_.initial_events_end_bookmark && !write(bookmark_line(start_.start_version, true))) return false;
    start_.initial.clear();
  }
  auto now = std::chrono::steady_clock::now();
  if (now >= options_.deadline) return false;
  auto until_deadline = std::chrono::duration_cast<std::chrono::milliseconds>(options_.deadline - now);
  wait = std::min(wait, until_deadline);
  // Read the published version before draining: every event up to it is
  // already queued, so a bookmark at it never overtakes an event.
  std::uint64_t published = published_->load();
  // A stream that wrote events less than the coalesce interval ago waits
  // out the rest of it, then sends what arrived meanwhile in one write
  // (ServerOptions::watch_coalesce says why). One after a quiet spell goes
  // out at once.
  if (auto since = std::chrono::steady_clock::now() - last_events_write_; since < options_.coalesce) {
    std::this_thread::sleep_for(options_.coalesce - since);
  }
  std::vector<Event> events;
  bool open = start_.watcher->take(events, wait);
  if (!write_events(events, write)) return false;
  if (!open) return false;
  if (options_.bookmarks && events.empty() &&
      std::chrono::steady_clock::now() - last_write_ >= options_.bookmark_interval) {
    last_write_ = std::chrono::steady_clock::now();
    std::uint64_t version = std::max(published, last_sent_);
    last_sent_ = version;
    if (!write(bookmark_line(version, false))) return false;
  }
  return std::chrono::steady_clock::now() < options_.deadline;
}

}  // namespace switchyard::devcluster
