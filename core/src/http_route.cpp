#include "switchyard/core/http_route.h"

#include "route_json.h"

namespace switchyard::core {
namespace {

using Writer = detail::RouteWriter;

// A reference to a Service in the route's own namespace. The namespace is
// left out: the Gateway API defaults it to the route's, and Linkerd only
// routes same-namespace parents for a producer route.
void service_ref(Writer& out, const std::string& name, std::uint16_t port) {
  out.StartObject();
  out.Key("group");
  out.String("");
  out.Key("kind");
  out.String("Service");
  out.Key("name");
  out.String(name);
  out.Key("port");
  out.Uint(port);
}

}  // namespace

const char* api_version_string(const TrafficSplit& route) {
  switch (route.kind) {
    case RouteKind::TrafficSplit: return api_version_string(route.api_version);
    case RouteKind::GatewayHTTPRoute: return kGatewayHttpRouteApiVersion;
    case RouteKind::LinkerdHTTPRoute: return kLinkerdHttpRouteApiVersion;
  }
  return api_version_string(route.api_version);
}

const char* kind_string(RouteKind kind) { return kind == RouteKind::TrafficSplit ? "TrafficSplit" : "HTTPRoute"; }

std::string http_route_to_json(const TrafficSplit& route) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartObject();
  detail::write_route_head(out, api_version_string(route), "HTTPRoute", route);
  out.Key("spec");
  out.StartObject();
  out.Key("parentRefs");
  out.StartArray();
  service_ref(out, route.apex_service, route.port);
  out.EndObject();
  out.EndArray();
  out.Key("rules");
  out.StartArray();
  out.StartObject();
  // The match both CRDs default a rule without matches to, written out: the
  // API server stores it, and an agent comparing what it derives with what
  // is stored would otherwise patch every route on every full pass (10,000
  // writes a minute in each member cluster with 10,000 FailoverServices).
  out.Key("matches");
  out.StartArray();
  out.StartObject();
  out.Key("path");
  out.StartObject();
  out.Key("type");
  out.String("PathPrefix");
  out.Key("value");
  out.String("/");
  out.EndObject();
  out.EndObject();
  out.EndArray();
  out.Key("backendRefs");
  out.StartArray();
  for (const auto& backend : route.backends) {
    service_ref(out, backend.service, route.port);
    out.Key("weight");
    out.Uint(backend.weight);
    out.EndObject();
  }
  out.EndArray();
  out.EndObject();
  out.EndArray();
  out.EndObject();
  out.EndObject();
  return {buffer.GetString(), buffer.GetSize()};
}

std::string route_to_json(const TrafficSplit& route) {
  return route.kind == RouteKind::TrafficSplit ? traffic_split_to_json(route) : http_route_to_json(route);
}

}  // namespace switchyard::core
