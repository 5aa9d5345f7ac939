#include "devcluster_process.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace switchyard::kube::test {
namespace {

constexpr const char* kToken = "informer-test-token";

std::string devcluster_binary() { return std::string(SWITCHYARD_BINARY_DIR) + "/bin/switchyard-devcluster"; }

// Reads the child's stdout until "ready <url>" or the deadline; returns the url.
std::string wait_for_ready(int fd, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string seen;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buffer[512];
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got <= 0) break;
    seen.append(buffer, static_cast<std::size_t>(got));
    auto line_end = seen.find('\n');
    if (line_end != std::string::npos) {
      std::string line = seen.substr(0, line_end);
      if (line.rfind("ready ", 0) == 0) return line.substr(6);
    }
  }
  return "";
}

}  // namespace

DevclusterProcess::DevclusterProcess(int event_window) : event_window_(event_window) {
  const std::string script = "cd '" + dir_.path() +
                             "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                             "-keyout key.pem -out cert.pem -days 2 -subj /CN=localhost "
                             "-addext subjectAltName=IP:127.0.0.1,DNS:localhost "
                             "-addext basicConstraints=critical,CA:TRUE 2>/dev/null";
  REQUIRE(std::system(script.c_str()) == 0);
  start();
}

DevclusterProcess::~DevclusterProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void DevclusterProcess::start() {
  REQUIRE(pid_ < 0);
  int out[2];
  REQUIRE(::pipe(out) == 0);
  std::vector<std::string> args = {devcluster_binary(),
                                   "--listen", "127.0.0.1:" + std::to_string(port_),
                                   "--tls-cert", dir_.file("cert.pem"),
                                   "--tls-key", dir_.file("key.pem"),
                                   "--token", kToken,
                                   "--data-dir", dir_.file("data"),
                                   "--event-window", std::to_string(event_window_),
                                   "--kubeconfig-out", dir_.file("kubeconfig")};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // The server dies with the test process, even when that is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(out[1], STDOUT_FILENO);
    ::close(out[0]);
    ::close(out[1]);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  if (pid_ < 0) {
    ::close(out[0]);
    FAIL("cannot start " << argv[0] << ": " << std::strerror(errno));
  }
  const std::string url = wait_for_ready(out[0], std::chrono::seconds(30));
  ::close(out[0]);  // the server prints nothing more; it ignores SIGPIPE
  if (url.empty()) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    FAIL("switchyard-devcluster did not print its ready line");
  }
  port_ = std::stoi(url.substr(url.rfind(':') + 1));
}

void DevclusterProcess::stop() { end_with(SIGTERM); }

void DevclusterProcess::kill() { end_with(SIGKILL); }

void DevclusterProcess::end_with(int signal) {
  if (pid_ < 0) return;
  ::kill(pid_, signal);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

ClusterConfig DevclusterProcess::config() const {
  auto loaded = load_kubeconfig_files({dir_.file("kubeconfig")}, "");
  REQUIRE(loaded.ok());
  ClusterConfig config = loaded.value();
  // Short client-side retries keep failure paths quick in tests.
  config.connect_timeout = std::chrono::milliseconds(2000);
  config.request_timeout = std::chrono::milliseconds(5000);
  config.max_retries = 1;
  return config;
}

ClusterConfig DevclusterProcess::config_via(int port) const {
  ClusterConfig config = this->config();
  config.server = "https://127.0.0.1:" + std::to_string(port);
  return config;
}

}  // namespace switchyard::kube::test
