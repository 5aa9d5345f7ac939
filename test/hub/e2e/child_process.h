// A child process for end-to-end tests: started with its output in a log
// file, killed (and reaped) when the object goes away, so a failing test
// leaves nothing running.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace switchyard::hub::e2e {

// Polls `condition` every 20 ms until it holds or `timeout` passes.
inline bool eventually(std::chrono::milliseconds timeout, const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path) : log_path_(std::move(log_path)) {
    pid_ = fork();
    if (pid_ == 0) {
      // A new process group, so the kill reaches everything the child starts.
      setpgid(0, 0);
      FILE* log = std::fopen(log_path_.c_str(), "w");
      if (log != nullptr) {
        dup2(fileno(log), STDOUT_FILENO);
        dup2(fileno(log), STDERR_FILENO);
      }
      std::vector<char*> args;
      for (auto& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~ChildProcess() { kill_now(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The first line of the log containing `marker`, once it appears.
  [[nodiscard]] std::optional<std::string> wait_for_line(const std::string& marker,
                                                         std::chrono::milliseconds timeout) const {
    std::optional<std::string> found;
    eventually(timeout, [&] {
      std::istringstream lines(log());
      for (std::string line; std::getline(lines, line);) {
        if (line.find(marker) != std::string::npos) {
          found = line;
          return true;
        }
      }
      return !running();
    });
    return found;
  }

  [[nodiscard]] bool running() const {
    if (exited_) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_status_ = status;
      return false;
    }
    return true;
  }

  // SIGTERM and wait (up to `timeout`); returns the exit code, or -1.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    if (!exited_) ::kill(pid_, SIGTERM);
    if (!eventually(timeout, [&] { return !running(); })) kill_now();
    return exited_ && WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
  }

  void kill_now() {
    if (pid_ <= 0 || exited_) return;
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    exited_ = true;
    exit_status_ = status;
  }

  [[nodiscard]] pid_t pid() const { return pid_; }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  mutable bool exited_ = false;
  mutable int exit_status_ = 0;
};

}  // namespace switchyard::hub::e2e
