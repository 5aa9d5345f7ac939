// switchyard-devcluster: an embedded Kubernetes-API-compatible server for
// demos and tests, judged by real clients (kubectl, python-kubernetes,
// @kubernetes/client-node).
//
// Several servers can run in one process, each on its own port. A Server is
// not thread-safe itself (start/stop/restart from one thread); it serves
// requests on its own threads and keeps all mutable state on one libuv loop
// thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace switchyard::devcluster {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port; restart() keeps the one picked
  bool tls = false;
  // PEM files; when empty and tls is on, a self-signed identity is generated.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Bearer token every request must carry; empty: none over HTTP, and with
  // tls a random one (Server::token()), so the kubeconfig always carries
  // credentials: kubectl asks for a user name over HTTPS without them.
  std::string token;
  std::string data_dir;  // persist objects there; empty: in memory only
  std::string audit_log_file;  // append one JSON line per resource request; empty: none
  std::size_t event_window = 10000;  // events kept for watches; older -> 410 Expired
  std::size_t max_body_bytes = 3 * 1024 * 1024;  // larger bodies get 413
  // Connections served at once, each on its own thread: watches, idle
  // keep-alive connections and clients still sending a request all count.
  // Past it, new connections are answered 429 with Retry-After (a few dozen
  // at once; more wait for a thread). The process's open-file limit bounds
  // it too (each connection is a descriptor).
  std::size_t max_connections = 4096;
  // Requests other than watches being handled at once; past it 429 with
  // Retry-After, as kube-apiserver's --max-requests-inflight (400) plus
  // --max-mutating-requests-inflight (200). Watches are long-running and
  // count against max_connections only, as there.
  std::size_t max_requests_in_flight = 600;
  std::chrono::milliseconds bookmark_interval{5000};
  // A watch writes to its client at most this often, sending what arrived
  // meanwhile together; an event after a quiet spell goes out at once. Each
  // write wakes a server thread and the client's reader, and with a hundred
  // watches those wake-ups, not the bytes, bound the server's writes per
  // second (docs/benchmarks.md, devcluster watch fan-out). A client that
  // writes and waits for each event back to back sees up to this much delay
  // (so the failover benchmark spaces its failovers).
  std::chrono::microseconds watch_coalesce{3000};
};

// A fault a test injects: requests whose method matches (empty = any) and
// whose path starts with `path_prefix` wait `delay`, then fail with `status`
// (0 = not at all, just the delay). `times` < 0 means every matching request.
// `watch_only` limits it to watch requests (to let writes overtake a
// client's list-then-watch, say). `percent` < 100 hits only that share of
// the matching requests, chosen at random (the others pass untouched and do
// not count against `times`): the chaos suite's dropped and delayed
// connections are a fraction of the traffic, not all of it.
struct Fault {
  std::string method;
  std::string path_prefix;
  std::chrono::milliseconds delay{0};
  int status = 0;
  int times = -1;
  bool watch_only = false;
  int percent = 100;
};

// Parses METHOD:PATH_PREFIX:DELAY_MS:STATUS:TIMES[:watch][:PERCENT%] (the
// binary's --test-fault); false with `error` set when malformed.
[[nodiscard]] bool parse_fault(const std::string& text, Fault& out, std::string& error);

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads persisted objects (with data_dir), binds and serves. Returns once
  // requests are accepted; false with `error` set otherwise.
  [[nodiscard]] bool start(std::string& error);
  // Closes every watch, stops serving, saves (with data_dir). Idempotent.
  void stop();
  // What a real API server restart looks like to clients: connections and
  // watches drop, objects survive, and watches must re-list (their old
  // resourceVersions are too old afterwards). Same port.
  [[nodiscard]] bool restart(std::string& error);

  [[nodiscard]] int port() const;
  [[nodiscard]] std::string url() const;  // https://127.0.0.1:PORT or http://...
  [[nodiscard]] std::string ca_certificate_pem() const;  // empty without TLS
  [[nodiscard]] const std::string& token() const;  // the given or generated one; empty: none
  // A kubeconfig that kubectl and the clients use as is.
  [[nodiscard]] std::string kubeconfig(const std::string& context_name) const;
  [[nodiscard]] bool write_kubeconfig(const std::string& path, const std::string& context_name,
                                      std::string& error) const;

  void inject_fault(const Fault& fault);
  void clear_faults();

  [[nodiscard]] std::uint64_t resource_version() const;
  [[nodiscard]] std::size_t open_watches() const;
  // Non-watch requests being served now (injected delays included).
  [[nodiscard]] std::size_t requests_in_flight() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchyard::devcluster
