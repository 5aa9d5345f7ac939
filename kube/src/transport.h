// HTTP(S) connections to one API server: TLS set up from PEM data, a small
// pool of keep-alive connections so concurrent callers do not serialise, and
// one request/response exchange with auth and Retry-After handling.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <chrono>
#include <string>
#include <vector>

#include <httplib.h>

#include "credentials.h"
#include "switchyard/kube/config.h"
#include "switchyard/kube/result.h"

namespace switchyard::kube {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;
};

// Where the server is, parsed from ClusterConfig::server.
struct Endpoint {
  bool tls = true;
  std::string host;       // as in the URL (brackets stripped for IPv6)
  int port = 443;
  std::string base_path;  // path prefix of the server URL ("" usually)
};
Result<Endpoint> parse_server_url(const std::string& server);

// A failed exchange as an ApiError (code 0). One that could not reach the
// server or whose connection broke (refused, reset, closed) has reason
// Unreachable, so that callers retrying it (informers) retry soon: such a
// server answers again the moment it is back. Timeouts and TLS failures are
// not marked: an overloaded or misconfigured server gets the full backoff.
ApiError transport_failure(std::string message, httplib::Error error);

// Retry-After in delta-seconds (the form API servers send); nothing otherwise.
std::optional<std::chrono::seconds> retry_after_of(const httplib::Response& response);

class Transport {
 public:
  explicit Transport(const ClusterConfig& config);
  ~Transport();

  // Sends one request with credentials; retries 429/503 with Retry-After and
  // (for idempotent requests) transport errors, up to config.max_retries;
  // on 401 refreshes refreshable credentials once and retries. A request that
  // failed on a reused keep-alive connection before the server can have
  // processed it (Go's net/http rules: not written completely, whatever the
  // method; or, for an idempotent one, no response at all) is sent once more
  // at once on a fresh connection, outside max_retries.
  Result<HttpResponse> send(const std::string& method, const std::string& path_and_query,
                            const std::string& body, const std::string& content_type, bool idempotent);

  // A fresh, unpooled connection plus the auth headers, for a watch.
  struct Stream {
    std::unique_ptr<httplib::ClientImpl> connection;
    httplib::Headers headers;
    std::string bearer_token;
  };
  Result<Stream> open_stream(std::chrono::milliseconds read_timeout);
  // After a 401 on a stream.
  bool invalidate_credentials(const std::string& token) { return credentials_.invalidate(token); }

  std::string url(const std::string& path_and_query) const;
  // The request path on the wire (the server URL's path prefix + path).
  std::string wire_path(const std::string& path_and_query) const { return endpoint_.base_path + path_and_query; }
  std::size_t connections_opened() const { return connections_opened_.load(); }
  std::size_t credential_refreshes() const { return credentials_.refreshes(); }

 private:
  struct Pooled {
    std::unique_ptr<httplib::ClientImpl> connection;
    std::size_t cert_generation = 0;
    std::chrono::steady_clock::time_point idle_since{};
  };
  // The most recently used pooled connection that is still fit to reuse, or
  // an empty Pooled; closes the ones that are not.
  Pooled take_pooled(std::size_t cert_generation);
  Result<std::unique_ptr<httplib::ClientImpl>> connect(const AuthMaterial& auth,
                                                       std::chrono::milliseconds read_timeout);
  httplib::Headers headers_for(const AuthMaterial& auth) const;

  const ClusterConfig& config_;
  Endpoint endpoint_;
  std::optional<ApiError> endpoint_error_;
  std::string resolved_address_;  // numeric address when tls_server_name differs from the host
  Credentials credentials_;
  std::atomic<std::size_t> connections_opened_{0};

  std::mutex pool_mutex_;  // guards pool_
  std::vector<Pooled> pool_;
};

}  // namespace switchyard::kube
