#include "switchyard/kube/events.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "exec_plugin.h"
#include "json_util.h"

namespace switchyard::kube {
namespace {

constexpr std::size_t kMaxMessageBytes = 1024;

std::string hex(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%llx", static_cast<unsigned long long>(value));
  return buffer;
}

}  // namespace

struct EventRecorder::Impl {
  struct Pending {
    EventTarget target;
    EventType type;
    std::string reason, message;
    std::chrono::system_clock::time_point at;
  };
  // The Event written for one (object, type, reason, message).
  struct Aggregate {
    std::string namespace_name, name, first_timestamp;
    std::int64_t count = 0;
  };

  Impl(Client& c, std::string component, std::string host, EventRecorderOptions o)
      : client(c), component(std::move(component)), host(std::move(host)), options(std::move(o)) {}

  void run();
  void write(const Pending& pending);
  bool create(const Pending& pending, const std::string& key);

  Client& client;
  const std::string component, host;
  const EventRecorderOptions options;

  mutable std::mutex mutex;  // guards everything down to `writer`
  std::condition_variable wake, idle;
  std::deque<Pending> queue;
  bool stopping = false, busy = false;
  std::chrono::steady_clock::time_point drain_deadline{};
  std::size_t dropped = 0, written = 0, failed = 0;

  // Writer thread only.
  std::map<std::string, Aggregate> aggregates;
  std::deque<std::string> aggregate_order;

  std::thread writer;
};

EventRecorder::EventRecorder(Client& client, std::string component, std::string host,
                             EventRecorderOptions options)
    : impl_(std::make_unique<Impl>(client, std::move(component), std::move(host), std::move(options))) {
  impl_->writer = std::thread([impl = impl_.get()] { impl->run(); });
}

EventRecorder::~EventRecorder() { stop(); }

void EventRecorder::record(const EventTarget& about, EventType type, std::string reason, std::string message) {
  if (message.size() > kMaxMessageBytes) {
    // Cut on a UTF-8 character boundary: the server rejects invalid UTF-8.
    std::size_t cut = kMaxMessageBytes;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80) --cut;
    message.resize(cut);
  }
  Impl::Pending pending{about, type, std::move(reason), std::move(message), impl_->options.now()};
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping || impl_->queue.size() >= impl_->options.queue_capacity) {
      ++impl_->dropped;
      return;
    }
    impl_->queue.push_back(std::move(pending));
  }
  impl_->wake.notify_one();
}

void EventRecorder::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->stopping) {
      impl_->stopping = true;
      impl_->drain_deadline = std::chrono::steady_clock::now() + impl_->options.stop_drain;
    }
  }
  impl_->wake.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
}

bool EventRecorder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mutex);
  return impl_->idle.wait_for(lock, timeout, [&] { return impl_->queue.empty() && !impl_->busy; });
}

std::size_t EventRecorder::dropped() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->dropped;
}
std::size_t EventRecorder::written() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->written;
}
std::size_t EventRecorder::failed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failed;
}

void EventRecorder::Impl::run() {
  std::unique_lock lock(mutex);
  for (;;) {
    wake.wait(lock, [&] { return stopping || !queue.empty(); });
    if (queue.empty()) {
      idle.notify_all();
      return;  // stopping with nothing left
    }
    if (stopping && std::chrono::steady_clock::now() >= drain_deadline) {
      dropped += queue.size();
      queue.clear();
      idle.notify_all();
      return;
    }
    Pending pending = std::move(queue.front());
    queue.pop_front();
    busy = true;
    lock.unlock();
    write(pending);
    lock.lock();
    busy = false;
    if (queue.empty()) idle.notify_all();
  }
}

void EventRecorder::Impl::write(const Pending& pending) {
  const EventTarget& target = pending.target;
  std::string key = target.resource.api_version() + "/" + target.resource.plural + "/" + target.namespace_name + "/" +
                    target.name + "/" + target.uid + "\n" + (pending.type == EventType::Warning ? "W" : "N") +
                    "\n" + pending.reason + "\n" + pending.message;
  auto found = aggregates.find(key);
  if (found != aggregates.end()) {
    Aggregate& aggregate = found->second;
    std::string patch = R"({"count":)" + std::to_string(aggregate.count + 1) + R"(,"lastTimestamp":)" +
                        json::quote(format_rfc3339(pending.at)) + "}";
    auto patched = client.patch(kEvents, aggregate.namespace_name, aggregate.name, PatchType::Merge, patch);
    if (patched) {
      ++aggregate.count;
      std::lock_guard lock(mutex);
      ++written;
      return;
    }
    // Gone (expired after the server's event TTL, or deleted): start anew.
    aggregates.erase(found);
    if (!patched.error().not_found()) {
      std::lock_guard lock(mutex);
      ++failed;
      return;
    }
  }
  bool ok = create(pending, key);
  std::lock_guard lock(mutex);
  ++(ok ? written : failed);
}

bool EventRecorder::Impl::create(const Pending& pending, const std::string& key) {
  const EventTarget& target = pending.target;
  // Events about cluster-scoped objects live in "default", as client-go puts them.
  std::string ns = target.namespace_name.empty() ? "default" : target.namespace_name;
  std::string api_version = target.api_version.empty() ? target.resource.api_version() : target.api_version;
  std::string kind = target.kind.empty() ? target.resource.kind : target.kind;
  std::string timestamp = format_rfc3339(pending.at);
  auto nanos = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(pending.at.time_since_epoch()).count());

  for (int attempt = 0; attempt < 3; ++attempt) {
    // client-go names an Event "<object name>.<unix nanoseconds in hex>".
    std::string name = target.name + "." + hex(nanos + static_cast<std::uint64_t>(attempt));
    std::string involved = R"({"kind":)" + json::quote(kind) + R"(,"apiVersion":)" + json::quote(api_version) +
                           R"(,"name":)" + json::quote(target.name);
    if (!target.namespace_name.empty()) involved += R"(,"namespace":)" + json::quote(target.namespace_name);
    if (!target.uid.empty()) involved += R"(,"uid":)" + json::quote(target.uid);
    involved += "}";
    std::string body = R"({"apiVersion":"v1","kind":"Event","metadata":{"name":)" + json::quote(name) +
                       R"(,"namespace":)" + json::quote(ns) + R"(},"involvedObject":)" + involved +
                       R"(,"reason":)" + json::quote(pending.reason) + R"(,"message":)" +
                       json::quote(pending.message) + R"(,"type":)" +
                       (pending.type == EventType::Warning ? R"("Warning")" : R"("Normal")") +
                       R"(,"count":1,"firstTimestamp":)" + json::quote(timestamp) + R"(,"lastTimestamp":)" +
                       json::quote(timestamp) + R"(,"source":{"component":)" + json::quote(component) +
                       (host.empty() ? "" : R"(,"host":)" + json::quote(host)) + R"(},"reportingComponent":)" +
                       json::quote(component) + R"(,"reportingInstance":)" + json::quote(host) + "}";
    auto created = client.create(kEvents, ns, body);
    if (created) {
      if (aggregates.size() >= options.max_aggregated && !aggregate_order.empty()) {
        aggregates.erase(aggregate_order.front());
        aggregate_order.pop_front();
      }
      aggregates[key] = Aggregate{ns, name, timestamp, 1};
      aggregate_order.push_back(key);
      return true;
    }
    if (!created.error().already_exists()) return false;
  }
  return false;
}

}  // namespace switchyard::kube
