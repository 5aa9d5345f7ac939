// Discovery documents built from the served kinds: /version, legacy
// /api + /apis + resource lists, and the aggregated (apidiscovery v2) form.
#pragma once

#include <optional>
#include <string>

#include "resource_types.h"

namespace switchyard::devcluster {

[[nodiscard]] std::string version_json();
// Whether the Accept header asks for the aggregated (APIGroupDiscoveryList) form.
[[nodiscard]] bool wants_aggregated_discovery(const std::string& accept);
inline constexpr const char* kAggregatedDiscoveryContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

[[nodiscard]] std::string api_versions_json();                               // GET /api
[[nodiscard]] std::string api_group_list_json(const ResourceTypes& types);  // GET /apis
[[nodiscard]] std::optional<std::string> api_group_json(const ResourceTypes& types, const std::string& group);
// GET /api/v1 or /apis/<group>/<version>; nullopt when not served.
[[nodiscard]] std::optional<std::string> resource_list_json(const ResourceTypes& types, const std::string& group,
                                                            const std::string& version);
// GET /api (core = true) or /apis with the aggregated Accept.
[[nodiscard]] std::string aggregated_discovery_json(const ResourceTypes& types, bool core);

}  // namespace switchyard::devcluster
