#include "informer_list_watch.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace switchyard::kube {

ListWatch::ListWatch(Client& client, const InformerOptions& options, ListWatchSink& sink,
                     InformerStats& stats)
    : client_(client),
      options_(options),
      sink_(sink),
      stats_(stats),
      random_(make_unit_random(options.random_seed)),
      backoff_(options.backoff, random_),
      unreachable_backoff_(options.unreachable_backoff, random_) {}

void ListWatch::succeeded() {
  backoff_.reset();
  unreachable_backoff_.reset();
}

void ListWatch::run(StopSignal& stop) {
  bool need_list = true;
  bool just_listed = false;
  while (!stop.raised()) {
    if (need_list) {
      auto listed = list_everything(stop);
      if (stop.raised()) return;
      if (!listed.ok()) {
        if (!back_off(stop, listed.error())) return;
        continue;
      }
      resource_version_ = listed.value().resource_version;
      stats_.lists.fetch_add(1);
      succeeded();
      just_listed = true;
      sink_.listed(std::move(listed.value().items), resource_version_);
      need_list = false;
    }
    const WatchOutcome outcome = watch_once(stop);
    const bool watched_right_after_list = std::exchange(just_listed, false);
    switch (outcome) {
      case WatchOutcome::Resume:
        break;
      case WatchOutcome::Relist:
        need_list = true;
        // A list whose resourceVersion is already gone when the watch starts
        // (writes outrunning a small event window) would otherwise spin.
        if (watched_right_after_list && !back_off(stop, last_watch_error_)) return;
        break;
      case WatchOutcome::Backoff:
        if (!back_off(stop, last_watch_error_)) return;
        break;
    }
  }
}

Result<ListPage> ListWatch::list_everything(StopSignal& stop) {
  ListOptions request;
  request.label_selector = options_.label_selector;
  request.field_selector = options_.field_selector;
  request.limit = paging_ ? options_.page_size : 0;
  ListPage all;
  bool first_page = true;
  while (!stop.raised()) {
    auto page = client_.list(options_.resource, options_.namespace_name, request);
    if (!page.ok()) {
      if (!page.error().gone()) return page.error();
      stats_.gone.fetch_add(1);
      // 410 on the first page: back off and list again. On a later page the
      // continue token expired: start the list over at once.
      if (first_page) return page.error();
      all = ListPage{};
      request.continue_token.clear();
      first_page = true;
      continue;
    }
    ListPage& got = page.value();
    // Every page of one list carries the snapshot's resourceVersion; the
    // first page's is the one to watch from. A server whose later pages
    // report another version does not list from one snapshot (objects on
    // later pages may be newer than that version, and the watch would replay
    // their older states), so lists from it are not paged.
    if (first_page) {
      all.resource_version = got.resource_version;
    } else if (got.resource_version != all.resource_version) {
      paging_ = false;
      request.limit = 0;
      request.continue_token.clear();
      all = ListPage{};
      first_page = true;
      continue;
    }
    first_page = false;
    all.items.insert(all.items.end(), std::make_move_iterator(got.items.begin()),
                     std::make_move_iterator(got.items.end()));
    if (got.continue_token.empty()) return all;
    request.continue_token = got.continue_token;
  }
  return ApiError{0, "Stopped", "informer stopped during list", std::nullopt, {}};
}

ListWatch::WatchOutcome ListWatch::watch_once(StopSignal& stop) {
  WatchOptions request;
  request.resource_version = resource_version_;
  request.label_selector = options_.label_selector;
  request.field_selector = options_.field_selector;
  request.allow_bookmarks = true;
  const auto min_timeout = options_.min_watch_timeout;
  request.timeout_seconds = static_cast<int>(jittered(min_timeout, 1.0, random_).count() / 1000);
  request.timeout_seconds = std::max(request.timeout_seconds, 1);

  bool gone = false;
  const auto started = std::chrono::steady_clock::now();
  ApiError stream_error;
  stats_.watches.fetch_add(1);
  auto ended = client_.watch(
      options_.resource, options_.namespace_name, request,
      [&](WatchEvent&& event) {
        // After an ERROR the stream is over for us, whatever follows it.
        if (gone || stream_error.code != 0) return;
        stats_.events.fetch_add(1);
        switch (event.type) {
          case WatchEvent::Type::Added:
          case WatchEvent::Type::Modified:
          case WatchEvent::Type::Deleted: {
            if (!event.object) return;
            resource_version_ = std::string(event.object->resource_version());
            const WatchChange what = event.type == WatchEvent::Type::Added      ? WatchChange::Added
                                     : event.type == WatchEvent::Type::Modified ? WatchChange::Modified
                                                                                : WatchChange::Deleted;
            sink_.changed(what, std::move(event.object));
            return;
          }
          case WatchEvent::Type::Bookmark:
            if (!event.object || event.object->resource_version().empty()) return;
            resource_version_ = std::string(event.object->resource_version());
            sink_.bookmarked(resource_version_);
            return;
          case WatchEvent::Type::Error:
            if (event.error.gone()) {
              gone = true;
            } else {
              stream_error = event.error;
              if (stream_error.code == 0) stream_error.code = 500;
            }
            return;
        }
      },
      stop.flag());

  if (stop.raised()) return WatchOutcome::Resume;
  if (gone || (!ended.ok() && ended.error().gone())) {
    stats_.gone.fetch_add(1);
    last_watch_error_ = ApiError{410, "Expired", "watch resourceVersion " + resource_version_ + " is gone",
                                 std::nullopt, {}};
    return WatchOutcome::Relist;
  }
  if (!ended.ok() || stream_error.code != 0) {
    last_watch_error_ = ended.ok() ? stream_error : ended.error();
    return WatchOutcome::Backoff;
  }
  // A watch that ended normally (timeoutSeconds, the server closing) resumes
  // from the last resourceVersion at once; one that ended at once without
  // any event might be a server closing every stream, so it backs off.
  if (ended.value().events == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
    last_watch_error_ = ApiError{0, "", "watch ended without events", std::nullopt, {}};
    return WatchOutcome::Backoff;
  }
  succeeded();
  return WatchOutcome::Resume;
}

bool ListWatch::back_off(StopSignal& stop, const ApiError& error) {
  stats_.errors.fetch_add(1);
  auto& backoff = error.unreachable() ? unreachable_backoff_ : backoff_;
  auto delay = backoff.next_delay(Backoff::Clock::now());
  if (error.retry_after) {
    delay = std::max(delay, std::chrono::duration_cast<std::chrono::milliseconds>(*error.retry_after));
  }
  return !stop.wait_for(delay);
}

}  // namespace switchyard::kube
