#!/usr/bin/env python3
"""A STAND-IN for many Linkerd-proxied workloads in one process, for the
data-plane evaluation benchmark only (bench/dataplane/dataplane_bench.py).

test/support/fake_linkerd_proxy.py is one pod per process, labelled by the
scrape config; 10,000 of those would measure process start-up, not
Prometheus. This serves, on one /metrics, the inbound series that the
agent's two batched queries read for `--workloads` workloads (one pod each):
`response_total` (classification success and failure, status_code 200 and
500) and the `response_latency_ms` histogram with linkerd2-proxy's bucket
bounds, per status code. The labels linkerd-viz's scrape adds (namespace,
deployment, pod) are in the exposition itself, so the scrape job needs
`honor_labels: true` (prometheus_harness.DataPlane.add_exporter). A real
proxy has more labels per series (authority, target_addr, tls, server and
client ids, route) and more series (outbound, per route, TCP); the query
selects on direction, namespace and deployment only.

Workload i (from --first) is deployment w<i> (5 digits) in namespace
bench-<i mod --namespaces>, pod w<i>-5d8f7c9b6-<5 characters>. Every
workload receives --rps requests a second since the exporter started, fails
--failure-ratio of them and answers them in --latency-ms: the counters are
functions of the clock, computed at each scrape.

Prints "listening on 127.0.0.1:PORT" once it serves (use --port 0).
"""
import argparse
import math
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "support"))
from fake_linkerd_proxy import LATENCY_BOUNDS_MS, serve  # noqa: E402

# Stands for the workload's labels in a block template (never in a label value).
HOLE = "\x00"


def workload_name(index):
    return f"w{index:05d}"


def workload_labels(index, namespaces):
    name = workload_name(index)
    suffix = f"{index:05x}"[-5:]
    return f'namespace="bench-{index % namespaces}",deployment="{name}",pod="{name}-5d8f7c9b6-{suffix}"'


class Exposition:
    """The whole /metrics text for `indexes`, rendered per scrape: one
    template per metric family with a HOLE where a workload's labels go,
    filled by str.replace (in C) once per workload."""

    def __init__(self, indexes, namespaces, rps, failure_ratio, latency_ms, started=None):
        self.labels = [workload_labels(i, namespaces) for i in indexes]
        self.rps, self.failure_ratio, self.latency_ms = rps, failure_ratio, latency_ms
        self.started = time.monotonic() if started is None else started

    def counts(self, now):
        requests = math.floor(self.rps * (now - self.started))
        failures = math.floor(requests * self.failure_ratio + 1e-9)
        return requests - failures, failures

    def render(self, now=None):
        success, failure = self.counts(time.monotonic() if now is None else now)
        inbound = 'direction="inbound",' + HOLE
        latency_lines = []
        total_lines = []
        for status, classification, count in (("200", "success", success), ("500", "failure", failure)):
            labels = f'{inbound},status_code="{status}"'
            for bound in LATENCY_BOUNDS_MS:
                in_bucket = count if self.latency_ms <= bound else 0
                latency_lines.append(f'response_latency_ms_bucket{{{labels},le="{bound}"}} {in_bucket}')
            latency_lines += [f'response_latency_ms_bucket{{{labels},le="+Inf"}} {count}',
                              f"response_latency_ms_count{{{labels}}} {count}",
                              f"response_latency_ms_sum{{{labels}}} {count * self.latency_ms:g}"]
            total_lines.append(f'response_total{{{labels},classification="{classification}",error=""}} {count}')
        latency_block = "\n".join(latency_lines) + "\n"
        total_block = "\n".join(total_lines) + "\n"
        parts = ["# HELP response_latency_ms Elapsed times between a request's headers being received "
                 "and its response stream completing\n# TYPE response_latency_ms histogram\n"]
        parts += [latency_block.replace(HOLE, labels) for labels in self.labels]
        parts.append("# HELP response_total Total count of HTTP responses\n# TYPE response_total counter\n")
        parts += [total_block.replace(HOLE, labels) for labels in self.labels]
        return "".join(parts)


def make_handler(exposition):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: the driver reads stdout for the port line
            pass

        def do_GET(self):
            if self.path != "/metrics":
                body, status = b"not found: /metrics is served\n", 404
            else:
                body, status = exposition.render().encode(), 200
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--first", type=int, default=0, help="index of the first workload served")
    parser.add_argument("--workloads", type=int, default=1000, help="how many workloads, from --first")
    parser.add_argument("--namespaces", type=int, default=100, help="workloads spread over this many namespaces")
    parser.add_argument("--rps", type=float, default=10.0, help="inbound requests a second per workload")
    parser.add_argument("--failure-ratio", type=float, default=0.01, help="share of requests failing, 0..1")
    parser.add_argument("--latency-ms", type=float, default=5.0, help="every request's latency")
    args = parser.parse_args()
    if not (0 <= args.first and 1 <= args.workloads and args.first + args.workloads <= 100000):
        parser.error("--first and --workloads: workloads are numbered 0..99999")
    if not 1 <= args.namespaces:
        parser.error(f"--namespaces: must be at least 1, got {args.namespaces}")
    if not 0 <= args.failure_ratio <= 1:
        parser.error(f"--failure-ratio: must be within 0..1, got {args.failure_ratio}")
    exposition = Exposition(range(args.first, args.first + args.workloads), args.namespaces, args.rps,
                            args.failure_ratio, args.latency_ms)
    return serve(ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(exposition)))


if __name__ == "__main__":
    sys.exit(main())
