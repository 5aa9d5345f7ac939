#!/usr/bin/env bash
# Offline checks of deploy/: the copies kustomize needs are identical to
# their sources, every kustomization builds, and the scripts parse.
set -euo pipefail
root=$1
fail=0
same() {
  if ! cmp -s "$root/$1" "$root/$2"; then
    echo "FAIL: $2 differs from $1 (copy it again)"
    fail=1
  fi
}
same crds/failoverservice.yaml deploy/crds/failoverservice.yaml
same crds/membercluster.yaml deploy/crds/membercluster.yaml
same crds/trafficsplit.yaml deploy/smi/trafficsplit.yaml
same deploy/namespace.yaml deploy/agent/namespace.yaml

for dir in deploy deploy/agent deploy/smi; do
  if ! out=$(kubectl kustomize "$root/$dir" 2>&1); then
    echo "FAIL: kubectl kustomize $dir: $out"
    fail=1
  fi
done
# What the hub's kustomization must bring, by kind.
kinds=$(kubectl kustomize "$root/deploy" | grep '^kind:' | sort | uniq -c | tr -s ' ')
for want in "2 kind: CustomResourceDefinition" "1 kind: Deployment" "1 kind: NetworkPolicy" \
            "1 kind: ClusterRole" "1 kind: Role" "1 kind: Service" "1 kind: Namespace"; do
  if ! grep -q "^ *$want\$" <<<"$kinds"; then
    echo "FAIL: deploy/ does not build exactly '$want'"
    fail=1
  fi
done
for script in "$root"/deploy/scripts/*.sh; do
  bash -n "$script" || { echo "FAIL: $script does not parse"; fail=1; }
done
if [ "$fail" -eq 0 ]; then echo "deploy manifests: all checks passed"; fi
exit "$fail"
