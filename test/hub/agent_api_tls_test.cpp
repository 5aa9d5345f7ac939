// The agent API's TLS: 1.2 at least, forward-secret AEAD suites only, many
// requests per handshake, and a certificate rotated in place reaches new
// connections.
#include <catch2/catch.hpp>

#include <openssl/x509.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "agent_api_test_hub.h"
#include "raw_http.h"
#include "switchyard/hub/agent_api_server.h"

using namespace switchyard;
using namespace switchyard::hub;
using namespace switchyard::test;

namespace {

// A self-signed certificate and key with the given common name, written
// over `dir`'s cert.pem and key.pem.
void write_certificate(const std::filesystem::path& dir, const std::string& common_name) {
  const auto command = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=" + common_name +
                       " -keyout " + (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() +
                       " >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
}

// A TestHub serving TLS with a certificate named "first" in its own directory.
struct TlsHub {
  TlsHub() : dir(std::filesystem::temp_directory_path() / ("agent-api-tls-" + std::to_string(std::random_device()()))) {
    std::filesystem::create_directories(dir);
    write_certificate(dir, "first");
    AgentApiOptions options;
    options.tls_cert_file = (dir / "cert.pem").string();
    options.tls_key_file = (dir / "key.pem").string();
    hub = std::make_unique<TestHub>(options);
    server = hub->server.get();
  }
  ~TlsHub() {
    hub.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<TestHub> hub;
  AgentApiServer* server = nullptr;
};

// A client context that offers only what it is given.
struct ClientContext {
  ClientContext(int max_version, const char* tls12_suites) : context(SSL_CTX_new(TLS_client_method())) {
    SSL_CTX_set_min_proto_version(context, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(context, max_version);
    SSL_CTX_set_security_level(context, 0);  // let the client offer old suites: the server must refuse them
    if (tls12_suites != nullptr) SSL_CTX_set_cipher_list(context, tls12_suites);
  }
  ~ClientContext() { SSL_CTX_free(context); }
  SSL_CTX* context;
};

std::string peer_common_name(SSL* ssl) {
  X509* certificate = SSL_get_peer_certificate(ssl);
  if (certificate == nullptr) return {};
  char name[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(certificate), NID_commonName, name, sizeof name);
  X509_free(certificate);
  return name;
}

}  // namespace

TEST_CASE("agent API TLS: 1.2 with forward-secret AEAD suites or 1.3, nothing older or weaker", "[hub]") {
  TlsHub hub;
  const auto handshake = [&](int max_version, const char* suites) {
    ClientContext client(max_version, suites);
    RawConnection connection(hub.server->port());
    return connection.handshake(client.context);
  };
  CHECK(handshake(TLS1_3_VERSION, nullptr));
  CHECK(handshake(TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256"));
  CHECK(handshake(TLS1_2_VERSION, "ECDHE-RSA-CHACHA20-POLY1305"));
  CHECK_FALSE(handshake(TLS1_1_VERSION, nullptr));
  CHECK_FALSE(handshake(TLS1_2_VERSION, "AES128-GCM-SHA256"));       // static RSA: no forward secrecy
  CHECK_FALSE(handshake(TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA"));    // CBC with SHA-1
  CHECK_FALSE(handshake(TLS1_2_VERSION, "AES128-SHA"));
}

TEST_CASE("agent API TLS: many requests per handshake", "[hub]") {
  TlsHub hub;
  ClientContext client(TLS1_3_VERSION, nullptr);
  RawConnection connection(hub.server->port());
  REQUIRE(connection.handshake(client.context));
  for (int i = 0; i < 5; ++i) {
    REQUIRE(connection.send(poll_request("east", "east-token", -1, 0)));
    CHECK(connection.read_response().status == 200);
  }
  CHECK(hub.hub->counter("switchyard_agent_api_connections_accepted_total") == 1);
}

TEST_CASE("agent API TLS: a certificate rotated in place is served to new connections", "[hub]") {
  TlsHub hub;
  ClientContext client(TLS1_3_VERSION, nullptr);
  RawConnection before(hub.server->port());
  REQUIRE(before.handshake(client.context));
  CHECK(peer_common_name(before.ssl()) == "first");
  write_certificate(hub.dir, "second");
  // However coarse the file system's clock, the files look changed.
  const auto later = std::filesystem::last_write_time(hub.dir / "cert.pem") + std::chrono::seconds(2);
  std::filesystem::last_write_time(hub.dir / "cert.pem", later);
  std::filesystem::last_write_time(hub.dir / "key.pem", later);
  RawConnection after(hub.server->port());
  REQUIRE(after.handshake(client.context));
  CHECK(peer_common_name(after.ssl()) == "second");
  // The connection made before keeps working.
  REQUIRE(before.send(poll_request("east", "east-token", -1, 0)));
  CHECK(before.read_response().status == 200);
}
