#include "exec_plugin.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include "base64.h"
#include "json_util.h"

extern char** environ;

namespace switchyard::kube {
namespace {

ApiError exec_error(const ExecConfig& exec, std::string message) {
  std::string text = "exec plugin " + exec.command + ": " + std::move(message);
  if (!exec.install_hint.empty()) text += " (" + exec.install_hint + ")";
  return ApiError{0, "ExecPlugin", std::move(text), {}, {}};
}

std::string exec_info(const ExecConfig& exec, const ClusterConfig& cluster) {
  std::string info = R"({"kind":"ExecCredential","apiVersion":)" + json::quote(exec.api_version) +
                     R"(,"spec":{"interactive":false)";
  if (exec.provide_cluster_info) {
    info += R"(,"cluster":{"server":)" + json::quote(cluster.server);
    if (!cluster.tls_server_name.empty()) info += R"(,"tls-server-name":)" + json::quote(cluster.tls_server_name);
    if (cluster.insecure_skip_tls_verify) info += R"(,"insecure-skip-tls-verify":true)";
    if (!cluster.ca_pem.empty()) {
      info += R"(,"certificate-authority-data":)" + json::quote(base64::encode(cluster.ca_pem));
    }
    info += "}";
  }
  return info + "}}";
}

// Closes both pipe ends it owns on scope exit.
struct Pipe {
  int fds[2] = {-1, -1};
  ~Pipe() {
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  }
  void close_end(int i) {
    if (fds[i] >= 0) ::close(fds[i]);
    fds[i] = -1;
  }
};

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text) {
  std::tm tm{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return std::nullopt;
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9') ++rest;
  }
  long offset_seconds = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int sign = *rest == '-' ? -1 : 1;
    int hours = 0, minutes = 0;
    if (std::sscanf(rest + 1, "%2d:%2d", &hours, &minutes) != 2) return std::nullopt;
    offset_seconds = sign * (hours * 3600L + minutes * 60L);
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') return std::nullopt;
  std::time_t utc = ::timegm(&tm) - offset_seconds;
  // system_clock counts nanoseconds in 64 bits (until 2262): clamp far dates.
  static const std::time_t latest = std::chrono::system_clock::to_time_t(std::chrono::system_clock::time_point::max()) - 1;
  if (utc >= latest) return std::chrono::system_clock::time_point::max();
  return std::chrono::system_clock::from_time_t(utc);
}

std::string format_rfc3339(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::string format_rfc3339_micro(std::chrono::system_clock::time_point time) {
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count() % 1000000;
  if (micros < 0) micros += 1000000;
  std::string text = format_rfc3339(time);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06lld", static_cast<long long>(micros));
  text.insert(text.size() - 1, fraction);
  return text;
}

Result<ExecCredential> parse_exec_credential(const std::string& output, const ExecConfig& exec) {
  rapidjson::Document document;
  if (auto error = json::parse(output, document, "ExecCredential"); !error.message.empty()) {
    return exec_error(exec, "stdout is not an ExecCredential: " + error.message);
  }
  if (json::string_member(document, "kind") != "ExecCredential") {
    return exec_error(exec, "stdout: kind must be ExecCredential");
  }
  if (std::string version = json::string_member(document, "apiVersion"); version != exec.api_version) {
    return exec_error(exec, "stdout: apiVersion \"" + version + "\" does not match the kubeconfig's \"" +
                                exec.api_version + "\"");
  }
  const auto* status = json::find(document, "status");
  if (status == nullptr || !status->IsObject()) return exec_error(exec, "stdout: status missing");
  ExecCredential credential;
  credential.token = json::string_member(*status, "token");
  credential.client_cert_pem = json::string_member(*status, "clientCertificateData");
  credential.client_key_pem = json::string_member(*status, "clientKeyData");
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty()) {
    return exec_error(exec, "stdout: status.clientCertificateData and status.clientKeyData must come together");
  }
  if (credential.token.empty() && credential.client_cert_pem.empty()) {
    return exec_error(exec, "stdout: status has neither token nor clientCertificateData");
  }
  if (std::string expiry = json::string_member(*status, "expirationTimestamp"); !expiry.empty()) {
    credential.expires = parse_rfc3339(expiry);
    if (!credential.expires) {
      return exec_error(exec, "stdout: status.expirationTimestamp \"" + expiry + "\" is not RFC 3339");
    }
  }
  return credential;
}

Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const ClusterConfig& cluster,
                                       std::chrono::milliseconds timeout) {
  Pipe out, err;
  if (::pipe2(out.fds, O_CLOEXEC) != 0 || ::pipe2(err.fds, O_CLOEXEC) != 0) {
    return exec_error(exec, std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    bool overridden = kv.rfind("KUBERNETES_EXEC_INFO=", 0) == 0;
    for (const auto& [name, value] : exec.env) overridden |= kv.rfind(name + "=", 0) == 0;
    if (!overridden) env_storage.emplace_back(kv);
  }
  for (const auto& [name, value] : exec.env) env_storage.push_back(name + "=" + value);
  env_storage.push_back("KUBERNETES_EXEC_INFO=" + exec_info(exec, cluster));
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_storage{exec.command};
  arg_storage.insert(arg_storage.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& arg : arg_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fds[1], 2);
  pid_t pid = -1;
  int spawn_error = ::posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) return exec_error(exec, std::string("cannot run: ") + std::strerror(spawn_error));
  out.close_end(1);
  err.close_end(1);

  std::string stdout_text, stderr_text;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  int open_streams = 2;
  while (open_streams > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{out.fds[0], POLLIN, 0}, {err.fds[0], POLLIN, 0}};
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        std::string& target = i == 0 ? stdout_text : stderr_text;
        if (target.size() < (1u << 20)) target.append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        (i == 0 ? out : err).close_end(0);
        --open_streams;
      }
    }
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) return exec_error(exec, "did not finish within " + std::to_string(timeout.count()) + " ms");
  if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
    std::string how = WIFEXITED(wait_status) ? "exited with status " + std::to_string(WEXITSTATUS(wait_status))
                                             : "was killed by a signal";
    while (!stderr_text.empty() && (stderr_text.back() == '\n' || stderr_text.back() == '\r')) stderr_text.pop_back();
    if (stderr_text.size() > 1024) stderr_text.resize(1024);
    return exec_error(exec, how + (stderr_text.empty() ? "" : ": " + stderr_text));
  }
  return parse_exec_credential(stdout_text, exec);
}

}  // namespace switchyard::kube
