#include "switchyard/telemetry/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <vector>

namespace switchyard::metrics {
namespace {

std::optional<double> number(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string sample_line(const char* name, const char* type, const char* help, double value) {
  char formatted[64];
  // The shortest text that reads back as the same double, as Go's client writes it.
  auto written = std::to_chars(formatted, formatted + sizeof formatted, value);
  return std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + " " +
         std::string(formatted, written.ptr) + "\n";
}

}  // namespace

std::optional<ProcessSample> parse_proc_pid_stat(std::string_view line, const ProcUnits& units) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields start after the last ')'.
  const auto comm_end = line.rfind(')');
  if (comm_end == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state) of proc(5)
  std::string_view rest = line.substr(comm_end + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  constexpr std::size_t kUtime = 14 - 3, kStime = 15 - 3, kStarttime = 22 - 3, kVsize = 23 - 3, kRss = 24 - 3;
  if (fields.size() <= kRss) return std::nullopt;
  auto utime = number(fields[kUtime]), stime = number(fields[kStime]), start = number(fields[kStarttime]),
       vsize = number(fields[kVsize]), rss = number(fields[kRss]);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  ProcessSample sample;
  sample.cpu_seconds = (*utime + *stime) / units.ticks_per_second;
  sample.start_time_seconds = units.boot_time_seconds + *start / units.ticks_per_second;
  sample.virtual_bytes = *vsize;
  sample.resident_bytes = *rss * units.page_bytes;
  return sample;
}

std::optional<double> parse_boot_time(std::string_view proc_stat) {
  std::string_view rest = proc_stat;
  while (!rest.empty()) {
    const auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    if (line.rfind("btime ", 0) == 0) return number(line.substr(6));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return std::nullopt;
}

std::string render_process_metrics(const ProcessSample& sample) {
  return sample_line("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
                     sample.cpu_seconds) +
         sample_line("process_max_fds", "gauge", "Maximum number of open file descriptors.", sample.max_fds) +
         sample_line("process_open_fds", "gauge", "Number of open file descriptors.", sample.open_fds) +
         sample_line("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
                     sample.resident_bytes) +
         sample_line("process_start_time_seconds", "gauge",
                     "Start time of the process since unix epoch in seconds.", sample.start_time_seconds) +
         sample_line("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.", sample.virtual_bytes);
}

std::optional<ProcessSample> read_this_process() {
  auto stat = read_file("/proc/self/stat");
  auto system_stat = read_file("/proc/stat");
  if (!stat || !system_stat) return std::nullopt;
  auto boot_time = parse_boot_time(*system_stat);
  if (!boot_time) return std::nullopt;
  ProcUnits units;
  units.ticks_per_second = static_cast<double>(::sysconf(_SC_CLK_TCK));
  units.page_bytes = static_cast<double>(::sysconf(_SC_PAGESIZE));
  units.boot_time_seconds = *boot_time;
  auto sample = parse_proc_pid_stat(*stat, units);
  if (!sample) return std::nullopt;
  // As client_golang counts them: the entries of /proc/self/fd (the one
  // this listing holds open included).
  if (DIR* fds = ::opendir("/proc/self/fd")) {
    while (const dirent* entry = ::readdir(fds)) {
      if (entry->d_name[0] != '.') sample->open_fds += 1;
    }
    ::closedir(fds);
  }
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) sample->max_fds = static_cast<double>(limit.rlim_cur);
  return sample;
}

void export_process_metrics(Registry& registry) {
  registry.add_collector([] {
    auto sample = read_this_process();
    return sample ? render_process_metrics(*sample) : std::string();
  });
}

void export_build_info(Registry& registry, const std::string& name, const std::string& version,
                       const std::string& revision) {
  Labels labels{{"version", version}};
  if (!revision.empty()) labels.emplace_back("revision", revision);
  registry.gauge(name, "A metric with a constant '1' value labeled by the version and revision it was built from.",
                 labels)
      .set(1);
}

}  // namespace switchyard::metrics
