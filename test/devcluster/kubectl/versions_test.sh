#!/usr/bin/env bash
# One kubectl release (run directly, not through the /usr/bin/kubectl
# dispatcher that would pick 1.32 from /version) against switchyard-devcluster
# with this project's CRDs: discovery in the format that release negotiates,
# apply, printer columns, -o yaml, explain, api-resources, delete.
# Usage: versions_test.sh BIN REPO KUBECTL_BINARY
KUBECTL="$3"
source "$(dirname "$0")/lib.sh"
start_server

minor="$("$KUBECTL" version --client -o json | sed -n 's/^ *"minor": "\([0-9]*\).*/\1/p')"
[ -n "$minor" ] || fail "cannot read the client version of $KUBECTL"
expect_output "apply crds/" 'failoverservices.switchyard.io (created|serverside-applied)' k apply -f "$REPO/crds/"
namespace_manifest emojivoto | k apply -f - >/dev/null
expect_output "api-resources lists the CRD with its short name" \
  'failoverservices +fos +switchyard.io/v1alpha1 +true +FailoverService' k api-resources
expect_output "api-resources --api-group" '^memberclusters +mc +switchyard.io/v1alpha1 +false +MemberCluster' \
  k api-resources --api-group=switchyard.io --no-headers
expect_output "apply the emojivoto FailoverService" 'failoverservice.switchyard.io/web-svc created' \
  k apply -f "$REPO/examples/emojivoto/failoverservice.yaml"
expect_output "get fos shows the printer columns" '^NAME +PRIMARY +ACTIVE +STATE +READY +AGE' k get fos -n emojivoto
expect_output "get fos shows the primary cluster" '^web-svc +west ' k get fos -n emojivoto
expect_output "get by the full resource name" '^web-svc +west ' k get failoverservices.switchyard.io -n emojivoto
expect_output "get -o yaml" 'kind: FailoverService' k get fos web-svc -n emojivoto -o yaml
expect_output "get -o yaml has server metadata" 'uid: [0-9a-f-]{36}' k get fos web-svc -n emojivoto -o yaml
expect_output "explain failoverservice.spec" 'backingServices' k explain failoverservice.spec
expect_output "explain a nested field" 'Backing services in priority order' k explain failoverservice.spec.backingServices
expect_output "delete" 'failoverservice.switchyard.io "web-svc" deleted' k delete fos web-svc -n emojivoto
expect_failure "deleted object is gone" 'NotFound' k get fos web-svc -n emojivoto
# kubectl 1.27-1.29 accept aggregated discovery as apidiscovery.k8s.io/v2beta1
# only; 1.30 and later ask for v2 first.
if [ "$minor" -le 29 ]; then want=v2beta1; else want=v2; fi
expect_output "kubectl 1.$minor gets aggregated discovery $want" \
  "Content-Type: application/json;g=apidiscovery.k8s.io;v=$want;as=APIGroupDiscoveryList" k api-resources -v=8
echo "PASS kubectl 1.$minor"
