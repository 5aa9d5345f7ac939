# Shared by the kubectl tests: starts switchyard-devcluster on a free port
# with TLS, a bearer token and a kubeconfig, and stops it (and anything the
# test started in the background) on exit, also when the test fails.
set -euo pipefail

DEVCLUSTER_BIN="$1"
REPO="$2"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/devcluster-kubectl.XXXXXX")"
SERVER_PID=""
BACKGROUND_PIDS=()
export KUBECONFIG="$WORK/kubeconfig"
export KUBECTL="${KUBECTL:-/usr/bin/kubectl}"
# kubectl keeps discovery and OpenAPI caches; a fresh one per test run.
export KUBECACHEDIR="$WORK/cache"

cleanup() {
  local status=$?
  for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ $status -ne 0 ]; then
    echo "--- server stderr ---"
    cat "$WORK/server.err" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit $status
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# start_server [extra flags...]: waits for the `ready <url>` line. With
# NO_TOKEN=1 the server gets no --token (and makes one up).
start_server() {
  local token_flags=(--token "test-token-$$")
  if [ "${NO_TOKEN:-}" = 1 ]; then token_flags=(); fi
  "$DEVCLUSTER_BIN" --listen 127.0.0.1:0 --tls "${token_flags[@]}" --kubeconfig-out "$KUBECONFIG" \
    --context-name devcluster-test "$@" >"$WORK/server.out" 2>"$WORK/server.err" &
  SERVER_PID=$!
  for _ in $(seq 1 200); do
    if grep -q '^ready ' "$WORK/server.out" 2>/dev/null; then
      SERVER_URL="$(sed -n 's/^ready //p' "$WORK/server.out")"
      export SERVER_URL
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited: $(cat "$WORK/server.err")"
    sleep 0.05
  done
  fail "server did not print ready"
}

k() { "$KUBECTL" --request-timeout=20s "$@"; }

# expect_output "description" "regex" command...: runs the command, which must
# succeed, and checks its combined output.
expect_output() {
  local what="$1" pattern="$2"
  shift 2
  local out
  out="$("$@" 2>&1)" || fail "$what: command failed: $* -> $out"
  grep -Eq -- "$pattern" <<<"$out" || fail "$what: output does not match /$pattern/: $out"
}

# expect_failure "description" "regex" command...: the command must fail with
# an error matching regex.
expect_failure() {
  local what="$1" pattern="$2"
  shift 2
  local out
  if out="$("$@" 2>&1)"; then fail "$what: command succeeded: $* -> $out"; fi
  grep -Eq -- "$pattern" <<<"$out" || fail "$what: error does not match /$pattern/: $out"
}

# wait_for_file "description" file regex [seconds]
wait_for_file() {
  local what="$1" file="$2" pattern="$3" seconds="${4:-15}"
  for _ in $(seq 1 $((seconds * 20))); do
    grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "$what: $file never matched /$pattern/: $(cat "$file" 2>/dev/null)"
}

# raw_request METHOD PATH CONTENT_TYPE BODY_FILE: prints "<status> <body>".
raw_request() {
  local method="$1" path="$2" type="$3" body="$4"
  local token
  token="$(sed -n 's/^ *token: //p' "$KUBECONFIG")"
  curl -sk -o "$WORK/raw.body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
    -H "Content-Type: $type" --data-binary "@$body" "$SERVER_URL$path"
  echo " $(cat "$WORK/raw.body")"
}

namespace_manifest() {
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n' "$1"
}

# CRDs and the emojivoto FailoverService, as most tests need them.
setup_failoverservice() {
  k apply -f "$REPO/crds/" >/dev/null
  namespace_manifest emojivoto | k apply -f - >/dev/null
  k apply -f "$REPO/examples/emojivoto/failoverservice.yaml" >/dev/null
}
