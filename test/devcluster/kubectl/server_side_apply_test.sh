#!/usr/bin/env bash
# kubectl apply --server-side: create, update, field ownership for one
# manager (fields it stops applying are removed). Usage: server_side_apply_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
start_server
fos="$REPO/examples/emojivoto/failoverservice.yaml"

expect_output "server-side apply of CRDs" 'failoverservices.switchyard.io serverside-applied' k apply --server-side -f "$REPO/crds/"
namespace_manifest emojivoto | k apply --server-side -f - >/dev/null
expect_output "server-side apply creates" 'web-svc serverside-applied' k apply --server-side -f "$fos"
expect_output "kubectl owns the fields" '^kubectl Apply$' \
  k get fos web-svc -n emojivoto -o 'jsonpath={.metadata.managedFields[0].manager} {.metadata.managedFields[0].operation}'
sed 's/delaySeconds: 30/delaySeconds: 33/' "$fos" >"$WORK/updated.yaml"
expect_output "server-side apply updates" 'web-svc serverside-applied' k apply --server-side -f "$WORK/updated.yaml"
expect_output "update stored" '^33$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.failback.delaySeconds}'
# Drop the failback section: the manager no longer applies it, so it goes.
awk '/^  failback:/{skip=1; next} skip && /^    /{next} {skip=0; print}' "$WORK/updated.yaml" >"$WORK/dropped.yaml"
grep -q failback "$WORK/dropped.yaml" && fail "test manifest still has failback"
expect_output "server-side apply without a field" 'web-svc serverside-applied' k apply --server-side -f "$WORK/dropped.yaml"
expect_output "the dropped field is removed" '^$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.failback}'
expect_output "other fields stay" '^west$' k get fos web-svc -n emojivoto -o 'jsonpath={.spec.backingServices[0].cluster}'
echo "PASS"
