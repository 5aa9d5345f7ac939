#!/usr/bin/env bash
# kubectl apply of built-in kinds the deploy/ manifests and the agent use.
# Usage: builtins_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
start_server
namespace_manifest emojivoto | k apply -f - >/dev/null

cat >"$WORK/builtins.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: web-svc
  namespace: emojivoto
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
    targetPort: 8080
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-svc-abcde
  namespace: emojivoto
  labels:
    kubernetes.io/service-name: web-svc
addressType: IPv4
ports:
- name: http
  port: 8080
  protocol: TCP
endpoints:
- addresses: ["10.0.0.1"]
  conditions: {ready: true}
- addresses: ["10.0.0.2"]
  conditions: {ready: false}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: emojivoto
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: example.invalid/web:1
YAML
out="$(k apply -f "$WORK/builtins.yaml" 2>&1)" || fail "apply built-ins: $out"
for expected in 'service/web-svc created' 'endpointslice.discovery.k8s.io/web-svc-abcde created' 'deployment.apps/web created'; do
  grep -q "$expected" <<<"$out" || fail "apply built-ins: missing '$expected' in: $out"
done
expect_output "Service got a cluster IP" '^10\.96\.' k get svc web-svc -n emojivoto -o 'jsonpath={.spec.clusterIP}'
expect_output "Service columns" '^web-svc +ClusterIP +10\.96\.' k get svc -n emojivoto
expect_output "EndpointSlice by label selector" 'web-svc-abcde' k get endpointslices -n emojivoto -l kubernetes.io/service-name=web-svc
expect_output "label selector excludes" 'No resources found' k get endpointslices -n emojivoto -l kubernetes.io/service-name=other
expect_output "Deployment stored" '^2$' k get deploy web -n emojivoto -o 'jsonpath={.spec.replicas}'
expect_output "get all (categories)" 'service/web-svc' k get all -n emojivoto
expect_output "apply again is a no-op" 'service/web-svc unchanged' k apply -f "$WORK/builtins.yaml"

# Updates of built-ins: kubectl sends strategic merge patches.
sed -e 's/targetPort: 8080/targetPort: 9090/' -e 's/replicas: 2/replicas: 3/' "$WORK/builtins.yaml" >"$WORK/builtins-2.yaml"
out="$(k apply -f "$WORK/builtins-2.yaml" 2>&1)" || fail "apply updated built-ins: $out"
grep -q 'service/web-svc configured' <<<"$out" || fail "Service update: $out"
grep -q 'deployment.apps/web configured' <<<"$out" || fail "Deployment update: $out"
expect_output "Service port merged by key" '^9090$' k get svc web-svc -n emojivoto -o 'jsonpath={.spec.ports[0].targetPort}'
expect_output "Deployment updated" '^3$' k get deploy web -n emojivoto -o 'jsonpath={.spec.replicas}'
expect_output "kubectl patch (strategic by default) merges list items by key" 'web-svc patched' \
  k patch svc web-svc -n emojivoto -p '{"spec":{"ports":[{"port":443,"name":"https","targetPort":8443}]}}'
expect_output "both ports kept" '^80 443$' k get svc web-svc -n emojivoto -o 'jsonpath={.spec.ports[*].port}'
# kubectl's generators send these as Kubernetes protobuf.
expect_output "create namespace" 'namespace/demo created' k create namespace demo
expect_output "create configmap" 'configmap/cfg created' k create configmap cfg -n demo --from-literal=a=b --from-literal=c=d
expect_output "configmap data" '^b d$' k get cm cfg -n demo -o 'jsonpath={.data.a} {.data.c}'
expect_output "create secret generic" 'secret/sec created' k create secret generic sec -n demo --from-literal=password=hunter2
expect_output "secret data is base64" '^aHVudGVyMg== Opaque$' k get secret sec -n demo -o 'jsonpath={.data.password} {.type}'
expect_output "secret table counts data keys" '^sec +Opaque +1 ' k get secret sec -n demo --no-headers
cat >"$WORK/event.yaml" <<'YAML'
apiVersion: v1
kind: Event
metadata: {name: web-svc.1, namespace: demo}
involvedObject: {apiVersion: switchyard.io/v1alpha1, kind: FailoverService, name: web-svc, namespace: demo}
reason: FailedOver
message: "traffic in west moved to east/demo/web-svc"
type: Warning
count: 3
firstTimestamp: "2020-01-01T00:00:00Z"
lastTimestamp: "2020-01-01T00:10:00Z"
source: {component: switchyard-hub}
YAML
k apply -f "$WORK/event.yaml" >/dev/null || fail "apply an Event"
expect_output "events print as a real server's" '^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$' k get events -n demo
expect_output "event row: last seen, object as kind/name" '^[0-9]+[yd][0-9dh]* +Warning +FailedOver +failoverservice/web-svc +traffic in west moved to east/demo/web-svc$' \
  k get events -n demo --no-headers
expect_output "event wide columns" '^LAST SEEN +TYPE +REASON +OBJECT +SUBOBJECT +SOURCE +MESSAGE +FIRST SEEN +COUNT +NAME$' \
  k get events -n demo -o wide
expect_output "event wide row: source, count and name" ' switchyard-hub +traffic in west moved to east/demo/web-svc +[0-9]+[yd][0-9dh]* +3 +web-svc\.1$' \
  k get events -n demo -o wide --no-headers
expect_output "no empty metadata strings from protobuf" '^$' k get ns demo -o 'jsonpath={.metadata.generateName}{.metadata.selfLink}'
expect_output "create serviceaccount" 'serviceaccount/robot created' k create serviceaccount robot -n demo
expect_output "create service clusterip" 'service/api created' k create service clusterip api -n demo --tcp=80:8080
expect_output "generated service" '^80 8080 ClusterIP api$' \
  k get svc api -n demo -o 'jsonpath={.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.type} {.spec.selector.app}'
expect_output "create service with a named target port" 'service/named created' k create service nodeport named -n demo --tcp=81:http
expect_output "named target port stays a string" '^http NodePort$' k get svc named -n demo -o 'jsonpath={.spec.ports[0].targetPort} {.spec.type}'
expect_output "create deployment" 'deployment.apps/api created' \
  k create deployment api -n demo --image=nginx:1.27 --port=8080 --replicas=0 -- nginx -g 'daemon off;'
expect_output "generated deployment (replicas 0 kept: a pointer set to zero)" '^0 api nginx:1.27 8080 nginx -g daemon off;$' \
  k get deploy api -n demo -o 'jsonpath={.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort} {.spec.template.spec.containers[0].command[*]}'
expect_output "create role" 'role.rbac.authorization.k8s.io/reader created' k create role reader -n demo --verb=get,list --resource=services
expect_output "generated role" '^get list services$' k get role reader -n demo -o 'jsonpath={.rules[0].verbs[*]} {.rules[0].resources[*]}'
expect_output "create rolebinding" 'rolebinding.rbac.authorization.k8s.io/reader created' \
  k create rolebinding reader -n demo --role=reader --serviceaccount=demo:robot
expect_output "generated rolebinding" '^Role reader ServiceAccount robot demo$' \
  k get rolebinding reader -n demo -o 'jsonpath={.roleRef.kind} {.roleRef.name} {.subjects[0].kind} {.subjects[0].name} {.subjects[0].namespace}'
expect_output "create clusterrole" 'clusterrole.rbac.authorization.k8s.io/svc-reader created' \
  k create clusterrole svc-reader --verb=get --resource=services --resource-name=api
expect_output "create clusterrolebinding" 'clusterrolebinding.rbac.authorization.k8s.io/svc-reader created' \
  k create clusterrolebinding svc-reader --clusterrole=svc-reader --user=alice
expect_output "generated clusterrolebinding" '^ClusterRole User alice$' \
  k get clusterrolebinding svc-reader -o 'jsonpath={.roleRef.kind} {.subjects[0].kind} {.subjects[0].name}'

expect_output "delete the namespace" 'namespace "emojivoto" deleted' k delete ns emojivoto
expect_output "namespace contents are gone" 'No resources found' k get endpointslices -A
echo "PASS"
