#!/usr/bin/env bash
# --tls without --token: the kubeconfig written still carries credentials
# (a generated token the server requires), so kubectl does not stop to ask
# for a user name. Usage: tls_without_token_test.sh BIN REPO
source "$(dirname "$0")/lib.sh"
NO_TOKEN=1 start_server

grep -Eq '^    token: [0-9a-f]{64}$' "$KUBECONFIG" || fail "kubeconfig without a generated token: $(cat "$KUBECONFIG")"
# stdin closed: a prompt for a user name would fail with EOF.
expect_output "kubectl uses the kubeconfig as written" '^default +Active' k get namespaces </dev/null
expect_output "kubectl writes with it" 'namespace/fresh created' k create namespace fresh </dev/null
status="$(curl -sk -o /dev/null -w '%{http_code}' "$SERVER_URL/api/v1/namespaces")"
[ "$status" = 401 ] || fail "a request without the generated token got $status, not 401"
echo PASS
