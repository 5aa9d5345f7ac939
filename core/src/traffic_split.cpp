#include "switchyard/core/traffic_split.h"

#include "route_json.h"

namespace switchyard::core {

void detail::write_route_head(RouteWriter& out, const char* api_version, const char* kind, const TrafficSplit& route) {
  out.Key("apiVersion");
  out.String(api_version);
  out.Key("kind");
  out.String(kind);
  out.Key("metadata");
  out.StartObject();
  out.Key("name");
  out.String(route.name);
  out.Key("namespace");
  out.String(route.namespace_name);
  out.Key("labels");
  out.StartObject();
  out.Key(kManagedByLabel);
  out.String(kManagedByValue);
  out.Key(kFailoverServiceLabel);
  out.String(route.owner);
  out.EndObject();
  out.EndObject();
}

std::string traffic_split_to_json(const TrafficSplit& split) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> out(buffer);
  out.StartObject();
  detail::write_route_head(out, api_version_string(split.api_version), "TrafficSplit", split);
  out.Key("spec");
  out.StartObject();
  out.Key("service");
  out.String(split.apex_service);
  out.Key("backends");
  out.StartArray();
  for (const auto& backend : split.backends) {
    out.StartObject();
    out.Key("service");
    out.String(backend.service);
    out.Key("weight");
    if (split.api_version == SplitApiVersion::V1Alpha1) {
      // v1alpha1 weights are resource.Quantity values, serialized as strings.
      out.String(std::to_string(backend.weight));
    } else {
      out.Uint(backend.weight);
    }
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace switchyard::core
