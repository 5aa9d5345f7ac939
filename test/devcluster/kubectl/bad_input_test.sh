#!/usr/bin/env bash
# Schema violations and malformed requests get the right Status, and the
# server keeps serving with nothing lost. Usage: bad_input_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
start_server
setup_failoverservice
fos="$REPO/examples/emojivoto/failoverservice.yaml"
ns_path=/apis/switchyard.io/v1alpha1/namespaces/emojivoto/failoverservices

sed 's/cluster: west/cluster: WEST!/' "$fos" | sed 's/name: web-svc$/name: bad-svc/' >"$WORK/bad.yaml"
expect_failure "schema violation is 422 naming the field" \
  'FailoverService "bad-svc" is invalid: spec.backingServices\[0\].cluster: Invalid value: "WEST!"' k apply -f "$WORK/bad.yaml"
sed 's/minReadyEndpoints: 1/minReadyEndpoints: 1\n    colour: red/' "$fos" >"$WORK/unknown.yaml"
expect_failure "unknown field with strict validation" 'unknown field "spec.health.colour"' k apply -f "$WORK/unknown.yaml"

printf '{"apiVersion":"switchyard.io/v1alpha1","kind":"FailoverService","metadata":{"name":"x"},"spec":{"backingServices":[{"cluster":"west","namespace":"n","name":"s"}]}}' >"$WORK/valid.json"
printf '{"apiVersion": "switchyard.io/v1alpha1", "kind": ' >"$WORK/truncated.json"
out="$(raw_request POST "$ns_path" application/json "$WORK/truncated.json")"
echo "$out" | grep -Eq '^400 .*"reason":"BadRequest"' || fail "malformed JSON: $out"
echo "$out" | grep -q '"message":"error decoding JSON' || fail "malformed JSON message: $out"

printf 'apiVersion: v1\nkind: [unclosed\n' >"$WORK/bad.yaml"
out="$(raw_request POST "$ns_path" application/yaml "$WORK/bad.yaml")"
echo "$out" | grep -Eq '^400 .*"reason":"BadRequest"' || fail "malformed YAML: $out"

out="$(raw_request POST /apis/switchyard.io/v1alpha1/namespaces/emojivoto/nosuchthings application/json "$WORK/valid.json")"
echo "$out" | grep -Eq '^404 .*"reason":"NotFound"' || fail "unknown resource: $out"
expect_failure "kubectl on an unknown resource" "the server doesn't have a resource type" k get nosuchthings

head -c $((3 * 1024 * 1024 + 10)) /dev/zero | tr '\0' 'a' >"$WORK/huge.json"
out="$(raw_request POST "$ns_path" application/json "$WORK/huge.json")"
echo "$out" | grep -Eq '^413 ' || fail "over 3 MiB: $out"

printf 'k8s\000\012\377' >"$WORK/bad.pb"
out="$(raw_request POST /api/v1/namespaces application/vnd.kubernetes.protobuf "$WORK/bad.pb")"
echo "$out" | grep -Eq '^400 .*malformed protobuf' || fail "malformed protobuf: $out"
# A Deployment whose pod spec sets field 22 (tolerations), which devcluster
# does not decode: 415 naming where, not a silently dropped field.
printf 'k8s\000\012\025\012\007apps/v1\022\012Deployment\022\034\012\003\012\001d\022\025\032\023\022\021\262\001\016\012\001k\022\006Exists\032\001x' >"$WORK/toleration.pb"
out="$(raw_request POST /apis/apps/v1/namespaces/emojivoto/deployments application/vnd.kubernetes.protobuf "$WORK/toleration.pb")"
echo "$out" | grep -Eq '^415 .*protobuf field 22 of spec.template.spec \(PodSpec\)' || fail "undecoded protobuf field: $out"

printf '{"spec":{}}' >"$WORK/patch.json"
out="$(raw_request PATCH "$ns_path/web-svc" application/x-unknown-patch "$WORK/patch.json")"
echo "$out" | grep -Eq '^415 .*"reason":"UnsupportedMediaType"' || fail "unknown patch type: $out"
out="$(raw_request PATCH "$ns_path/web-svc" application/strategic-merge-patch+json "$WORK/patch.json")"
echo "$out" | grep -Eq '^415 .*"reason":"UnsupportedMediaType"' || fail "strategic merge on a custom resource: $out"

printf '[{"op":"replace","path":"/spec/nope/deeper","value":1}]' >"$WORK/jsonpatch.json"
out="$(raw_request PATCH "$ns_path/web-svc" application/json-patch+json "$WORK/jsonpatch.json")"
echo "$out" | grep -Eq '^(422|400) ' || fail "json patch on a missing path: $out"

# Nothing above crashed the server or changed the stored object.
expect_output "server still serves the object" '^web-svc +west' k get fos web-svc -n emojivoto
expect_output "object unchanged" '^30$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.failback.delaySeconds}'
kill -0 "$SERVER_PID" || fail "server died"
echo "PASS"
