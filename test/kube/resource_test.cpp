#include <catch2/catch.hpp>

#include "switchyard/kube/resource.h"
#include "url.h"

using namespace switchyard::kube;

TEST_CASE("resource paths follow the REST layout", "[kube][resource]") {
  SECTION("core namespaced") {
    CHECK(kServices.path("emojivoto", "web-svc") == "/api/v1/namespaces/emojivoto/services/web-svc");
    CHECK(kServices.path("emojivoto") == "/api/v1/namespaces/emojivoto/services");
    CHECK(kServices.path("") == "/api/v1/services");
  }
  SECTION("named group with a subresource") {
    CHECK(kFailoverServices.path("ns", "web", "status") ==
          "/apis/switchyard.io/v1alpha1/namespaces/ns/failoverservices/web/status");
    CHECK(kLeases.path("kube-system", "hub") == "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/hub");
  }
  SECTION("cluster-scoped resources ignore the namespace") {
    CHECK(kNamespaces.path("ignored", "default") == "/api/v1/namespaces/default");
    CHECK(kMemberClusters.path("ignored", "east") == "/apis/switchyard.io/v1alpha1/memberclusters/east");
  }
  SECTION("trafficsplits per SMI version") {
    CHECK(trafficsplits("v1alpha2").path("ns") == "/apis/split.smi-spec.io/v1alpha2/namespaces/ns/trafficsplits");
    CHECK(trafficsplits("v1alpha4").api_version() == "split.smi-spec.io/v1alpha4");
    CHECK(kEndpointSlices.api_version() == "discovery.k8s.io/v1");
    CHECK(kServices.api_version() == "v1");
  }
}

TEST_CASE("query values are percent-encoded", "[kube][url]") {
  url::Query query;
  query.add("labelSelector", "app=web,tier!=db,env in (a b)").add("limit", 50).add("continue", "").add("limit", 0);
  CHECK(query.str() == "?labelSelector=app%3Dweb%2Ctier%21%3Ddb%2Cenv%20in%20%28a%20b%29&limit=50");
  CHECK(url::encode_query_value("a+b/c~d_e.f-g") == "a%2Bb%2Fc~d_e.f-g");
  CHECK(url::encode_path_segment("system:node") == "system:node");
  CHECK(url::encode_path_segment("a/b") == "a%2Fb");
}
