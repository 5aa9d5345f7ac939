// The writer thread: newest status per object wins, retries back off, and
// the loop thread never waits for the API.
#include <catch2/catch.hpp>

#include <condition_variable>
#include <deque>
#include <mutex>

#include "switchyard/hub/status_writer.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace std::chrono_literals;

namespace {

// Records writes; can hold the writer inside a write, and answers from a script.
class ScriptedApi final : public StatusApi {
 public:
  WriteOutcome write_status(const StatusWrite& write, std::string& error) override {
    std::unique_lock lock(mutex);
    writes.push_back(write);
    entered.notify_all();
    released.wait(lock, [&] { return !hold; });
    if (outcomes.empty()) return WriteOutcome::Written;
    const auto outcome = outcomes.front();
    outcomes.pop_front();
    if (outcome != WriteOutcome::Written) error = "scripted failure";
    return outcome;
  }
  void wait_for_writes(std::size_t count) {
    std::unique_lock lock(mutex);
    REQUIRE(entered.wait_for(lock, 5s, [&] { return writes.size() >= count; }));
  }
  void release() {
    std::lock_guard lock(mutex);
    hold = false;
    released.notify_all();
  }
  std::mutex mutex;
  std::condition_variable entered, released;
  bool hold = false;
  std::deque<WriteOutcome> outcomes;
  std::vector<StatusWrite> writes;
};

StatusWrite fos_status(const std::string& name, const std::string& json) {
  return {WriteKind::FailoverServiceStatus, "emojivoto", name, json};
}

}  // namespace

TEST_CASE("status writes coalesce per object: the newest waiting status wins", "[hub]") {
  metrics::Registry registry;
  HubMetrics hub_metrics(registry);
  ScriptedApi api;
  api.hold = true;
  StatusWriter writer(api, hub_metrics);
  writer.start();
  writer.submit(fos_status("a", "1"));
  api.wait_for_writes(1);  // the writer is inside write "1"
  writer.submit(fos_status("a", "2"));
  writer.submit(fos_status("b", "1"));
  writer.submit(fos_status("a", "3"));
  CHECK(hub_metrics.status_writes_pending.value() == 3);  // "1" in flight, a and b waiting
  api.release();
  REQUIRE(writer.wait_idle(5s));
  CHECK(hub_metrics.status_writes_pending.value() == 0);
  writer.stop();
  std::vector<std::string> seen;
  for (const auto& write : api.writes) seen.push_back(write.name + ":" + write.status_json);
  CHECK(seen == std::vector<std::string>{"a:1", "a:3", "b:1"});
  CHECK(hub_metrics.api_writes("failoverservice_status", "written").value() == 3);
}

TEST_CASE("a retryable failure is retried with backoff, unless a newer status replaced it", "[hub]") {
  metrics::Registry registry;
  HubMetrics hub_metrics(registry);
  ScriptedApi api;
  StatusWriterOptions options{5ms, 20ms};
  SECTION("retried until written") {
    api.outcomes = {WriteOutcome::Retryable, WriteOutcome::Retryable, WriteOutcome::Written};
    StatusWriter writer(api, hub_metrics, options);
    writer.start();
    writer.submit(fos_status("a", "1"));
    api.wait_for_writes(3);
    REQUIRE(writer.wait_idle(5s));
    CHECK(api.writes.size() == 3);
    CHECK(hub_metrics.api_writes("failoverservice_status", "retryable_error").value() == 2);
    CHECK(hub_metrics.api_writes("failoverservice_status", "written").value() == 1);
  }
  SECTION("gone and refused are not retried") {
    api.outcomes = {WriteOutcome::Gone, WriteOutcome::Refused};
    StatusWriter writer(api, hub_metrics, options);
    writer.start();
    writer.submit(fos_status("a", "1"));
    writer.submit({WriteKind::MemberClusterStatus, "", "east", "1"});
    REQUIRE(writer.wait_idle(5s));
    CHECK(api.writes.size() == 2);
    CHECK(hub_metrics.api_writes("membercluster_status", "refused").value() +
              hub_metrics.api_writes("failoverservice_status", "refused").value() ==
          1);
  }
}

TEST_CASE("stop drains what is queued, within its time limit", "[hub]") {
  metrics::Registry registry;
  HubMetrics hub_metrics(registry);
  ScriptedApi api;
  StatusWriter writer(api, hub_metrics);
  writer.submit(fos_status("a", "1"));  // queued before the thread runs
  writer.submit(fos_status("b", "1"));
  writer.start();
  writer.stop(5s);
  CHECK(api.writes.size() == 2);
}
