// Discovery documents built from the served kinds: /version, legacy
// /api + /apis + resource lists, and the aggregated (apidiscovery v2) form.
#pragma once

#include <optional>
#include <string>

#include "resource_types.h"

namespace switchyard::devcluster {

[[nodiscard]] std::string version_json();

// What GET /api and /apis answer, chosen from the Accept header as
// kube-apiserver 1.32 chooses (k8s.io/apiserver endpoints/discovery/aggregated
// wrapper.go and negotiation.go): the first clause, in goautoneg's order, that
// admits JSON and names g=apidiscovery.k8s.io, v=v2 or v2beta1,
// as=APIGroupDiscoveryList picks the aggregated document in that version;
// clauses without those are passed over (not taken as "anything goes"), and
// with no such clause the unaggregated APIVersions / APIGroupList is served.
// kubectl 1.27-1.29 accept only v2beta1, 1.30 and later v2 first.
// devcluster answers JSON only: a clause for protobuf or YAML is passed over
// where a real server would answer in that format.
enum class DiscoveryFormat { kUnaggregated, kAggregatedV2, kAggregatedV2Beta1 };
[[nodiscard]] DiscoveryFormat negotiate_discovery(const std::string& accept);
// The Content-Type of an aggregated answer, e.g.
// application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList.
[[nodiscard]] std::string aggregated_discovery_content_type(DiscoveryFormat format);

[[nodiscard]] std::string api_versions_json();                               // GET /api
[[nodiscard]] std::string api_group_list_json(const ResourceTypes& types);  // GET /apis
[[nodiscard]] std::optional<std::string> api_group_json(const ResourceTypes& types, const std::string& group);
// GET /api/v1 or /apis/<group>/<version>; nullopt when not served.
[[nodiscard]] std::optional<std::string> resource_list_json(const ResourceTypes& types, const std::string& group,
                                                            const std::string& version);
// GET /api (core = true) or /apis in an aggregated format; v2beta1 differs
// from v2 only in apiVersion.
[[nodiscard]] std::string aggregated_discovery_json(const ResourceTypes& types, bool core, DiscoveryFormat format);
// The ETag a real server sends with an aggregated document: the SHA-512 of its
// v2 JSON in upper-case hex, quoted (the same for v2beta1, as there).
[[nodiscard]] std::string aggregated_discovery_etag(const std::string& v2_json);

}  // namespace switchyard::devcluster
