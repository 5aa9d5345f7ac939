// The pure parts of kubectl-switchyard: the merge patches it writes and the
// status tree it prints, from JSON in and text out, with no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/overrides.h"

namespace switchyard::plugin {

// The annotation that asks the hub to skip the failback delay on undrain:
// core's constant, so the hub (which reads it) and the plugin agree on one name.
using core::kUndrainNowAnnotation;
using core::kUndrainNowValue;

// A value or a one-line error naming the object and field.
template <class T>
struct Outcome {
  std::optional<T> value;
  std::string error;
  bool ok() const { return value.has_value(); }
};

// Merge patch for MemberCluster spec.drain {reason}. An empty reason is
// refused: the reason is what the next operator reads.
Outcome<std::string> drain_patch(const std::string& reason);
// spec.drain: null; with now, also the undrain-now annotation.
std::string undrain_patch(bool now);

struct Backend {
  std::string cluster, namespace_name, name;
};

// BACKEND as cluster/namespace/name, or a cluster name that names exactly
// one of the FailoverService's spec.backingServices.
Outcome<Backend> resolve_backend(const std::string& argument, const rapidjson::Value& failover_service);

// Merge patch for FailoverService spec.pin; until is RFC 3339 UTC or empty.
std::string pin_patch(const Backend& backend, const std::string& until, bool force);
std::string unpin_patch();

// "30m", "2h", "90s", "1h30m" -> seconds; refuses zero, junk and overflow.
Outcome<std::chrono::seconds> parse_duration(const std::string& text);
// RFC 3339 "2026-12-05T10:00:00Z" for a time point (UTC, whole seconds).
std::string format_time(std::chrono::system_clock::time_point time);
// Parses "YYYY-MM-DDTHH:MM:SS[.frac]Z"; nullopt when it is not that.
std::optional<std::chrono::system_clock::time_point> parse_time(const std::string& text);
// "45s", "12m", "3h", "4d" as kubectl prints ages.
std::string format_age(std::chrono::seconds age);

// The status tree of one FailoverService, given the MemberClusters (a JSON
// array of MemberCluster objects, may be empty) for each cluster's
// connection, and the time ages are measured from.
std::string status_tree(const rapidjson::Value& failover_service, const rapidjson::Value& member_clusters,
                        std::chrono::system_clock::time_point now);

// -o yaml: the same document as YAML (strings that would read as numbers quoted).
std::string json_to_yaml(const rapidjson::Value& value);

// import --from-linkerd-failover: per cluster (context name), its TrafficSplit
// items; those linkerd-failover controls become MemberClusters (one per
// cluster) and FailoverServices (one per namespace/apex, primary first, a
// mirror <service>-<cluster> mapped to that cluster's service), as YAML.
Outcome<std::string> import_linkerd_failover(
    const std::vector<std::pair<std::string, const rapidjson::Value*>>& splits_by_cluster);

}  // namespace switchyard::plugin
