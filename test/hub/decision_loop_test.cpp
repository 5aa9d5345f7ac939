// The libuv shell: reports from other threads are batched into one flush,
// and one timer wakes the work at its next deadline.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "switchyard/hub/decision_loop.h"

using namespace switchyard;
using namespace switchyard::hub;

namespace {

class CountingWork final : public DecisionWork {
 public:
  void report_received(const std::string& cluster, protocol::Report&& report, TimeMs received_at) override {
    reports.push_back(cluster + ":" + std::to_string(report.seq));
  }
  void flush(TimeMs now) override {
    ++flushes;
    flush_reports.push_back(reports.size());
  }
  std::optional<TimeMs> next_deadline(TimeMs now) const override {
    if (deadlines_left == 0) return std::nullopt;
    --deadlines_left;
    return now + 5;
  }
  std::vector<std::string> reports;
  std::vector<std::size_t> flush_reports;  // reports seen at each flush
  int flushes = 0;
  mutable int deadlines_left = 0;
};

protocol::Report report(std::uint64_t seq) {
  protocol::Report out;
  out.agent_id = "a";
  out.seq = seq;
  return out;
}

TimeMs wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void run_until_closed(uv_loop_t& loop, DecisionLoop& decisions) {
  decisions.close();
  uv_run(&loop, UV_RUN_DEFAULT);
  REQUIRE(uv_loop_close(&loop) == 0);
}

}  // namespace

TEST_CASE("reports delivered from another thread are batched into one flush", "[hub]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  DecisionLoop decisions(&loop, wall_ms);
  CountingWork work;
  decisions.attach(&work);
  uv_run(&loop, UV_RUN_NOWAIT);  // the attach flush
  const int flushes_before = work.flushes;

  std::thread agents([&] {
    for (std::uint64_t seq = 1; seq <= 100; ++seq) {
      decisions.deliver("east", report(seq), std::chrono::system_clock::now());
    }
  });
  agents.join();
  while (work.reports.size() < 100 || work.flush_reports.back() < 100) uv_run(&loop, UV_RUN_ONCE);
  CHECK(work.reports.front() == "east:1");
  CHECK(work.reports.back() == "east:100");
  // All 100 were queued before the loop woke: one drain, one flush.
  CHECK(work.flushes == flushes_before + 1);
  run_until_closed(loop, decisions);
}

TEST_CASE("informer inputs in one iteration share a flush and the deadline timer fires the next", "[hub]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  DecisionLoop decisions(&loop, wall_ms);
  CountingWork work;
  decisions.attach(&work);
  decisions.schedule_flush();
  decisions.schedule_flush();
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(work.flushes == 1);

  work.deadlines_left = 3;  // three more wake-ups, then none
  decisions.schedule_flush();
  while (work.flushes < 5) uv_run(&loop, UV_RUN_ONCE);  // each wake-up comes from the deadline timer
  CHECK(work.deadlines_left == 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(work.flushes == 2 + 3);  // no timer is armed any more
  CHECK(decisions.flushes() == 5);
  run_until_closed(loop, decisions);
}

TEST_CASE("without attached work (a follower) reports are dropped", "[hub]") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  DecisionLoop decisions(&loop, wall_ms);
  decisions.deliver("east", report(1), std::chrono::system_clock::now());
  uv_run(&loop, UV_RUN_NOWAIT);
  CountingWork work;
  decisions.attach(&work);
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(work.reports.empty());
  CHECK(work.flushes == 1);
  run_until_closed(loop, decisions);
}
