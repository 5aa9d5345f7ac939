// The process_* metrics every Prometheus client library exports (client_golang's
// process collector, Python's prometheus_client): CPU time, memory, file
// descriptors and start time, read from /proc at each scrape, and a
// *_build_info gauge. Dashboards and alerts written for any Prometheus-
// instrumented process expect them.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "switchyard/telemetry/metrics.h"

namespace switchyard::metrics {

struct ProcessSample {
  double cpu_seconds = 0;         // user + system
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;  // since the Unix epoch
  double open_fds = 0;
  double max_fds = 0;             // the soft RLIMIT_NOFILE
};

// What /proc/[pid]/stat's numbers are counted in.
struct ProcUnits {
  double ticks_per_second = 100;  // sysconf(_SC_CLK_TCK)
  double page_bytes = 4096;
  double boot_time_seconds = 0;   // /proc/stat's btime
};

// Fills cpu_seconds, resident_bytes, virtual_bytes and start_time_seconds
// from one /proc/[pid]/stat line; nothing when it is malformed.
[[nodiscard]] std::optional<ProcessSample> parse_proc_pid_stat(std::string_view line, const ProcUnits& units);
// The btime (boot time, seconds since the epoch) line of /proc/stat.
[[nodiscard]] std::optional<double> parse_boot_time(std::string_view proc_stat);
// The samples in the text exposition format, HELP and TYPE included.
[[nodiscard]] std::string render_process_metrics(const ProcessSample& sample);
// This process, now; nothing when /proc is not readable.
[[nodiscard]] std::optional<ProcessSample> read_this_process();

// Adds the process_* metrics to what `registry` renders.
void export_process_metrics(Registry& registry);
// `name` (switchyard_hub_build_info) = 1 with the version and, when known,
// the source revision as labels.
void export_build_info(Registry& registry, const std::string& name, const std::string& version,
                       const std::string& revision);

}  // namespace switchyard::metrics
