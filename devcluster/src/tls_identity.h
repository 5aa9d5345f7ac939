// A self-signed TLS identity for 127.0.0.1/localhost, generated at start
// with OpenSSL, or loaded from PEM files.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace switchyard::devcluster {

struct TlsIdentity {
  std::unique_ptr<X509, decltype(&X509_free)> certificate{nullptr, &X509_free};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, &EVP_PKEY_free};
  std::string certificate_pem;  // what kubeconfigs carry as certificate-authority-data
};

// P-256 key, valid a year, SANs IP:127.0.0.1, IP:::1, DNS:localhost; marked as
// its own CA so clients can trust it directly.
[[nodiscard]] bool generate_tls_identity(TlsIdentity& out, std::string& error);
[[nodiscard]] bool load_tls_identity(const std::string& cert_file, const std::string& key_file, TlsIdentity& out,
                                     std::string& error);
[[nodiscard]] bool save_tls_identity(const TlsIdentity& identity, const std::string& cert_file,
                                     const std::string& key_file, std::string& error);

// 32 random bytes from OpenSSL's generator in hex: a bearer token for a
// server started without one.
[[nodiscard]] std::string random_token();

}  // namespace switchyard::devcluster
