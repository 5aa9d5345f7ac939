// Test PKI made with the openssl command: a CA, a server certificate for
// the name "kube.test" only (no IP SAN), a client certificate from the same
// CA, and an unrelated CA.
#pragma once

#include <cstdlib>
#include <string>

#include "test_support.h"

namespace switchyard::kube::test {

struct TestPki {
  explicit TestPki(const TempDir& dir) : dir_(dir) {
    const std::string script = R"(set -e
cd ")" + dir.path() + R"("
EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $EC -keyout ca.key -out ca.crt -days 2 -subj /CN=test-ca 2>/dev/null
openssl req $EC -keyout server.key -out server.csr -subj /CN=kube.test 2>/dev/null
printf 'subjectAltName=DNS:kube.test\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile server.ext 2>/dev/null
openssl req $EC -keyout client.key -out client.csr -subj /CN=switchyard-hub 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt -days 2 2>/dev/null
openssl req -x509 $EC -keyout other.key -out other.crt -days 2 -subj /CN=other-ca 2>/dev/null
)";
    ok = std::system(("sh -c '" + escape(script) + "'").c_str()) == 0;
  }
  std::string path(const std::string& name) const { return dir_.file(name); }
  std::string pem(const std::string& name) const { return read_text(dir_.file(name)); }
  bool ok = false;

 private:
  static std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '\'') {
        out += "'\\''";
      } else {
        out += c;
      }
    }
    return out;
  }
  const TempDir& dir_;
};

}  // namespace switchyard::kube::test
