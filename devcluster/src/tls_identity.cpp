#include "tls_identity.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>

namespace switchyard::devcluster {

namespace {

bool add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  if (extension == nullptr) return false;
  bool added = X509_add_ext(certificate, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

std::string to_pem(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(bio.get(), certificate);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

bool generate_tls_identity(TlsIdentity& out, std::string& error) {
  out.key.reset(EVP_EC_gen("P-256"));
  if (!out.key) {
    error = "cannot generate a P-256 key";
    return false;
  }
  out.certificate.reset(X509_new());
  X509* certificate = out.certificate.get();
  X509_set_version(certificate, 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* serial_number = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(serial_number, X509_get_serialNumber(certificate));
  BN_free(serial_number);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 365L * 24 * 3600);
  X509_set_pubkey(certificate, out.key.get());
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("switchyard-devcluster"),
                             -1, -1, 0);
  X509_set_issuer_name(certificate, name);
  bool extensions = add_extension(certificate, NID_basic_constraints, "critical,CA:TRUE") &&
                    add_extension(certificate, NID_key_usage, "critical,digitalSignature,keyEncipherment,keyCertSign") &&
                    add_extension(certificate, NID_ext_key_usage, "serverAuth") &&
                    add_extension(certificate, NID_subject_key_identifier, "hash") &&
                    add_extension(certificate, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
  if (!extensions || X509_sign(certificate, out.key.get(), EVP_sha256()) == 0) {
    error = "cannot sign the self-signed certificate";
    return false;
  }
  out.certificate_pem = to_pem(certificate);
  return true;
}

bool load_tls_identity(const std::string& cert_file, const std::string& key_file, TlsIdentity& out,
                       std::string& error) {
  std::unique_ptr<FILE, decltype(&fclose)> cert(fopen(cert_file.c_str(), "r"), &fclose);
  std::unique_ptr<FILE, decltype(&fclose)> key(fopen(key_file.c_str(), "r"), &fclose);
  if (!cert || !key) {
    error = "cannot open " + (cert ? key_file : cert_file);
    return false;
  }
  out.certificate.reset(PEM_read_X509(cert.get(), nullptr, nullptr, nullptr));
  out.key.reset(PEM_read_PrivateKey(key.get(), nullptr, nullptr, nullptr));
  if (!out.certificate || !out.key) {
    error = "cannot read PEM from " + (out.certificate ? key_file : cert_file);
    return false;
  }
  out.certificate_pem = to_pem(out.certificate.get());
  return true;
}

bool save_tls_identity(const TlsIdentity& identity, const std::string& cert_file, const std::string& key_file,
                       std::string& error) {
  std::unique_ptr<FILE, decltype(&fclose)> cert(fopen(cert_file.c_str(), "w"), &fclose);
  std::unique_ptr<FILE, decltype(&fclose)> key(fopen(key_file.c_str(), "w"), &fclose);
  if (!cert || !key) {
    error = "cannot write " + (cert ? key_file : cert_file);
    return false;
  }
  if (PEM_write_X509(cert.get(), identity.certificate.get()) != 1 ||
      PEM_write_PrivateKey(key.get(), identity.key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    error = "cannot write PEM to " + cert_file + " and " + key_file;
    return false;
  }
  return true;
}

std::string random_token() {
  unsigned char bytes[32];
  // Fails only without an entropy source, where no TLS key could be made either.
  if (RAND_bytes(bytes, sizeof bytes) != 1) std::abort();
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char byte : bytes) {
    token += kHex[byte >> 4];
    token += kHex[byte & 0xf];
  }
  return token;
}

}  // namespace switchyard::devcluster
