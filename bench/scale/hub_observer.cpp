#include "hub_observer.h"

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace switchyard::bench {

bool HubProcess::start(std::string& error) {
  kill();
  std::vector<char*> args;
  for (auto& arg : argv_) args.push_back(arg.data());
  args.push_back(nullptr);
  const int log = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    error = "cannot open " + log_path_;
    return false;
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(log);
    error = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    ::setsid();
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execv(args[0], args.data());
    std::_Exit(127);
  }
  ::close(log);
  return true;
}

void HubProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

bool HubProcess::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

ProcStats read_proc(pid_t pid) {
  ProcStats stats;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string name;
    std::int64_t value = 0;
    fields >> name >> value;
    if (name == "VmRSS:") stats.rss_kib = value;
    if (name == "VmHWM:") stats.hwm_kib = value;
    if (name == "Threads:") stats.threads = value;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (in parentheses, which may hold spaces):
  // utime and stime are fields 14 and 15, i.e. the 12th and 13th after it.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return stats;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::atoll(field.c_str());
    if (i == 15) stime = std::atoll(field.c_str());
  }
  stats.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  stats.ok = stats.rss_kib > 0;
  return stats;
}

namespace {

// `name{labels} value` -> labels (without braces) and value.
bool split_sample(const std::string& line, std::string& name, std::string& labels, double& value) {
  const auto brace = line.find('{');
  const auto space = line.rfind(' ');
  if (space == std::string::npos) return false;
  if (brace != std::string::npos && brace < space) {
    name = line.substr(0, brace);
    labels = line.substr(brace + 1, line.rfind('}') - brace - 1);
  } else {
    name = line.substr(0, space);
    labels.clear();
  }
  value = std::strtod(line.c_str() + space + 1, nullptr);
  return true;
}

std::string label(const std::string& labels, const std::string& key) {
  const auto at = labels.find(key + "=\"");
  if (at == std::string::npos) return {};
  const auto start = at + key.size() + 2;
  return labels.substr(start, labels.find('"', start) - start);
}

}  // namespace

bool hub_ready(int metrics_port) {
  httplib::Client client("127.0.0.1", metrics_port);
  client.set_connection_timeout(0, 300'000);
  client.set_read_timeout(1, 0);
  auto ready = client.Get("/readyz");
  return ready && ready->status == 200;
}

HubScrape scrape_hub(int metrics_port) {
  HubScrape scrape;
  httplib::Client client("127.0.0.1", metrics_port);
  client.set_connection_timeout(2, 0);
  client.set_read_timeout(10, 0);
  auto ready = client.Get("/readyz");
  scrape.ready = ready && ready->status == 200 ? 1 : 0;
  auto response = client.Get("/metrics");
  if (!response || response->status != 200) return scrape;
  std::istringstream body(response->body);
  std::string line, name, labels;
  double value = 0;
  while (std::getline(body, line)) {
    if (line.empty() || line[0] == '#' || !split_sample(line, name, labels, value)) continue;
    if (name == "switchyard_hub_assignment_revision") {
      scrape.revisions[label(labels, "cluster")] = static_cast<std::int64_t>(value);
    } else if (name == "switchyard_hub_reports_total") {
      scrape.reports += value;
    } else if (name == "switchyard_hub_status_writes_pending") {
      scrape.status_writes_pending = value;
    } else if (name == "switchyard_hub_api_writes_total") {
      if (label(labels, "kind") == "failoverservice_status" && label(labels, "outcome") == "written") {
        scrape.status_writes = value;
      }
    } else if (name == "switchyard_hub_decision_duration_seconds_count") {
      scrape.flushes = value;
    } else if (name == "switchyard_hub_parked_long_polls") {
      scrape.parked = value;
    } else if (name == "switchyard_hub_connected_agents") {
      scrape.connected = value;
    }
  }
  scrape.ok = true;
  return scrape;
}

}  // namespace switchyard::bench
