// Which route APIs the agent's cluster serves (docs/outputs.md, "Choosing"):
// SMI TrafficSplits (any of the versions the agent writes), the Gateway
// API's HTTPRoute (gateway.networking.k8s.io/v1) and Linkerd's
// (policy.linkerd.io/v1beta3), found by API discovery and sent in every full
// report's `outputs` so the hub can choose each consumer's output.
//
// RouteDiscoverer runs discovery on its own thread: at start, every
// `interval` (a CRD installed later is found), at once when asked (the
// applier saw a 404: a CRD may have vanished), and after a failure with
// backoff. It hands over a result only when it differs from the last one.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "switchyard/agent/backoff.h"
#include "switchyard/agent/ports.h"
#include "switchyard/protocol/messages.h"

namespace switchyard::agent {

// The group versions discovery asks about, and the resource each must serve.
struct DiscoveredApi {
  const char* group_version;
  const char* resource;
};
inline constexpr DiscoveredApi kSmiApis[] = {{"split.smi-spec.io/v1alpha1", "trafficsplits"},
                                             {"split.smi-spec.io/v1alpha2", "trafficsplits"},
                                             {"split.smi-spec.io/v1alpha4", "trafficsplits"}};
inline constexpr DiscoveredApi kGatewayHttpRouteApi{"gateway.networking.k8s.io/v1", "httproutes"};
inline constexpr DiscoveredApi kLinkerdHttpRouteApi{"policy.linkerd.io/v1beta3", "httproutes"};

struct RouteDiscovery {
  protocol::ServedApis served;
  std::vector<std::string> smi_versions;  // the SMI group versions served
  // Discovery requests that failed other than with 404 ("not served"): the
  // result is then incomplete and not handed over.
  std::vector<std::string> errors;
  bool operator==(const RouteDiscovery&) const = default;
};

// One round of discovery (five GETs of discovery documents).
[[nodiscard]] RouteDiscovery discover_route_apis(ApiDiscoveryApi& api);

struct DiscoveryOptions {
  std::chrono::milliseconds interval{300'000};
  BackoffOptions backoff{std::chrono::milliseconds(1000), std::chrono::milliseconds(60'000), 2.0, 0.5};
  std::uint64_t seed = 4;
};

class RouteDiscoverer {
 public:
  // `on_discovered` runs on the discoverer's thread with each complete
  // result that differs from the one before.
  RouteDiscoverer(ApiDiscoveryApi& api, DiscoveryOptions options,
                  std::function<void(const RouteDiscovery&)> on_discovered);
  ~RouteDiscoverer();
  RouteDiscoverer(const RouteDiscoverer&) = delete;
  RouteDiscoverer& operator=(const RouteDiscoverer&) = delete;

  void start();
  void stop();  // idempotent; joins
  // Any thread: discover again now.
  void rediscover();

 private:
  void run();

  ApiDiscoveryApi& api_;
  DiscoveryOptions options_;
  std::function<void(const RouteDiscovery&)> on_discovered_;
  std::thread thread_;
  std::mutex mutex_;  // guards requested_, stopping_
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
};

}  // namespace switchyard::agent
