// Runs the data-plane checks (api.md rule 1a) every `interval` on its own
// thread: one batched evaluation (data_plane.h) of the workloads last handed
// over, whose rounded results go to `done`. Prometheus down or slow costs
// this thread only (each query has its own timeout): the loop, the reports
// and the applier keep running, and the results carry the error.
//
// Thread-safety: set_workloads() from any thread; start()/stop() from the
// owner. `done` runs on the evaluator's thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "switchyard/agent/agent_metrics.h"
#include "switchyard/agent/data_plane.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

struct DataPlaneOptions {
  std::chrono::milliseconds interval{5000};
  DataPlaneQueries queries;
};

// One evaluation round: what each measured local service reports.
struct DataPlaneRound {
  std::chrono::system_clock::time_point evaluated_at;
  std::map<protocol::ServiceKey, protocol::DataPlaneMeasurement> measured;
};

// Pure: the report's rounded measurement of one evaluation of one service.
[[nodiscard]] protocol::DataPlaneMeasurement to_report(const DataPlaneMeasurement& measured);

class DataPlaneEvaluator {
 public:
  DataPlaneEvaluator(std::unique_ptr<PrometheusApi> prometheus, DataPlaneOptions options, AgentMetrics& metrics,
                     std::function<void(DataPlaneRound)> done);
  ~DataPlaneEvaluator();
  DataPlaneEvaluator(const DataPlaneEvaluator&) = delete;
  DataPlaneEvaluator& operator=(const DataPlaneEvaluator&) = delete;

  void start();
  void stop();  // idempotent; joins the thread (waits for a query in flight: at most its timeout)
  void set_workloads(std::vector<WatchedWorkload> workloads);

 private:
  void run();

  std::unique_ptr<PrometheusApi> prometheus_;  // evaluator thread only
  DataPlaneOptions options_;
  AgentMetrics& metrics_;
  std::function<void(DataPlaneRound)> done_;
  std::thread thread_;
  std::mutex mutex_;  // guards workloads_, stopping_
  std::condition_variable wake_;
  std::vector<WatchedWorkload> workloads_;
  bool stopping_ = false;
};

}  // namespace switchyard::agent
