#include "transport.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <thread>

#include <openssl/pem.h>
#include <openssl/x509.h>

namespace switchyard::kube {
namespace {

constexpr const char* kNoExtraCaDirectory = "/nonexistent/switchyard-kubeconfig-ca-only";

ApiError transport_error(std::string message) { return ApiError{0, "", std::move(message), {}, {}}; }


// An idle HTTP/1.1 connection receives nothing until it sends a request, so
// anything readable on one (the FIN of a server that closed it, or over TLS
// its close_notify alert, which httplib's own liveness check takes for data)
// means the server is done with it. Go's transport closes such connections
// as it sees them (persistConn.readLoop).
bool idle_connection_open(const httplib::ClientImpl& connection) {
  if (!connection.is_socket_open()) return true;  // httplib connects again itself
  pollfd readable{connection.socket(), POLLIN, 0};
  return ::poll(&readable, 1, 0) == 0;
}

// Go's net/http shouldRetryRequest for a failure on a reused connection: a
// request not written completely never reached the server's handler, so any
// method may be sent again; one written that got no response at all (the
// server closed the connection as it arrived) only when idempotent, since
// the server might have processed it. A timeout is not such a failure.
bool never_processed(httplib::Error error, bool idempotent, bool response_started, bool timed_out) {
  if (error == httplib::Error::Write) return true;
  return error == httplib::Error::Read && idempotent && !response_started && !timed_out;
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memory_bio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate of a PEM bundle into a new store (caller owns it).
X509_STORE* store_from_pem(const std::string& pem, std::size_t& loaded) {
  X509_STORE* store = X509_STORE_new();
  auto bio = memory_bio(pem);
  loaded = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (X509_STORE_add_cert(store, cert) == 1) ++loaded;
    X509_free(cert);
  }
  return store;
}

}  // namespace

std::optional<std::chrono::seconds> retry_after_of(const httplib::Response& response) {
  if (!response.has_header("Retry-After")) return std::nullopt;
  const std::string value = response.get_header_value("Retry-After");
  char* end = nullptr;
  long seconds = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0' || seconds < 0) return std::nullopt;
  return std::chrono::seconds(seconds);
}

ApiError transport_failure(std::string message, httplib::Error error) {
  ApiError failure = transport_error(std::move(message));
  if (error == httplib::Error::Connection || error == httplib::Error::Read || error == httplib::Error::Write) {
    failure.reason = ApiError::kUnreachable;
  }
  return failure;
}

namespace {

std::string resolve_numeric(const std::string& host, std::string& error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || found == nullptr) {
    error = "resolve " + host + ": " + gai_strerror(rc);
    return {};
  }
  char text[NI_MAXHOST];
  rc = ::getnameinfo(found->ai_addr, found->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(found);
  if (rc != 0) {
    error = "resolve " + host + ": " + gai_strerror(rc);
    return {};
  }
  return text;
}

}  // namespace

Result<Endpoint> parse_server_url(const std::string& server) {
  Endpoint endpoint;
  std::string rest;
  if (server.rfind("https://", 0) == 0) {
    rest = server.substr(8);
  } else if (server.rfind("http://", 0) == 0) {
    endpoint.tls = false;
    endpoint.port = 80;
    rest = server.substr(7);
  } else {
    return transport_error("server \"" + server + "\": must start with https:// or http://");
  }
  auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) endpoint.base_path = rest.substr(slash);
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') endpoint.base_path.pop_back();
  std::string port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string::npos) return transport_error("server \"" + server + "\": unbalanced [ in host");
    endpoint.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port_text = authority.substr(close + 2);
  } else {
    auto colon = authority.rfind(':');
    endpoint.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (endpoint.host.empty()) return transport_error("server \"" + server + "\": no host");
  if (!port_text.empty()) {
    char* end = nullptr;
    long port = std::strtol(port_text.c_str(), &end, 10);
    if (*end != '\0' || port <= 0 || port > 65535) {
      return transport_error("server \"" + server + "\": bad port \"" + port_text + "\"");
    }
    endpoint.port = static_cast<int>(port);
  }
  return endpoint;
}

Transport::Transport(const ClusterConfig& config) : config_(config), credentials_(config) {
  auto endpoint = parse_server_url(config.server);
  if (endpoint) {
    endpoint_ = endpoint.value();
  } else {
    endpoint_error_ = endpoint.error();
  }
}

Transport::~Transport() = default;

std::string Transport::url(const std::string& path_and_query) const {
  return config_.server.substr(0, config_.server.size() - endpoint_.base_path.size()) + endpoint_.base_path +
         path_and_query;
}

httplib::Headers Transport::headers_for(const AuthMaterial& auth) const {
  httplib::Headers headers{{"Accept", "application/json"}, {"User-Agent", config_.user_agent}};
  if (!auth.bearer_token.empty()) headers.emplace("Authorization", "Bearer " + auth.bearer_token);
  return headers;
}

Result<std::unique_ptr<httplib::ClientImpl>> Transport::connect(const AuthMaterial& auth,
                                                                 std::chrono::milliseconds read_timeout) {
  if (endpoint_error_) return *endpoint_error_;
  std::unique_ptr<httplib::ClientImpl> connection;
  if (!endpoint_.tls) {
    connection = std::make_unique<httplib::ClientImpl>(endpoint_.host, endpoint_.port);
  } else {
    // The name checked against the certificate and sent as SNI.
    const std::string& verify_name = config_.tls_server_name.empty() ? endpoint_.host : config_.tls_server_name;
    std::unique_ptr<httplib::SSLClient> tls;
    if (!auth.client_cert_pem.empty()) {
      auto cert_bio = memory_bio(auth.client_cert_pem);
      auto key_bio = memory_bio(auth.client_key_pem);
      X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
      EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
      if (cert == nullptr || key == nullptr) {
        X509_free(cert);
        EVP_PKEY_free(key);
        return transport_error(config_.source + ": client certificate or key is not valid PEM");
      }
      // SSL_CTX_use_certificate/PrivateKey take their own references.
      tls = std::make_unique<httplib::SSLClient>(verify_name, endpoint_.port, cert, key);
      X509_free(cert);
      EVP_PKEY_free(key);
    } else {
      tls = std::make_unique<httplib::SSLClient>(verify_name, endpoint_.port);
    }
    if (!tls->is_valid()) {
      return transport_error(config_.source + ": TLS setup failed (client certificate and key do not match?)");
    }
    if (config_.insecure_skip_tls_verify) {
      tls->enable_server_certificate_verification(false);
    } else if (!config_.ca_pem.empty()) {
      std::size_t loaded = 0;
      X509_STORE* store = store_from_pem(config_.ca_pem, loaded);
      if (loaded == 0) {
        X509_STORE_free(store);
        return transport_error(config_.source + ": certificate-authority holds no PEM certificate");
      }
      tls->set_ca_cert_store(store);  // the SSL_CTX takes ownership
      // Without a CA path httplib adds OpenSSL's default (system) paths to
      // the store; a directory lookup that finds nothing keeps the kubeconfig
      // CA the only trust anchor, as kubectl has it.
      tls->set_ca_cert_path("", kNoExtraCaDirectory);
    }
    if (verify_name != endpoint_.host) {
      std::string error;
      std::string address = resolve_numeric(endpoint_.host, error);
      if (address.empty()) return transport_error(error);
      tls->set_hostname_addr_map({{verify_name, address}});
    }
    connection = std::move(tls);
  }
  auto connect_timeout = std::chrono::duration_cast<std::chrono::microseconds>(config_.connect_timeout);
  connection->set_connection_timeout(connect_timeout.count() / 1000000, connect_timeout.count() % 1000000);
  auto read = std::chrono::duration_cast<std::chrono::microseconds>(read_timeout);
  connection->set_read_timeout(read.count() / 1000000, read.count() % 1000000);
  connection->set_write_timeout(read.count() / 1000000, read.count() % 1000000);
  connection->set_keep_alive(true);
  connection->set_tcp_nodelay(true);
  ++connections_opened_;
  return connection;
}

Transport::Pooled Transport::take_pooled(std::size_t cert_generation) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(pool_mutex_);
  while (!pool_.empty()) {
    Pooled pooled = std::move(pool_.back());
    pool_.pop_back();
    // A client certificate that changed, an idle time near the server's
    // idle timeout, or a server that already closed it: closed here.
    if (pooled.cert_generation == cert_generation && now - pooled.idle_since < config_.max_connection_idle &&
        idle_connection_open(*pooled.connection)) {
      return pooled;
    }
  }
  return {};
}

Result<HttpResponse> Transport::send(const std::string& method, const std::string& path_and_query,
                                     const std::string& body, const std::string& content_type,
                                     bool idempotent) {
  const std::string full_path = endpoint_.base_path + path_and_query;
  bool refreshed_after_401 = false;
  bool retry_on_fresh_connection = false;  // set once, for the one retry after a reused connection failed
  bool retried_on_fresh_connection = false;
  int attempt = 0;  // retries counted against config_.max_retries
  for (;;) {
    auto auth = credentials_.current();
    if (!auth) return auth.error();

    Pooled pooled;
    if (!retry_on_fresh_connection) pooled = take_pooled(auth.value().cert_generation);
    retry_on_fresh_connection = false;
    const bool reused = pooled.connection && pooled.connection->is_socket_open();
    if (!pooled.connection) {
      auto made = connect(auth.value(), config_.request_timeout);
      if (!made) return made.error();
      pooled.connection = std::move(made).value();
      pooled.cert_generation = auth.value().cert_generation;
    }

    httplib::Request request;
    request.method = method;
    request.path = full_path;
    request.headers = headers_for(auth.value());
    if (!content_type.empty()) {
      request.headers.emplace("Content-Type", content_type);
      request.body = body;
    }
    bool response_started = false;
    request.response_handler = [&](const httplib::Response&) {
      response_started = true;
      return true;
    };
    const auto sent_at = std::chrono::steady_clock::now();
    auto result = pooled.connection->send(request);
    if (!result) {
      const bool timed_out = std::chrono::steady_clock::now() - sent_at >= config_.request_timeout;
      if (reused && !retried_on_fresh_connection &&
          never_processed(result.error(), idempotent, response_started, timed_out)) {
        retried_on_fresh_connection = retry_on_fresh_connection = true;
        continue;
      }
      std::string text = method + " " + url(path_and_query) + ": " + httplib::to_string(result.error());
      if (idempotent && attempt < config_.max_retries) {
        std::this_thread::sleep_for(std::min(std::chrono::milliseconds(100LL << std::min(attempt, 5)),
                                              std::chrono::milliseconds(2000)));
        ++attempt;
        continue;
      }
      return transport_failure(std::move(text), result.error());
    }
    pooled.idle_since = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(pool_mutex_);
      if (pool_.size() < config_.max_idle_connections) pool_.push_back(std::move(pooled));
    }
    const httplib::Response& response = result.value();
    if (response.status == 401 && !refreshed_after_401 &&
        credentials_.invalidate(auth.value().bearer_token)) {
      refreshed_after_401 = true;
      continue;
    }
    if (response.status == 429 || response.status == 503) {
      auto wait = retry_after_of(response);
      if (wait && attempt < config_.max_retries) {
        std::this_thread::sleep_for(std::min(*wait, config_.max_retry_after));
        ++attempt;
        continue;
      }
    }
    HttpResponse out;
    out.status = response.status;
    out.body = response.body;
    out.retry_after = retry_after_of(response);
    return out;
  }
}

Result<Transport::Stream> Transport::open_stream(std::chrono::milliseconds read_timeout) {
  auto auth = credentials_.current();
  if (!auth) return auth.error();
  auto connection = connect(auth.value(), read_timeout);
  if (!connection) return connection.error();
  Stream stream;
  stream.connection = std::move(connection).value();
  stream.headers = headers_for(auth.value());
  stream.bearer_token = auth.value().bearer_token;
  return stream;
}

}  // namespace switchyard::kube
