// libFuzzer target: kubeconfig loading from text (kube/src/config.cpp) and
// what an exec credential plugin prints (kube/src/exec_plugin.cpp). Nothing
// runs: parse_kubeconfig only records users[].user.exec, the plugin runs
// later in Credentials, which this target never makes.
//
// Input: a kubeconfig YAML document, optionally followed by a line "%%" and
// the plugin's stdout (an ExecCredential JSON). Relative paths in the
// kubeconfig resolve against a folder that does not exist.
//
// Checked (a violation traps, which libFuzzer reports):
//   - a loaded config has an http(s):// server without a trailing '/', and a
//     refusal names what is wrong (non-empty message);
//   - an ExecCredential is refused with a message or has a token or a
//     certificate with its key; an expiry it accepts prints (RFC 3339 with
//     microseconds) and parses back to the same instant, to the microsecond.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "exec_plugin.h"
#include "switchyard/kube/config.h"

namespace {

using namespace switchyard::kube;

constexpr std::string_view kSeparator = "\n%%\n";

void check_config(const Result<ClusterConfig>& loaded) {
  if (!loaded.ok()) {
    if (loaded.error().message.empty()) std::abort();
    return;
  }
  const auto& server = loaded.value().server;
  if (server.rfind("https://", 0) != 0 && server.rfind("http://", 0) != 0) std::abort();
  if (server.back() == '/') std::abort();
}

void check_credential(const std::string& output, const ExecConfig& exec) {
  const auto credential = parse_exec_credential(output, exec);
  if (!credential.ok()) {
    if (credential.error().message.empty()) std::abort();
    return;
  }
  const auto& value = credential.value();
  if (value.token.empty() && value.client_cert_pem.empty()) std::abort();
  if (value.client_cert_pem.empty() != value.client_key_pem.empty()) std::abort();
  if (value.expires) {
    const auto again = parse_rfc3339(format_rfc3339_micro(*value.expires));
    if (!again) std::abort();
    const auto drift = std::chrono::duration_cast<std::chrono::microseconds>(*again - *value.expires);
    if (drift.count() != 0) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto split = input.find(kSeparator);
  const std::string kubeconfig(input.substr(0, split));
  const auto loaded = parse_kubeconfig(kubeconfig, "/nonexistent-fuzz-dir", "", "fuzz-kubeconfig");
  check_config(loaded);
  if (split == std::string_view::npos) return 0;

  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = "never-run";
  if (loaded.ok() && loaded.value().exec) exec = *loaded.value().exec;
  check_credential(std::string(input.substr(split + kSeparator.size())), exec);
  return 0;
}
