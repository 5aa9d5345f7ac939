#!/usr/bin/env python3
"""Records answers of the REAL Prometheus (Debian's 2.42) for the agent's
query-codec unit tests (test/agent/prometheus_response_test.cpp and
data_plane_test.cpp): starts stand-in Linkerd proxies and Prometheus
scraping them every second (test/support/prometheus_harness.py), sends the
agent's own batched queries (from agent_prometheus_probe --print-queries)
and a few that make Prometheus answer otherwise, and writes each answer
verbatim to prometheus/NAME.json as {"query", "http_status", "body"}.

Run again after changing the queries:
  python3 test/agent/data/record_prometheus.py build/bin/agent_prometheus_probe
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "support"))
import prometheus_harness as ph  # noqa: E402

WATCH = ["emojivoto/web-svc/web", "emojivoto/voting-svc/voting", "books/authors/authors",
         "books/ghost/ghost", "slow/api/api"]


def main():
    probe = sys.argv[1]
    queries = subprocess.run([probe, "--prometheus-url", "http://unused", "--window", "10s", "--quantile", "0.99",
                              "--print-queries"] + [a for w in WATCH for a in ("--watch", w)],
                             check=True, capture_output=True, text=True).stdout.splitlines()
    success_query, latency_query = queries
    out = os.path.join(HERE, "prometheus")
    os.makedirs(out, exist_ok=True)
    with ph.DataPlane() as plane:
        plane.add_pod("emojivoto", "web", rps=20, failure_ratio=0.25, latency_ms=45)
        plane.add_pod("emojivoto", "web", rps=20, failure_ratio=0.25, latency_ms=45)  # two replicas
        plane.add_pod("emojivoto", "voting", rps=4, failure_ratio=0.0, latency_ms=3)
        plane.add_pod("books", "authors", rps=0)                   # series, no traffic
        plane.add_pod("slow", "api", rps=5, latency_ms=60000)      # past the last finite bucket
        plane.start_prometheus()
        time.sleep(12)  # the 10 s window full of samples
        cases = {
            "success_rate": success_query,
            "latency_p99": latency_query,
            "bad_data": "sum(rate(response_total[10s]",
            "matrix": 'response_total{direction="inbound"}[3s]',
            "scalar": "scalar(count(up))",
            "empty_vector": 'response_total{namespace="nowhere"}',
        }
        for name, query in cases.items():
            status, body = plane.query(query)
            with open(os.path.join(out, f"{name}.json"), "w") as f:
                json.dump({"query": query, "http_status": status, "body": body}, f, indent=1)
                f.write("\n")
            print(f"{name}: HTTP {status}, {len(body)} bytes")


if __name__ == "__main__":
    main()
