#!/usr/bin/env bash
# kubectl get events --field-selector, as docs/troubleshooting.md tells users
# to run it: Events are selected by the fields kube-apiserver selects them by
# (involvedObject.*, reason, type, source, reportingComponent), in lists,
# across namespaces and in watches; unknown fields are refused.
source "$(dirname "$0")/lib.sh"
start_server

expect_output "create namespace" 'namespace/demo created' k create namespace demo
event() {  # name kind object reason type source-component reporting-controller
  printf 'apiVersion: v1\nkind: Event\nmetadata: {name: %s, namespace: demo}\n' "$1"
  printf 'involvedObject: {apiVersion: switchyard.io/v1alpha1, kind: %s, name: %s, namespace: demo, uid: uid-%s}\n' "$2" "$3" "$1"
  printf 'reason: %s\ntype: %s\nmessage: "%s"\n' "$4" "$5" "$1"
  [ -n "$6" ] && printf 'source: {component: %s}\n' "$6"
  [ -n "$7" ] && printf 'reportingComponent: %s\n' "$7"
  printf -- '---\n'
}
{
  event failed-web FailoverService web-svc FailedOver Warning switchyard-hub ""
  event back-web FailoverService web-svc FailedBack Normal switchyard-hub ""
  event failed-api FailoverService api-svc FailedOver Warning "" switchyard.io/hub
  event west MemberCluster west ApplyFailed Warning switchyard-hub ""
} >"$WORK/events.yaml"
expect_output "apply events" 'event/west created' k apply -f "$WORK/events.yaml"

names() { k get events "$@" -o 'jsonpath={range .items[*]}{.metadata.name}{" "}{end}'; }
expect_output "kind and reason" '^failed-api failed-web $' \
  names -n demo --field-selector involvedObject.kind=FailoverService,reason=FailedOver
expect_output "troubleshooting.md: kind and name" '^back-web failed-web $' \
  names -n demo --field-selector involvedObject.kind=FailoverService,involvedObject.name=web-svc
expect_output "troubleshooting.md: all namespaces" '^west $' \
  names -A --field-selector involvedObject.kind=MemberCluster
expect_output "type and !=" '^failed-api failed-web west $' names -n demo --field-selector type=Warning
expect_output "not equal" '^back-web failed-api failed-web $' names -n demo --field-selector 'involvedObject.kind!=MemberCluster'
expect_output "uid" '^west $' names -n demo --field-selector involvedObject.uid=uid-west
expect_output "namespace of the object" '^back-web failed-api failed-web west $' \
  names -n demo --field-selector involvedObject.namespace=demo
expect_output "source falls back to reportingComponent" '^failed-api $' \
  names -n demo --field-selector source=switchyard.io/hub
expect_output "reportingComponent" '^failed-api $' names -n demo --field-selector reportingComponent=switchyard.io/hub
expect_output "source.component" '^back-web failed-web west $' names -n demo --field-selector source=switchyard-hub
expect_failure "an unknown field" 'field label not supported: involvedObject.color' \
  k get events -n demo --field-selector involvedObject.color=red
expect_failure "event fields on other kinds" 'field label not supported: reason' \
  k get configmaps -n demo --field-selector reason=FailedOver

# A watch sees only the selected Events.
k get events -n demo --watch-only --field-selector involvedObject.kind=FailoverService,reason=FailedOver \
  -o 'jsonpath={.metadata.name}{"\n"}' >"$WORK/watch.out" 2>&1 &
BACKGROUND_PIDS+=($!)
sleep 1
{
  event later-west MemberCluster west FailedOver Warning switchyard-hub ""
  event later-web FailoverService web-svc FailedOver Warning switchyard-hub ""
} >"$WORK/later.yaml"
k apply -f "$WORK/later.yaml" >/dev/null || fail "apply later events"
wait_for_file "watch gets the selected event" "$WORK/watch.out" '^later-web$'
grep -q later-west "$WORK/watch.out" && fail "watch got an event it did not select: $(cat "$WORK/watch.out")"
echo "PASS"
