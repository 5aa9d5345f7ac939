#!/usr/bin/env bash
# kubectl get -w whose watch starts from a resourceVersion that fell out of
# the event window: the server answers 200 with an in-stream ERROR 410
# Expired; kubectl shows it and ends, and the next kubectl get -w re-lists
# and follows changes again. The --test-fault hook holds the first watch
# request for 4 s so that writes overtake kubectl's list-then-watch.
# Usage: watch_expired_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
fos_path=/apis/switchyard.io/v1alpha1/namespaces/emojivoto/failoverservices
start_server --event-window 2 --test-fault "GET:$fos_path:4000:0:1:watch"
setup_failoverservice

k get fos -n emojivoto -w >"$WORK/expired.out" 2>&1 &
first_watch=$!
BACKGROUND_PIDS+=($first_watch)
wait_for_file "first get -w lists" "$WORK/expired.out" '^web-svc +west'
for state in Primary FailedOver Frozen; do
  k patch fos web-svc -n emojivoto --subresource=status --type=merge -p "{\"status\":{\"state\":\"$state\"}}" >/dev/null
done
wait_for_file "the watch gets 410 Expired in the stream" "$WORK/expired.out" 'Expired +too old resource version' 20
wait "$first_watch" || true
grep -q 'FailedOver' "$WORK/expired.out" && fail "expired watch still delivered events: $(cat "$WORK/expired.out")"

k get fos -n emojivoto -w >"$WORK/again.out" 2>&1 &
BACKGROUND_PIDS+=($!)
wait_for_file "a new get -w re-lists the current state" "$WORK/again.out" '^web-svc +west +Frozen'
k patch fos web-svc -n emojivoto --subresource=status --type=merge -p '{"status":{"state":"Primary"}}' >/dev/null
wait_for_file "and follows changes again" "$WORK/again.out" '^web-svc +west +Primary'
echo "PASS"
