#include "switchyard/agent/route_discovery.h"

#include <algorithm>
#include <optional>

#include "switchyard/telemetry/log.h"

namespace switchyard::agent {
namespace {

// Whether `api` is served; nothing when discovery could not tell (an error
// other than 404 is recorded in `errors`).
std::optional<bool> serves(ApiDiscoveryApi& discovery, const DiscoveredApi& api, std::vector<std::string>& errors) {
  auto found = discovery.served_resources(api.group_version);
  if (found.failure) {
    if (found.failure->code == 404) return false;
    errors.push_back("discover " + std::string(api.group_version) + ": " +
                     (found.failure->code == 0 ? "Kubernetes API server unreachable"
                                               : "HTTP " + std::to_string(found.failure->code)) +
                     ": " + found.failure->message);
    return std::nullopt;
  }
  return std::find(found.resources.begin(), found.resources.end(), api.resource) != found.resources.end();
}

std::string describe(const RouteDiscovery& found) {
  std::string text = "TrafficSplit ";
  for (const auto& version : found.smi_versions) text += version.substr(version.find('/') + 1) + " ";
  if (found.smi_versions.empty()) text += "no ";
  text += std::string("HTTPRoute ") + (found.served.gateway_http_route ? "yes" : "no");
  text += std::string(" LinkerdHTTPRoute ") + (found.served.linkerd_http_route ? "yes" : "no");
  return text;
}

}  // namespace

RouteDiscovery discover_route_apis(ApiDiscoveryApi& api) {
  RouteDiscovery found;
  for (const auto& smi : kSmiApis) {
    if (serves(api, smi, found.errors).value_or(false)) found.smi_versions.emplace_back(smi.group_version);
  }
  found.served.traffic_split = !found.smi_versions.empty();
  found.served.gateway_http_route = serves(api, kGatewayHttpRouteApi, found.errors).value_or(false);
  found.served.linkerd_http_route = serves(api, kLinkerdHttpRouteApi, found.errors).value_or(false);
  return found;
}

RouteDiscoverer::RouteDiscoverer(ApiDiscoveryApi& api, DiscoveryOptions options,
                                 std::function<void(const RouteDiscovery&)> on_discovered)
    : api_(api), options_(options), on_discovered_(std::move(on_discovered)) {}

RouteDiscoverer::~RouteDiscoverer() { stop(); }

void RouteDiscoverer::start() { thread_ = std::thread([this] { run(); }); }

void RouteDiscoverer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RouteDiscoverer::rediscover() {
  {
    std::lock_guard lock(mutex_);
    requested_ = true;
  }
  wake_.notify_all();
}

void RouteDiscoverer::run() {
  Backoff backoff(options_.backoff, options_.seed);
  std::optional<RouteDiscovery> last;
  std::vector<std::string> last_errors;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    requested_ = false;
    lock.unlock();
    auto found = discover_route_apis(api_);
    std::chrono::milliseconds wait = options_.interval;
    if (!found.errors.empty()) {
      // Incomplete: what the hub knows stays as it was; tried again soon.
      wait = backoff.next();
      if (found.errors != last_errors) {
        for (const auto& error : found.errors) log::warn("route API discovery failed; retrying", {{"error", error}});
      }
    } else {
      backoff.reset();
      if (!last || !(*last == found)) {
        log::info("route APIs discovered", {{"served", describe(found)}});
        on_discovered_(found);
        last = found;
      }
    }
    last_errors = found.errors;
    lock.lock();
    wake_.wait_for(lock, wait, [this] { return stopping_ || requested_; });
  }
}

}  // namespace switchyard::agent
