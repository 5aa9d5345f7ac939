#!/usr/bin/env bash
# Makes a self-signed serving certificate for the hub's agent API and stores
# it as the Secret switchyard-system/switchyard-hub-tls (use cert-manager
# instead where you have it; the Secret's name and keys are the same).
#
#   deploy/scripts/hub-certificate.sh HOSTNAME [--context MGMT_CONTEXT]
#
# HOSTNAME is the name agents dial (the load balancer's DNS name, or its IP
# address). The CA
# certificate agents must trust is written to ./switchyard-hub-ca.crt.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 HOSTNAME [--context MGMT_CONTEXT]" >&2; exit 2; }
host=$1
shift
context_args=()
[ $# -eq 2 ] && [ "$1" = "--context" ] && context_args=(--context "$2")

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Agents verify the name they dial: a load balancer that only has an IP
# address (no DNS name) needs an IP subjectAltName.
san="DNS:$host"
if [[ $host =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ || $host == *:* ]]; then san="IP:$host"; fi
openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=$host" \
  -addext "subjectAltName=$san" -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
kubectl "${context_args[@]}" -n switchyard-system create secret tls switchyard-hub-tls \
  --cert="$dir/tls.crt" --key="$dir/tls.key" --dry-run=client -o yaml |
  kubectl "${context_args[@]}" apply -f - >/dev/null
cp "$dir/tls.crt" ./switchyard-hub-ca.crt
echo "hub-certificate: Secret switchyard-system/switchyard-hub-tls written; agents trust ./switchyard-hub-ca.crt" >&2
