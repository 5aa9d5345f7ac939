#!/usr/bin/env bash
# Before/after for the decision engine in one session: builds
# decision_bench from git revision REV (default integ) in a second build
# directory, then runs it and build/bin/decision_bench alternately, each
# pinned to core 0, printing the load average before every run. On a
# shared machine absolute figures drift with the other tenants' load; the
# alternation keeps the two binaries' figures side by side
# (docs/benchmarks.md "Decision engine").
#
#   bench/core/compare_decision.sh [REV] [ROUNDS] [FILTER]
set -euo pipefail
cd "$(dirname "$0")/../.."
rev="${1:-integ}"
rounds="${2:-2}"
filter="${3:-HealthFlip}"
old_src="${OLD_SRC:-/tmp/switchyard-decision-$(git rev-parse --short "$rev")}"
if [ ! -x "$old_src/build/bin/decision_bench" ]; then
  rm -rf "$old_src" && mkdir -p "$old_src"
  git archive "$rev" | tar -x -C "$old_src"
  cmake -S "$old_src" -B "$old_src/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$old_src/build" -j2 --target decision_bench >/dev/null
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for round in $(seq 1 "$rounds"); do
  for bench in "$old_src/build/bin/decision_bench" build/bin/decision_bench; do
    label=$([ "$bench" = build/bin/decision_bench ] && echo "this tree" || echo "$rev")
    echo "== round $round, $label, $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1-3 /proc/loadavg)"
    taskset -c 0 "$bench" --benchmark_filter="$filter" 2>/dev/null |
      awk '/^BM_/ {printf "%-34s %10s %s cpu\n", $1, $4, $5}'
  done
done
