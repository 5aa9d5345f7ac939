// Runs a client.authentication.k8s.io exec credential plugin and parses its
// ExecCredential.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "switchyard/kube/config.h"
#include "switchyard/kube/result.h"

namespace switchyard::kube {

struct ExecCredential {
  std::string token;
  std::string client_cert_pem, client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expires;
};

// Environment: the process's, plus exec.env, plus KUBERNETES_EXEC_INFO (with
// the cluster when provideClusterInfo). stdin is /dev/null (never
// interactive). Errors name the command and quote its stderr.
Result<ExecCredential> run_exec_plugin(const ExecConfig& exec, const ClusterConfig& cluster,
                                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Parses the plugin's stdout (exposed for tests).
Result<ExecCredential> parse_exec_credential(const std::string& output, const ExecConfig& exec);

// RFC 3339 ("2026-11-25T03:00:00Z", fractional seconds and offsets allowed).
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(const std::string& text);
std::string format_rfc3339(std::chrono::system_clock::time_point time);
// MicroTime ("...T03:00:00.123456Z"), as Events' eventTime uses.
std::string format_rfc3339_micro(std::chrono::system_clock::time_point time);

}  // namespace switchyard::kube
