// Pooled keep-alive connections that the server closed while they sat idle
// (the devcluster after 30 s, load balancers, API servers): the next request,
// a write included, must not fail on them. The servers here close idle
// connections after 1 s so the tests take seconds, not minutes.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "switchyard/kube/client.h"
#include "test_server.h"
#include "test_support.h"
#include "tls_certs.h"

using namespace switchyard::kube;
using namespace switchyard::kube::test;

namespace {

const std::string kObject =
    R"({"kind":"Service","apiVersion":"v1","metadata":{"name":"web","namespace":"ns","resourceVersion":"1"}})";

// Counts what reached the handlers, so a write that is retried is seen to
// arrive exactly once.
struct Served {
  std::atomic<int> gets{0};
  std::atomic<int> patches{0};
};

void serve_objects(httplib::Server& http, Served& served) {
  http.set_keep_alive_timeout(1);
  http.Get(".*", [&](const httplib::Request&, httplib::Response& response) {
    ++served.gets;
    response.set_content(kObject, "application/json");
  });
  http.Patch(".*", [&](const httplib::Request&, httplib::Response& response) {
    ++served.patches;
    response.set_content(kObject, "application/json");
  });
}

ClusterConfig config_for(const std::string& url) {
  ClusterConfig config = short_timeout_config(url);
  // A failed request is not retried after a pause: it must succeed at once.
  config.max_retries = 0;
  return config;
}

// Longer than the servers' 1 s keep-alive timeout, which httplib's server
// checks once per millisecond: by then every idle connection is closed.
void outwait_server_idle_timeout() { std::this_thread::sleep_for(std::chrono::milliseconds(1500)); }

// A GET, then a PATCH once the server has closed the GET's idle connection:
// the PATCH succeeds and reaches the server once.
void patch_after_server_closed_idle_connection(Client& client, const Served& served) {
  REQUIRE(client.get(kServices, "ns", "web").ok());
  outwait_server_idle_timeout();
  auto patched = client.patch(kServices, "ns", "web", PatchType::Merge, R"({"metadata":{"labels":{"a":"b"}}})");
  INFO((patched ? "" : patched.error().to_string()));
  CHECK(patched.ok());
  CHECK(served.patches == 1);
}

}  // namespace

TEST_CASE("a write after the server closed the idle pooled connection succeeds at once",
          "[kube][client][pool]") {
  TempDir dir;
  TestPki pki(dir);
  REQUIRE(pki.ok);
  Served served;
  // TLS as the devcluster and API servers serve it: the server's close_notify
  // sits unread in the idle socket, so the socket looks readable, not closed.
  SECTION("TLS") {
    TestServer server(std::make_unique<httplib::SSLServer>(pki.path("server.crt").c_str(),
                                                           pki.path("server.key").c_str()));
    serve_objects(server.http(), served);
    server.start();
    auto config = config_for(server.url("https"));
    config.ca_pem = pki.pem("ca.crt");
    config.tls_server_name = "kube.test";
    Client client(config);
    patch_after_server_closed_idle_connection(client, served);
    CHECK(client.connections_opened() == 2);
  }
  // Over plain HTTP httplib sees the FIN itself and connects again.
  SECTION("plain HTTP") {
    TestServer server;
    serve_objects(server.http(), served);
    server.start();
    Client client(config_for(server.url()));
    patch_after_server_closed_idle_connection(client, served);
  }
}

namespace {

// Answers the first request on each connection (keep-alive) and closes the
// connection when the second arrives, without a response byte: a server
// closing an idle connection at the moment a request reaches it.
class ClosesOnSecondRequest {
 public:
  ClosesOnSecondRequest() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_, 8) == 0);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ClosesOnSecondRequest() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Requests that reached the server complete, by method ("GET", "PATCH").
  int requests(const std::string& method) const {
    std::lock_guard lock(mutex_);
    auto it = requests_.find(method);
    return it == requests_.end() ? 0 : it->second;
  }

 private:
  // Reads one request (head and Content-Length body); its method, or "" at EOF.
  static std::string read_request(int connection) {
    std::string data;
    char buffer[4096];
    std::size_t head_end;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) return {};
      data.append(buffer, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    auto header = data.find("Content-Length: ");
    if (header != std::string::npos && header < head_end) length = std::stoul(data.substr(header + 16));
    while (data.size() < head_end + 4 + length) {
      ssize_t n = ::read(connection, buffer, sizeof buffer);
      if (n <= 0) return {};
      data.append(buffer, static_cast<std::size_t>(n));
    }
    return data.substr(0, data.find(' '));
  }

  void serve() {
    for (;;) {
      int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      for (int served = 0;; ++served) {
        const std::string method = read_request(connection);
        if (method.empty()) break;
        {
          std::lock_guard lock(mutex_);
          ++requests_[method];
        }
        if (served == 1) break;  // the second request: closed unanswered
        const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                     std::to_string(kObject.size()) + "\r\n\r\n" + kObject;
        if (::send(connection, response.data(), response.size(), MSG_NOSIGNAL) < 0) break;
      }
      ::close(connection);
    }
  }

  int listener_ = -1;
  int port_ = 0;
  mutable std::mutex mutex_;  // guards requests_
  std::map<std::string, int> requests_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("a request the server closed its reused connection on is sent again only when that is safe",
          "[kube][client][pool]") {
  ClosesOnSecondRequest server;
  Client client(config_for(server.url()));
  REQUIRE(client.get(kServices, "ns", "web").ok());

  SECTION("a GET is sent again at once on a fresh connection") {
    auto got = client.get(kServices, "ns", "web");
    INFO((got ? "" : got.error().to_string()));
    CHECK(got.ok());
    CHECK(server.requests("GET") == 3);
    CHECK(client.connections_opened() == 2);
  }
  SECTION("a PATCH the server may have processed is not sent again (Go's rule)") {
    auto patched = client.patch(kServices, "ns", "web", PatchType::Merge, R"({"metadata":{"labels":{"a":"b"}}})");
    REQUIRE_FALSE(patched.ok());
    CHECK(patched.error().unreachable());
    CHECK(server.requests("PATCH") == 1);
    CHECK(client.connections_opened() == 1);
  }
}
