// The observability endpoint of the hub and the agent (--metrics-listen):
//   /metrics  Prometheus text format from a Registry
//   /healthz  200 while the process's loop is alive (liveness)
//   /readyz   200 when the process can do its job (readiness), 503 with the
//             reason otherwise
//
// The probes are callbacks so each binary decides what alive and ready mean;
// they run on the server's threads and must be thread-safe and quick.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "switchyard/telemetry/metrics.h"

namespace httplib {
class Server;
}

namespace switchyard::telemetry {

struct Probe {
  bool ok = true;
  std::string reason;  // shown in the 503 body
};

class HealthServer {
 public:
  HealthServer(metrics::Registry& registry, std::function<Probe()> alive, std::function<Probe()> ready);
  ~HealthServer();
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // `listen` is host:port or :port (all interfaces); port 0 picks one.
  [[nodiscard]] bool start(const std::string& listen, std::string& error);
  [[nodiscard]] int port() const { return port_; }
  void stop();

 private:
  metrics::Registry& registry_;
  std::function<Probe()> alive_;
  std::function<Probe()> ready_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

// Splits "host:port" or ":port" (host 0.0.0.0). False when malformed.
[[nodiscard]] bool split_listen_address(const std::string& listen, std::string& host, int& port);

}  // namespace switchyard::telemetry
