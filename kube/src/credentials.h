// The credentials a request carries, refreshed as client-go does: token
// files re-read every ClusterConfig::token_file_refresh, exec plugins re-run
// when their credential expires or the server answers 401.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "switchyard/kube/config.h"
#include "switchyard/kube/result.h"

namespace switchyard::kube {

struct AuthMaterial {
  std::string bearer_token;  // empty = none
  std::string client_cert_pem, client_key_pem;
  std::size_t cert_generation = 0;  // changes when the client certificate changes
};

class Credentials {
 public:
  explicit Credentials(const ClusterConfig& config);

  // Thread-safe; may run the exec plugin (callers wait for it).
  Result<AuthMaterial> current();
  // After a 401 for `rejected_token`: the next current() re-reads the token
  // file / re-runs the plugin, unless another caller already replaced that
  // token. Returns false when nothing could change (static credentials).
  bool invalidate(const std::string& rejected_token);
  std::size_t refreshes() const;

 private:
  const ClusterConfig& config_;
  mutable std::mutex mutex_;  // guards everything below
  AuthMaterial cached_;
  bool have_cached_ = false;
  std::optional<std::chrono::system_clock::time_point> expires_;  // exec credential expiry
  std::chrono::steady_clock::time_point token_read_at_{};
  std::size_t refreshes_ = 0;
};

}  // namespace switchyard::kube
