// Helpers for the informer and leader-election tests against a real
// devcluster: a libuv loop the test thread runs until a condition holds, a
// handler that checks every delivery against a model of the store, and a
// writer that records each change it makes.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/kube/client.h"
#include "switchyard/kube/informer.h"

namespace switchyard::kube::test {

// The loop the informers deliver to; run by the test thread.
class TestLoop {
 public:
  TestLoop();
  ~TestLoop();  // runs the loop until every handle closed, then closes it
  uv_loop_t* get() { return &loop_; }
  // Runs the loop until `done` or the timeout; returns done().
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  void run_for(std::chrono::milliseconds duration);

 private:
  uv_loop_t loop_;
  uv_timer_t tick_;
};

// "add@12", "update@13", "delete": what a handler saw or a writer did to one object.
using History = std::map<std::string, std::vector<std::string>>;  // by "namespace/name"

std::uint64_t rv_number(std::string_view rv);

// Records every delivery and checks it against the store the handler has
// been told about: adds only for absent objects, updates and deletes only
// for present ones, updates only forward in resourceVersion, all on the loop
// thread. Loop thread only.
class RecordingHandler : public InformerHandler {
 public:
  RecordingHandler() : loop_thread_(std::this_thread::get_id()) {}
  void on_add(const ObjectPtr& object) override;
  void on_update(const ObjectPtr& old, const ObjectPtr& now) override;
  void on_delete(const ObjectPtr& last) override;
  void on_synced() override { ++synced_calls; }

  History history;
  std::vector<std::string> violations;
  std::map<std::string, std::string> current;  // key -> resourceVersion, as told
  int synced_calls = 0;
  std::size_t deliveries = 0;

 private:
  void check_thread(const char* what);
  std::thread::id loop_thread_;
};

// Writes ConfigMaps and remembers what each write produced. Thread-safe.
class ConfigMapWriter {
 public:
  ConfigMapWriter(ClusterConfig config, std::string ns) : client_(std::move(config)), ns_(std::move(ns)) {}

  // Each returns whether the write succeeded (and recorded it).
  bool create(const std::string& name, const std::string& app_label);
  bool update(const std::string& name);
  bool remove(const std::string& name);

  // The server's ConfigMaps (all namespaces when ns is ""), key -> resourceVersion.
  std::map<std::string, std::string> server_state(const std::string& ns, const std::string& label_selector = "");
  History history() const;
  // The writer's history limited to objects whose name passes `keep`.
  History history_where(const std::function<bool(const std::string& key)>& keep) const;
  std::set<std::string> written_versions() const;
  Client& client() { return client_; }

 private:
  void record(const std::string& name, std::string entry, const std::string& rv);

  Client client_;
  std::string ns_;
  mutable std::mutex mutex_;  // guards history_, versions_, counter_
  History history_;
  std::set<std::string> versions_;
  int counter_ = 0;
};

// The informer's store as key -> resourceVersion.
std::map<std::string, std::string> store_state(const Informer& informer);

}  // namespace switchyard::kube::test
