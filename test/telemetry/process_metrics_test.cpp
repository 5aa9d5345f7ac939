// The process_* metrics: /proc parsing with known numbers, the rendering,
// and this test process's own values being plausible.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>

#include "switchyard/telemetry/process_metrics.h"

using namespace switchyard::metrics;

TEST_CASE("process metrics come from /proc/[pid]/stat as client libraries read them", "[telemetry][process]") {
  ProcUnits units;
  units.ticks_per_second = 100;
  units.page_bytes = 4096;
  units.boot_time_seconds = 1700000000;
  // A command name with a space and a ')' in it: fields start after the last ')'.
  const std::string line =
      "4242 (switchyard) hub) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 75 0 0 20 0 9 0 "
      "123456 987654321 2560 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  auto sample = parse_proc_pid_stat(line, units);
  REQUIRE(sample);
  CHECK(sample->cpu_seconds == Approx(3.25));                    // (250 + 75) ticks
  CHECK(sample->start_time_seconds == Approx(1700001234.56));    // btime + 123456 ticks
  CHECK(sample->virtual_bytes == 987654321);
  CHECK(sample->resident_bytes == 2560.0 * 4096);

  CHECK_FALSE(parse_proc_pid_stat("4242 (cut short) S 1 2 3", units));
  CHECK_FALSE(parse_proc_pid_stat("no parenthesis at all", units));
  CHECK_FALSE(parse_proc_pid_stat("1 (x) S 1 1 1 0 -1 0 0 0 0 0 u s 0 0 20 0 1 0 5 6 7", units));

  CHECK(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n") == Approx(1700000000));
  CHECK_FALSE(parse_boot_time("cpu  1 2 3\n"));

  const std::string text = render_process_metrics(*sample);
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3.25\n") != std::string::npos);
  CHECK(text.find("process_resident_memory_bytes 10485760\n") != std::string::npos);
  CHECK(text.find("process_start_time_seconds 1700001234.56") != std::string::npos);
}

TEST_CASE("this process's metrics are read from /proc and rendered with the registry's", "[telemetry][process]") {
  auto self = read_this_process();
  REQUIRE(self);
  CHECK(self->resident_bytes > 1024 * 1024);
  CHECK(self->virtual_bytes >= self->resident_bytes);
  CHECK(self->open_fds >= 3);
  CHECK(self->max_fds >= self->open_fds);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(self->start_time_seconds <= now + 1);
  CHECK(self->start_time_seconds > now - 24 * 3600);

  Registry registry;
  registry.counter("switchyard_test_total", "A counter.").inc();
  export_process_metrics(registry);
  export_build_info(registry, "switchyard_test_build_info", "1.2.3", "abc123");
  export_build_info(registry, "switchyard_other_build_info", "1.2.3", "");
  const std::string text = registry.render();
  for (const char* name : {"process_cpu_seconds_total ", "process_resident_memory_bytes ", "process_virtual_memory_bytes ",
                           "process_open_fds ", "process_max_fds ", "process_start_time_seconds "}) {
    CHECK(text.find(std::string("\n") + name) != std::string::npos);
  }
  CHECK(text.find("switchyard_test_build_info{version=\"1.2.3\",revision=\"abc123\"} 1\n") != std::string::npos);
  CHECK(text.find("switchyard_other_build_info{version=\"1.2.3\"} 1\n") != std::string::npos);
  CHECK(text.find("switchyard_test_total 1\n") != std::string::npos);
}
