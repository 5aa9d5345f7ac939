// The agent API's TLS server context, made again when the certificate or key
// file changes (cert-manager rotates them in place): new connections get the
// new certificate, connections already open keep the context they started
// with (each holds a reference).
//
// Only TLS 1.2 and later, and in TLS 1.2 only forward-secret AEAD suites
// (ECDHE with AES-GCM or ChaCha20-Poly1305); TLS 1.3's suites all are.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

namespace switchyard::hub {

// The TLS 1.2 suites offered, in OpenSSL's names.
inline constexpr const char* kTls12Suites =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

class TlsCertificates {
 public:
  TlsCertificates(std::string cert_file, std::string key_file);

  // Loads the files; false with an error naming the file that failed.
  [[nodiscard]] bool load(std::string& error);

  // The context for a new connection: made again first when either file's
  // modification time changed since the last load (two stat calls). A
  // failed reload (a file half written) keeps the previous context and is
  // tried again at the next connection.
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> current();

 private:
  struct Stamp {
    std::filesystem::file_time_type cert;
    std::filesystem::file_time_type key;
    bool operator==(const Stamp& other) const { return cert == other.cert && key == other.key; }
  };
  [[nodiscard]] bool stamp_now(Stamp& stamp) const;
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> make(std::string& error) const;

  const std::string cert_file_;
  const std::string key_file_;
  std::mutex mutex_;  // guards the two below
  Stamp loaded_{};
  std::shared_ptr<boost::asio::ssl::context> context_;
};

}  // namespace switchyard::hub
