// Runs switchyard-devcluster as a real process on a free port, over TLS with
// a token, and stops it (SIGTERM, then SIGKILL) when the test ends or fails.
#pragma once

#include <csignal>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

namespace switchyard::kube::test {

class DevclusterProcess {
 public:
  // Starts the binary and waits (up to 20 s) for its "ready <url>" line.
  DevclusterProcess(const std::string& binary, const TempDir& dir, std::vector<std::string> extra_args = {})
      : kubeconfig_(dir.file("devcluster.kubeconfig")) {
    std::vector<std::string> args{binary, "--listen", "127.0.0.1:0", "--tls", "--token", token(),
                                  "--kubeconfig-out", kubeconfig_};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      // Dies with the test process even when that one is killed.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], 1);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string output;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (pid_ > 0 && output.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd fd{out[0], POLLIN, 0};
      if (::poll(&fd, 1, 200) <= 0) continue;
      char buffer[256];
      ssize_t n = ::read(out[0], buffer, sizeof buffer);
      if (n <= 0) break;
      output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    if (output.rfind("ready ", 0) == 0) url_ = output.substr(6, output.find('\n') - 6);
  }
  ~DevclusterProcess() { stop(SIGTERM); }

  bool ready() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  const std::string& kubeconfig() const { return kubeconfig_; }
  static std::string token() { return "kube-client-test-token"; }

  // Ends the process (SIGKILL simulates a crash) and reaps it.
  void stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      ::usleep(50000);
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::string kubeconfig_;
  std::string url_;
  pid_t pid_ = -1;
};

}  // namespace switchyard::kube::test
