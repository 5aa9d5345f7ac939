#include "tls_certificates.h"

#include <openssl/ssl.h>

#include "switchyard/telemetry/log.h"

namespace switchyard::hub {
namespace {

namespace ssl = boost::asio::ssl;

// Agents keep their connections and do not resume sessions, so the server
// keeps no session cache and issues no tickets; an idle connection (a
// parked poll) gives its read and write buffers (about 34 KiB) back until
// it is answered (docs/benchmarks.md: 30 MiB at 1,000 agents).
void limit_tls_memory(SSL_CTX& context) {
  SSL_CTX_set_mode(&context, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(&context, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(&context, 0);
}

}  // namespace

TlsCertificates::TlsCertificates(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

bool TlsCertificates::stamp_now(Stamp& stamp) const {
  std::error_code cert_error;
  std::error_code key_error;
  stamp.cert = std::filesystem::last_write_time(cert_file_, cert_error);
  stamp.key = std::filesystem::last_write_time(key_file_, key_error);
  return !cert_error && !key_error;
}

std::shared_ptr<ssl::context> TlsCertificates::make(std::string& error) const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(native, kTls12Suites);
  limit_tls_memory(*native);
  boost::system::error_code failed;
  context->use_certificate_chain_file(cert_file_, failed);
  if (failed) {
    error = "cannot load TLS certificate " + cert_file_ + ": " + failed.message();
    return nullptr;
  }
  context->use_private_key_file(key_file_, ssl::context::pem, failed);
  if (failed) {
    error = "cannot load TLS key " + key_file_ + ": " + failed.message();
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    error = "TLS key " + key_file_ + " does not match certificate " + cert_file_;
    return nullptr;
  }
  return context;
}

bool TlsCertificates::load(std::string& error) {
  Stamp stamp;
  if (!stamp_now(stamp)) {
    error = "cannot read TLS certificate " + cert_file_ + " or key " + key_file_;
    return false;
  }
  auto context = make(error);
  if (!context) return false;
  std::lock_guard lock(mutex_);
  loaded_ = stamp;
  context_ = std::move(context);
  return true;
}

std::shared_ptr<ssl::context> TlsCertificates::current() {
  std::lock_guard lock(mutex_);
  Stamp stamp;
  if (stamp_now(stamp) && !(stamp == loaded_)) {
    std::string error;
    if (auto context = make(error)) {
      context_ = std::move(context);
      loaded_ = stamp;
      log::info("agent API TLS certificate reloaded", {{"cert", cert_file_}, {"key", key_file_}});
    } else {
      log::warn("agent API TLS certificate not reloaded, keeping the previous one", {{"error", error}});
    }
  }
  return context_;
}

}  // namespace switchyard::hub
