#!/usr/bin/env bash
# Registers a member cluster with the hub.
#
#   deploy/scripts/register-cluster.sh NAME HUB_URL HUB_CA_FILE [--context MGMT_CONTEXT] > agent-NAME.yaml
#
# On the management cluster (kubectl's current context, or --context), it
# creates the Secret switchyard-system/agent-NAME holding a fresh random token
# and the MemberCluster NAME pointing at it. On standard output it prints the
# Secret and ConfigMap the agent needs in the member cluster; apply them there
# with `kubectl --context NAME apply -f agent-NAME.yaml`, then
# `kubectl --context NAME apply -k deploy/agent/`.
set -euo pipefail

usage() { echo "usage: $0 NAME HUB_URL HUB_CA_FILE [--context MGMT_CONTEXT]" >&2; exit 2; }
[ $# -ge 3 ] || usage
name=$1 hub_url=$2 hub_ca=$3
shift 3
context_args=()
if [ $# -gt 0 ]; then
  [ "$1" = "--context" ] && [ $# -eq 2 ] || usage
  context_args=(--context "$2")
fi
if ! [[ $name =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || [ ${#name} -gt 63 ]; then
  echo "register-cluster: cluster name \"$name\" must be a DNS label (lower-case letters, digits, '-', at most 63)" >&2
  exit 2
fi
[ -r "$hub_ca" ] || { echo "register-cluster: cannot read hub CA file $hub_ca" >&2; exit 2; }

token=$(openssl rand -hex 32)
mgmt=(kubectl "${context_args[@]}")

"${mgmt[@]}" create namespace switchyard-system --dry-run=client -o yaml | "${mgmt[@]}" apply -f - >/dev/null
"${mgmt[@]}" -n switchyard-system create secret generic "agent-$name" \
  --from-literal=token="$token" --dry-run=client -o yaml | "${mgmt[@]}" apply -f - >/dev/null
cat <<YAML | "${mgmt[@]}" apply -f - >/dev/null
apiVersion: switchyard.io/v1alpha1
kind: MemberCluster
metadata:
  name: $name
spec:
  tokenSecretRef: {namespace: switchyard-system, name: agent-$name, key: token}
YAML
echo "register-cluster: MemberCluster $name registered; its token is in switchyard-system/agent-$name" >&2

cat <<YAML
apiVersion: v1
kind: Namespace
metadata:
  name: switchyard-system
---
apiVersion: v1
kind: Secret
metadata:
  name: switchyard-agent
  namespace: switchyard-system
type: Opaque
data:
  token: $(printf '%s' "$token" | base64 -w0)
  hub-ca.crt: $(base64 -w0 < "$hub_ca")
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: switchyard-agent
  namespace: switchyard-system
data:
  cluster: $name
  hubURL: $hub_url
YAML
