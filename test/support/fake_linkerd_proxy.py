#!/usr/bin/env python3
"""A STAND-IN for a Linkerd-proxied pod, for tests and the demo only.

It is not a proxy and carries no traffic: it pretends that a meshed pod
receives `--rps` requests a second, fails `--failure-ratio` of them and
answers each after `--latency-ms`, and serves what the pod's linkerd-proxy
would count for that on its admin port's /metrics (Linkerd's proxy-metrics
reference: inbound `request_total`, `response_total` with `classification`
success/failure and `status_code`, the `response_latency_ms` histogram with
the proxy's bucket bounds). Counters grow with the clock, 10 steps a second,
so a Prometheus scraping it sees them rise as it would on a real pod.

The labels that Linkerd's Prometheus scrape config adds (namespace, pod,
deployment, ...) come from the scrape, not from the proxy: the Prometheus
config that scrapes this stand-in sets them (see prometheus_config.py).

Control while it runs:
  POST /control  with a JSON object, any of {"rps": 20, "failure_ratio": 0.6,
                 "latency_ms": 250}; answers the whole new state as JSON.
  GET  /control  answers the state.
Prints "listening on 127.0.0.1:PORT" once it serves (use --port 0).
"""
import argparse
import json
import math
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# linkerd2-proxy's latency bucket bounds in milliseconds (+Inf added on output).
LATENCY_BOUNDS_MS = [1, 2, 3, 4, 5, 10, 20, 30, 40, 50, 100, 200, 300, 400, 500,
                     1000, 2000, 3000, 4000, 5000, 10000, 20000, 30000, 40000, 50000]
STEP_SECONDS = 0.1
# Outbound traffic of the same pod: a query that forgets direction="inbound"
# counts it and gets a wrong answer, as it would on a real proxy.
OUTBOUND_RPS = 7.0


class Traffic:
    """Counters of one pod's simulated requests. `lock` guards every field."""

    def __init__(self, rps, failure_ratio, latency_ms):
        self.lock = threading.Lock()
        self.rps, self.failure_ratio, self.latency_ms = rps, failure_ratio, latency_ms
        self.success = 0
        self.failure = 0
        self.outbound = 0
        self.buckets = [0] * len(LATENCY_BOUNDS_MS)  # cumulative counts per bound
        self.latency_sum = {"success": 0.0, "failure": 0.0}
        self.latency_buckets = {"success": [0] * len(LATENCY_BOUNDS_MS),
                                "failure": [0] * len(LATENCY_BOUNDS_MS)}
        # Fractions of a request carried to the next step, so a low rate still
        # adds up exactly: 0.5 rps is one request every 2 s.
        self.carry_requests = 0.0
        self.carry_failures = 0.0
        self.carry_outbound = 0.0

    def advance(self, seconds):
        with self.lock:
            self.carry_requests += self.rps * seconds
            requests = math.floor(self.carry_requests)
            self.carry_requests -= requests
            self.carry_failures += requests * self.failure_ratio
            failures = min(requests, math.floor(self.carry_failures + 1e-9))
            self.carry_failures -= failures
            self._observe("failure", failures)
            self._observe("success", requests - failures)
            self.carry_outbound += OUTBOUND_RPS * seconds
            outbound = math.floor(self.carry_outbound)
            self.carry_outbound -= outbound
            self.outbound += outbound

    def _observe(self, classification, count):
        if count == 0:
            return
        if classification == "success":
            self.success += count
        else:
            self.failure += count
        self.latency_sum[classification] += count * self.latency_ms
        buckets = self.latency_buckets[classification]
        for i, bound in enumerate(LATENCY_BOUNDS_MS):
            if self.latency_ms <= bound:
                buckets[i] += count

    def set(self, changes):
        """Applies a control request; raises ValueError naming the field."""
        if not isinstance(changes, dict):
            raise ValueError("body: expected a JSON object")
        known = {"rps", "failure_ratio", "latency_ms"}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"{key}: unknown field (known: {', '.join(sorted(known))})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"{key}: expected a finite number, got {json.dumps(value)}")
        if "rps" in changes and not 0 <= changes["rps"] <= 1e6:
            raise ValueError(f"rps: must be within 0..1000000, got {changes['rps']}")
        if "failure_ratio" in changes and not 0 <= changes["failure_ratio"] <= 1:
            raise ValueError(f"failure_ratio: must be within 0..1, got {changes['failure_ratio']}")
        if "latency_ms" in changes and not 0 <= changes["latency_ms"] <= 3.6e6:
            raise ValueError(f"latency_ms: must be within 0..3600000, got {changes['latency_ms']}")
        with self.lock:
            self.rps = float(changes.get("rps", self.rps))
            self.failure_ratio = float(changes.get("failure_ratio", self.failure_ratio))
            self.latency_ms = float(changes.get("latency_ms", self.latency_ms))

    def state(self):
        with self.lock:
            return {"rps": self.rps, "failure_ratio": self.failure_ratio, "latency_ms": self.latency_ms,
                    "success": self.success, "failure": self.failure}

    def exposition(self, authority):
        inbound = f'direction="inbound",authority="{authority}",target_addr="127.0.0.1:8080",' \
                  f'target_ip="127.0.0.1",target_port="8080",tls="true",' \
                  f'client_id="default.emojivoto.serviceaccount.identity.linkerd.cluster.local",' \
                  f'srv_group="",srv_kind="default",srv_name="all-unauthenticated",srv_port="8080"'
        outbound = f'direction="outbound",authority="emoji-svc.emojivoto.svc.cluster.local:8080",' \
                   f'tls="true",server_id="emoji.emojivoto.serviceaccount.identity.linkerd.cluster.local"'
        lines = []
        with self.lock:
            total = self.success + self.failure
            lines += ["# HELP request_total Total count of HTTP requests.",
                      "# TYPE request_total counter",
                      f"request_total{{{inbound}}} {total}",
                      f"request_total{{{outbound}}} {self.outbound}",
                      "# HELP response_latency_ms Elapsed times between a request's headers being received "
                      "and its response stream completing",
                      "# TYPE response_latency_ms histogram"]
            for classification, status in (("success", "200"), ("failure", "500")):
                labels = f'{inbound},status_code="{status}"'
                buckets = self.latency_buckets[classification]
                for bound, count in zip(LATENCY_BOUNDS_MS, buckets):
                    lines.append(f'response_latency_ms_bucket{{{labels},le="{bound}"}} {count}')
                count = self.success if classification == "success" else self.failure
                lines += [f'response_latency_ms_bucket{{{labels},le="+Inf"}} {count}',
                          f"response_latency_ms_count{{{labels}}} {count}",
                          f"response_latency_ms_sum{{{labels}}} {self.latency_sum[classification]:g}"]
            lines += ["# HELP response_total Total count of HTTP responses",
                      "# TYPE response_total counter",
                      f'response_total{{{inbound},status_code="200",classification="success",error=""}} '
                      f"{self.success}",
                      f'response_total{{{inbound},status_code="500",classification="failure",error=""}} '
                      f"{self.failure}",
                      f'response_total{{{outbound},status_code="200",classification="success",error=""}} '
                      f"{self.outbound}"]
        return "\n".join(lines) + "\n"


def make_handler(traffic, authority):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet: tests read stdout for the port line
            pass

        def _send(self, status, body, content_type):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/metrics":
                self._send(200, traffic.exposition(authority), "text/plain; version=0.0.4")
            elif self.path == "/control":
                self._send(200, json.dumps(traffic.state()) + "\n", "application/json")
            else:
                self._send(404, "not found: /metrics and /control are served\n", "text/plain")

        def do_POST(self):
            if self.path != "/control":
                self._send(404, "not found: POST /control\n", "text/plain")
                return
            text = self.headers.get("Content-Length") or "0"
            if not text.isdigit():
                self._send(400, f"control: Content-Length {text!r} is not a byte count\n", "text/plain")
                return
            length = int(text)
            if length > 4096:
                self._send(413, "control body over 4096 bytes\n", "text/plain")
                return
            try:
                traffic.set(json.loads(self.rfile.read(length) or b"null"))
            except (ValueError, UnicodeDecodeError) as error:  # json.JSONDecodeError is a ValueError
                self._send(400, f"control: {error}\n", "text/plain")
                return
            self._send(200, json.dumps(traffic.state()) + "\n", "application/json")

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free one)")
    parser.add_argument("--rps", type=float, default=10.0, help="inbound requests a second")
    parser.add_argument("--failure-ratio", type=float, default=0.0, help="share of requests failing, 0..1")
    parser.add_argument("--latency-ms", type=float, default=5.0, help="time to the first response byte")
    parser.add_argument("--authority", default="web-svc.emojivoto.svc.cluster.local:80",
                        help="the :authority inbound requests name")
    args = parser.parse_args()
    traffic = Traffic(0.0, 0.0, 0.0)
    try:
        traffic.set({"rps": args.rps, "failure_ratio": args.failure_ratio, "latency_ms": args.latency_ms})
    except ValueError as error:
        parser.error(str(error).replace("_", "-", 1))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(traffic, args.authority))

    def tick():
        last = time.monotonic()
        while True:
            time.sleep(STEP_SECONDS)
            now = time.monotonic()
            traffic.advance(now - last)
            last = now

    threading.Thread(target=tick, daemon=True).start()
    return serve(server)


def serve(server):
    """Prints the line the harness waits for ("listening on 127.0.0.1:PORT"),
    then serves until interrupted; also bench/dataplane/workload_exporter.py's."""
    server.daemon_threads = True
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
