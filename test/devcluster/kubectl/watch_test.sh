#!/usr/bin/env bash
# kubectl get -w and kubectl wait see changes another process makes.
# Usage: watch_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
start_server
setup_failoverservice

k get fos -n emojivoto -w >"$WORK/watch.out" 2>&1 &
BACKGROUND_PIDS+=($!)
wait_for_file "get -w lists first" "$WORK/watch.out" '^web-svc +west'
k patch fos web-svc -n emojivoto --subresource=status --type=merge -p '{"status":{"state":"FailedOver"}}' >/dev/null
wait_for_file "get -w sees the status update" "$WORK/watch.out" '^web-svc +west +FailedOver'

k wait -n emojivoto --for=jsonpath='{.status.state}'=NoHealthyBackend fos/web-svc --timeout=20s >"$WORK/wait.out" 2>&1 &
wait_pid=$!
BACKGROUND_PIDS+=($wait_pid)
sleep 0.5
kill -0 "$wait_pid" 2>/dev/null || fail "kubectl wait returned before the condition held: $(cat "$WORK/wait.out")"
k patch fos web-svc -n emojivoto --subresource=status --type=merge -p '{"status":{"state":"NoHealthyBackend"}}' >/dev/null
wait "$wait_pid" || fail "kubectl wait failed: $(cat "$WORK/wait.out")"
grep -q 'condition met' "$WORK/wait.out" || fail "kubectl wait: $(cat "$WORK/wait.out")"

echo "PASS"
