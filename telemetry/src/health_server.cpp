#include "switchyard/telemetry/health_server.h"

#include <httplib.h>

#include <charconv>

#include "switchyard/telemetry/background_server.h"

namespace switchyard::telemetry {

bool split_listen_address(const std::string& listen, std::string& host, int& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  if (host.empty()) host = "0.0.0.0";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto digits = listen.substr(colon + 1);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  return !digits.empty() && error == std::errc() && end == digits.data() + digits.size() && port >= 0 &&
         port <= 65535;
}

HealthServer::HealthServer(metrics::Registry& registry, std::function<Probe()> alive,
                           std::function<Probe()> ready)
    : registry_(registry), alive_(std::move(alive)), ready_(std::move(ready)) {}

HealthServer::~HealthServer() { stop(); }

bool HealthServer::start(const std::string& listen, std::string& error) {
  std::string host;
  int port = 0;
  if (!split_listen_address(listen, host, port)) {
    error = "metrics listen address \"" + listen + "\" is not host:port or :port";
    return false;
  }
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.set_content(registry_.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  auto probe_route = [](const std::function<Probe()>& probe) {
    return [&probe](const httplib::Request&, httplib::Response& response) {
      const auto result = probe();
      response.status = result.ok ? 200 : 503;
      response.set_content(result.ok ? "ok\n" : result.reason + "\n", "text/plain");
    };
  };
  server_->Get("/healthz", probe_route(alive_));
  server_->Get("/readyz", probe_route(ready_));

  if (!serve_in_background(*server_, host, port, thread_, port_, error)) {
    error = "metrics: " + error;
    return false;
  }
  return true;
}

void HealthServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace switchyard::telemetry
