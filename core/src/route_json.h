// What the TrafficSplit and HTTPRoute derivations write alike.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "switchyard/core/traffic_split.h"

namespace switchyard::core::detail {

using RouteWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// apiVersion, kind and metadata (name, namespace, the ownership labels of
// api.md rule 6) of a route object, into an object already started.
void write_route_head(RouteWriter& out, const char* api_version, const char* kind, const TrafficSplit& route);

}  // namespace switchyard::core::detail
