#include "credentials.h"

#include "exec_plugin.h"
#include "files.h"

namespace switchyard::kube {

Credentials::Credentials(const ClusterConfig& config) : config_(config) {
  cached_.client_cert_pem = config.client_cert_pem;
  cached_.client_key_pem = config.client_key_pem;
  if (config.token_file.empty() && !config.exec) {
    cached_.bearer_token = config.token;
    have_cached_ = true;
  }
}

Result<AuthMaterial> Credentials::current() {
  std::lock_guard lock(mutex_);
  if (!config_.token_file.empty()) {
    auto now = std::chrono::steady_clock::now();
    if (!have_cached_ || now - token_read_at_ >= config_.token_file_refresh) {
      std::string error;
      auto token = files::read(config_.token_file, error);
      if (!token) {
        // Keep using the last token while the file is briefly missing (it is
        // replaced atomically by the kubelet, but be lenient).
        if (!have_cached_) return ApiError{0, "Credentials", "token file " + error, {}, {}};
      } else {
        cached_.bearer_token = files::trim(std::move(*token));
        have_cached_ = true;
        ++refreshes_;
      }
      token_read_at_ = now;
    }
    return cached_;
  }
  if (config_.exec && config_.token.empty()) {
    bool expired = expires_ && std::chrono::system_clock::now() >= *expires_;
    if (!have_cached_ || expired) {
      auto credential = run_exec_plugin(*config_.exec, config_);
      if (!credential) return credential.error();
      cached_.bearer_token = credential.value().token;
      if (!credential.value().client_cert_pem.empty() &&
          credential.value().client_cert_pem != cached_.client_cert_pem) {
        cached_.client_cert_pem = credential.value().client_cert_pem;
        cached_.client_key_pem = credential.value().client_key_pem;
        ++cached_.cert_generation;
      }
      expires_ = credential.value().expires;
      have_cached_ = true;
      ++refreshes_;
    }
    return cached_;
  }
  if (!have_cached_) {
    cached_.bearer_token = config_.token;
    have_cached_ = true;
  }
  return cached_;
}

bool Credentials::invalidate(const std::string& rejected_token) {
  std::lock_guard lock(mutex_);
  if (config_.token_file.empty() && !(config_.exec && config_.token.empty())) return false;
  // Several requests may fail with the same token at once: refresh once.
  if (have_cached_ && cached_.bearer_token == rejected_token) have_cached_ = false;
  return true;
}

std::size_t Credentials::refreshes() const {
  std::lock_guard lock(mutex_);
  return refreshes_;
}

}  // namespace switchyard::kube
