// Records core/v1 Events about objects without ever blocking the caller:
// record() enqueues (bounded; drops and counts when full), one writer thread
// creates the Event or, for a repeat of the same (object, type, reason,
// message), patches its count and lastTimestamp as client-go does.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "switchyard/kube/client.h"
#include "switchyard/kube/resource.h"

namespace switchyard::kube {

struct EventTarget {
  Resource resource;
  std::string namespace_name, name, uid, api_version, kind;  // api_version/kind default from resource
};

enum class EventType { Normal, Warning };

struct EventRecorderOptions {
  std::size_t queue_capacity = 1000;
  std::size_t max_aggregated = 4096;  // remembered (object, reason, message) keys, oldest forgotten
  std::chrono::milliseconds stop_drain{2000};  // how long stop() keeps writing queued events
  // Wall clock for timestamps (tests inject a fixed one).
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

class EventRecorder {
 public:
  EventRecorder(Client& client, std::string component, std::string host,
                EventRecorderOptions options = {});
  ~EventRecorder();  // stop()
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Thread-safe, never blocks on the network.
  void record(const EventTarget& about, EventType type, std::string reason, std::string message);
  // Writes what is queued for up to options.stop_drain, drops the rest,
  // joins the writer. Idempotent.
  void stop();
  // Waits until everything recorded so far has been written (or failed).
  // Returns false on timeout. For tests and orderly shutdown.
  bool flush(std::chrono::milliseconds timeout);

  std::size_t dropped() const;   // queue full or not written by stop()
  std::size_t written() const;   // successful creates + patches
  std::size_t failed() const;    // API errors while writing

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchyard::kube
