#!/usr/bin/env bash
# kubectl against switchyard-devcluster: discovery, CRDs, apply/get/patch/
# replace/create/delete of a FailoverService. Usage: crud_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
start_server

expect_output "version minor 32 picks kubectl 1.32" '"minor":"32"' k get --raw /version
expect_output "OpenAPI v2 without definitions (kubectl 1.27 and 1.28 need it)" '"swagger":"2.0"' k get --raw /openapi/v2
expect_output "kubectl gets aggregated discovery" 'Content-Type: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' \
  k api-resources -v=8
expect_output "api-resources lists built-ins" 'endpointslices +discovery.k8s.io/v1 +true +EndpointSlice' k api-resources
expect_output "apply crds/" 'failoverservices.switchyard.io created' k apply -f "$REPO/crds/"
expect_output "api-resources lists the CRD with its short name" 'failoverservices +fos +switchyard.io/v1alpha1 +true +FailoverService' k api-resources
namespace_manifest emojivoto | k apply -f - >/dev/null

fos="$REPO/examples/emojivoto/failoverservice.yaml"
expect_output "apply creates" 'failoverservice.switchyard.io/web-svc created' k apply -f "$fos"
sed 's/delaySeconds: 30/delaySeconds: 31/' "$fos" >"$WORK/fos-updated.yaml"
expect_output "apply updates" 'failoverservice.switchyard.io/web-svc configured' k apply -f "$WORK/fos-updated.yaml"
expect_output "apply of the same manifest changes nothing" 'web-svc unchanged' k apply -f "$WORK/fos-updated.yaml"
expect_output "the update is stored" '^31$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.failback.delaySeconds}'
expect_output "generation counts spec changes" '^2$' k get fos web-svc -n emojivoto -o 'jsonpath={.metadata.generation}'

expect_output "get fos shows the printer columns" '^NAME +PRIMARY +ACTIVE +STATE +READY +AGE' k get fos -n emojivoto
expect_output "get fos shows the primary cluster" '^web-svc +west ' k get fos -n emojivoto
expect_output "get -o yaml" 'kind: FailoverService' k get fos web-svc -n emojivoto -o yaml
expect_output "get -o yaml has server metadata" 'uid: [0-9a-f-]{36}' k get fos web-svc -n emojivoto -o yaml
expect_output "get -A shows the namespace column" '^emojivoto +web-svc +west' k get fos -A

# A second object so that --chunk-size=1 needs a continue token.
sed 's/name: web-svc$/name: web-svc-2/' "$fos" | k apply -f - >/dev/null
out="$(k get fos -A --chunk-size=1 -v=6 2>&1)"
grep -q 'limit=1&continue=' <<<"$out" || grep -q 'continue=.*limit=1' <<<"$out" || fail "get --chunk-size=1 did not page: $out"
grep -Eq '^emojivoto +web-svc ' <<<"$out" || fail "chunked get lost web-svc: $out"
grep -Eq '^emojivoto +web-svc-2 ' <<<"$out" || fail "chunked get lost web-svc-2: $out"

expect_output "explain reads the CRD schema" 'Backing services in priority order' k explain fos.spec.backingServices
expect_output "explain lists nested fields" 'cluster.*<string> -required-' k explain fos.spec.backingServices

expect_output "patch --type=json" 'web-svc patched' \
  k patch fos web-svc -n emojivoto --type=json -p '[{"op":"replace","path":"/spec/failback/delaySeconds","value":45}]'
expect_output "json patch applied" '^45$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.failback.delaySeconds}'
expect_output "patch --subresource=status --type=merge" 'web-svc patched' \
  k patch fos web-svc -n emojivoto --subresource=status --type=merge -p '{"status":{"state":"Primary"}}'
expect_output "status written" '^Primary$' k get fos web-svc -n emojivoto -o 'jsonpath={.status.state}'
expect_output "status shows in the printer columns" '^web-svc +west +Primary' k get fos web-svc -n emojivoto
expect_output "a main-resource patch keeps status" 'web-svc patched' \
  k patch fos web-svc -n emojivoto --type=merge -p '{"status":{"state":"Frozen"},"spec":{"failback":{"delaySeconds":46}}}'
expect_output "status unchanged by the main resource" '^Primary$' k get fos web-svc -n emojivoto -o 'jsonpath={.status.state}'

expect_output "apply --dry-run=server" 'configured \(server dry run\)' k apply --dry-run=server -f "$fos"
expect_output "dry run stored nothing" '^46$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.failback.delaySeconds}'

k get fos web-svc -n emojivoto -o yaml >"$WORK/stale.yaml"
expect_failure "create of an existing object" 'AlreadyExists.*"web-svc" already exists' k create -f "$WORK/stale.yaml"
k patch fos web-svc -n emojivoto --type=merge -p '{"spec":{"failback":{"delaySeconds":47}}}' >/dev/null
expect_failure "replace with a stale resourceVersion" 'Conflict.*the object has been modified' k replace -f "$WORK/stale.yaml"

expect_output "delete" 'failoverservice.switchyard.io "web-svc" deleted' k delete fos web-svc -n emojivoto
expect_failure "deleted object is gone when delete returns" 'NotFound' k get fos web-svc -n emojivoto
echo "PASS"
