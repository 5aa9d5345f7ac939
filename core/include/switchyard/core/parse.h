// Parsing and validating a FailoverService object (the JSON the Kubernetes
// API serves) into typed values.
//
// Two steps, so the hub can say why an object is refused:
//   parse_failover_service: shape (types, required fields, ranges, name
//     patterns), with every default resolved;
//   validate_failover_service: meaning against the fleet (unknown clusters,
//     duplicates, namespaces, mirror names).
// Both report every problem at once, each naming its field
// (`spec.backingServices[2].cluster: unknown cluster "eest"`); `describe`
// prefixes the object: `failoverservice emojivoto/web-svc: ...`.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "switchyard/core/failover_service.h"
#include "switchyard/core/field_error.h"

namespace switchyard::core {

inline constexpr std::size_t kMaxBackingServices = 64;

[[nodiscard]] Decoded<FailoverService> parse_failover_service(std::string_view json);
[[nodiscard]] Decoded<FailoverService> parse_failover_service(const rapidjson::Value& object);

// Problems of meaning; empty when the FailoverService can be acted on.
[[nodiscard]] std::vector<FieldError> validate_failover_service(
    const FailoverService& fos, const std::set<std::string, std::less<>>& known_clusters);

// "failoverservice emojivoto/web-svc: spec.x: ..." for each error, joined by "; ".
[[nodiscard]] std::string describe(const ObjectKey& key, const std::vector<FieldError>& errors);

}  // namespace switchyard::core
