// The hub seen from outside for the scale benchmark: its process (started
// from a command line, killed with SIGKILL as a crash would), its memory and
// CPU from /proc, and its /metrics.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace switchyard::bench {

class HubProcess {
 public:
  HubProcess(std::vector<std::string> argv, std::string log_path) : argv_(std::move(argv)), log_path_(std::move(log_path)) {}
  ~HubProcess() { kill(); }
  HubProcess(const HubProcess&) = delete;
  HubProcess& operator=(const HubProcess&) = delete;

  [[nodiscard]] bool start(std::string& error);  // fork + exec, its output appended to the log
  void kill();                                   // SIGKILL and reap; no-op when not running
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
};

struct ProcStats {
  bool ok = false;
  std::int64_t rss_kib = 0;   // VmRSS
  std::int64_t hwm_kib = 0;   // VmHWM: the peak resident set
  std::int64_t threads = 0;
  double cpu_seconds = 0;     // utime + stime
};
[[nodiscard]] ProcStats read_proc(pid_t pid);

// The few hub metrics the benchmark reads.
struct HubScrape {
  bool ok = false;
  std::map<std::string, std::int64_t> revisions;  // switchyard_hub_assignment_revision{cluster}
  double reports = 0;                             // sum of switchyard_hub_reports_total
  double status_writes_pending = -1;
  double status_writes = 0;                       // switchyard_hub_api_writes_total{kind=failoverservice_status,written}
  double flushes = 0;                             // switchyard_hub_decision_duration_seconds_count
  double parked = 0;
  double connected = 0;
  double ready = 0;                               // /readyz answered 200
};
[[nodiscard]] HubScrape scrape_hub(int metrics_port);
// /readyz answers 200: the hub serves agents (it leads, its informers synced).
[[nodiscard]] bool hub_ready(int metrics_port);

}  // namespace switchyard::bench
