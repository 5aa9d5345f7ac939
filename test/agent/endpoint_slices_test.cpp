#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "switchyard/agent/endpoint_slices.h"

using namespace switchyard::agent;

namespace {

EndpointSlice slice(std::string type, std::vector<SliceEndpoint> endpoints) {
  EndpointSlice s;
  s.namespace_name = "emojivoto";
  s.name = "web-svc-" + type;
  s.service_name = "web-svc";
  s.address_type = std::move(type);
  s.endpoints = std::move(endpoints);
  return s;
}

SliceEndpoint endpoint(std::string address, std::optional<bool> ready, std::optional<bool> terminating = {}) {
  return SliceEndpoint{{std::move(address)}, ready, terminating, {}};
}

}  // namespace

TEST_CASE("ready endpoints are counted as Kubernetes defines them", "[agent]") {
  const auto s = slice("IPv4", {
                                   endpoint("10.0.0.1", true),
                                   endpoint("10.0.0.2", std::nullopt),  // unset counts as ready
                                   endpoint("10.0.0.3", false),
                                   endpoint("10.0.0.4", true, true),  // terminating never counts
                               });
  CHECK(count_endpoints({&s}) == EndpointCount{2, 4});
}

TEST_CASE("an address in several slices counts once", "[agent]") {
  const auto a = slice("IPv4", {endpoint("10.0.0.1", true), endpoint("10.0.0.2", true)});
  const auto b = slice("IPv4", {endpoint("10.0.0.2", true), endpoint("10.0.0.3", false)});
  CHECK(count_endpoints({&a, &b}) == EndpointCount{2, 3});
}

TEST_CASE("a dual-stack pod counts once", "[agent]") {
  const auto v4 = slice("IPv4", {endpoint("10.0.0.1", true)});
  const auto v6 = slice("IPv6", {endpoint("fd00::1", true)});
  CHECK(count_endpoints({&v4, &v6}) == EndpointCount{1, 1});
}

TEST_CASE("no slices, or slices without endpoints, count zero", "[agent]") {
  CHECK(count_endpoints({}) == EndpointCount{0, 0});
  const auto empty = slice("IPv4", {});
  CHECK(count_endpoints({&empty}) == EndpointCount{0, 0});
}

TEST_CASE("an EndpointSlice decodes from the API's JSON", "[agent]") {
  std::string error;
  const auto decoded = decode_endpoint_slice(R"({
    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {"name": "web-svc-abc", "namespace": "emojivoto",
                 "labels": {"kubernetes.io/service-name": "web-svc"}},
    "addressType": "IPv4",
    "endpoints": [
      {"addresses": ["10.0.0.1"], "conditions": {"ready": true, "serving": true, "terminating": false}},
      {"addresses": ["10.0.0.2"], "conditions": {"ready": false, "terminating": true}},
      {"addresses": ["10.0.0.3"]}
    ],
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
  })", error);
  REQUIRE(decoded);
  CHECK(decoded->service_name == "web-svc");
  CHECK(decoded->address_type == "IPv4");
  REQUIRE(decoded->endpoints.size() == 3);
  CHECK(decoded->endpoints[1].terminating == true);
  CHECK_FALSE(decoded->endpoints[2].ready.has_value());
  CHECK(count_endpoints({&*decoded}) == EndpointCount{2, 3});
}

TEST_CASE("a slice with null endpoints (a Service with none) decodes as empty", "[agent]") {
  std::string error;
  const auto decoded = decode_endpoint_slice(
      R"({"metadata":{"name":"s","namespace":"n"},"addressType":"IPv4","endpoints":null})", error);
  REQUIRE(decoded);
  CHECK(decoded->endpoints.empty());
}

TEST_CASE("bad EndpointSlice JSON is refused with the field named", "[agent]") {
  std::string error;
  CHECK_FALSE(decode_endpoint_slice("[1,2]", error));
  CHECK(error == "EndpointSlice: not a JSON object");
  CHECK_FALSE(decode_endpoint_slice(R"({"metadata":{"name":"s","namespace":"n"},"endpoints":{}})", error));
  CHECK(error == "EndpointSlice n/s: endpoints: must be a list");
}

TEST_CASE("the real API server's EndpointSlice encoding decodes", "[agent]") {
  const std::filesystem::path fixture = std::filesystem::path(SWITCHYARD_SHARED_DIR) /
                                        "fixtures/kube-real/codec-roundtrip-synthetic/discovery.k8s.io.v1.EndpointSlice.json";
  if (!std::filesystem::exists(fixture)) {
    WARN("skipped: no shared fixtures at " << fixture);
    return;
  }
  std::ifstream in(fixture);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  const auto decoded = decode_endpoint_slice(text.str(), error);
  REQUIRE(decoded);
  CHECK(decoded->address_type == "addressTypeValue");
  REQUIRE(decoded->endpoints.size() == 1);
  // The encoded endpoint is ready but terminating: it does not count.
  CHECK(decoded->endpoints[0].ready == true);
  CHECK(decoded->endpoints[0].terminating == true);
  CHECK(count_endpoints({&*decoded}) == EndpointCount{0, 1});
}
