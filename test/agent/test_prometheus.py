"""The agent's Prometheus client against the real Prometheus (issue 15):
stand-in Linkerd proxies (test/support/fake_linkerd_proxy.py) scraped every
second by Debian's prometheus, measured by agent_prometheus_probe (the
agent's client, batched queries and evaluation, alone). Every process is
stopped when a test ends, also when it fails.

Run one with: SWITCHYARD_BIN=build/bin /usr/bin/python3 -m unittest -v \
    test_prometheus.PrometheusE2E.test_success_rate_follows_failure_ratio   (from this folder)
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
import prometheus_harness as ph  # noqa: E402

PROBE = os.path.join(os.environ.get("SWITCHYARD_BIN", os.path.join(HERE, "..", "..", "build", "bin")),
                     "agent_prometheus_probe")
WINDOW = "5s"


def measure(url, *watch, quantile=None, maximum_ms=None, latency_window=None):
    argv = [PROBE, "--prometheus-url", url, "--window", WINDOW]
    if maximum_ms is not None:
        argv += ["--latency-maximum-ms", str(maximum_ms)]
    if latency_window is not None:
        argv += ["--latency-window", latency_window]
    for w in watch:
        argv += ["--watch", w]
    if quantile is not None:
        argv += ["--quantile", str(quantile)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise AssertionError(f"probe exited {done.returncode}: {done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines()]


def wait_until(what, predicate, timeout=40.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = predicate()
        if ok:
            return last
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; last: {last}")


class WithDataPlane(unittest.TestCase):
    """Stand-in pods and (when started) Prometheus, stopped after each test."""

    def setUp(self):
        self.plane = ph.DataPlane()
        self.addCleanup(self.plane.stop)


class StandIn(WithDataPlane):
    def test_exposition_passes_promtool(self):
        pod = self.plane.add_pod("emojivoto", "web", rps=50, failure_ratio=0.3, latency_ms=120)
        time.sleep(0.5)
        done = subprocess.run(["promtool", "check", "metrics"], input=pod.metrics(), capture_output=True, text=True)
        # Exit 1 is a parse error; 3 is lint only. Linkerd's own histogram is
        # named response_latency_ms, which promtool's lint flags: that, and
        # nothing else, is expected (the real proxy's exposition gets it too).
        lint = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        self.assertIn(done.returncode, (0, 3), lint)
        self.assertEqual(lint, ["response_latency_ms metric names should not contain abbreviated units"])

    def test_counters_grow_with_the_clock(self):
        pod = self.plane.add_pod("emojivoto", "web", rps=40, failure_ratio=0.25)

        def inbound(text, classification):
            found = re.search(r'^response_total\{direction="inbound",[^}]*classification="%s"[^}]*\} (\d+)$'
                              % classification, text, re.M)
            return int(found.group(1))

        first = pod.metrics()
        time.sleep(1.0)
        second = pod.metrics()
        grown = (inbound(second, "success") + inbound(second, "failure")) - \
                (inbound(first, "success") + inbound(first, "failure"))
        self.assertGreaterEqual(grown, 30)  # 40 rps over >= 1 s, less a step of jitter either side
        self.assertLessEqual(grown, 60)
        state = pod.control(failure_ratio=1.0)
        self.assertEqual(state["failure_ratio"], 1.0)

    def test_control_refuses_bad_input_and_keeps_its_state(self):
        pod = self.plane.add_pod("emojivoto", "web", rps=10)
        for body, message in [({"failure_ratio": 1.5}, "failure_ratio: must be within 0..1"),
                              ({"rps": "fast"}, 'rps: expected a finite number, got "fast"'),
                              ({"rps": True}, "rps: expected a finite number, got true"),
                              ({"latency": 3}, "latency: unknown field"),
                              ([1], "body: expected a JSON object")]:
            with self.subTest(body=body):
                with self.assertRaises(urllib.error.HTTPError) as raised:
                    pod.control(**body) if isinstance(body, dict) else self._post(pod, body)
                self.assertEqual(raised.exception.code, 400)
                self.assertIn(message, raised.exception.read().decode())
        for length, status in [("-1", 400), ("x", 400), ("99999", 413)]:
            with self.subTest(content_length=length):
                with socket.create_connection(("127.0.0.1", pod.port), timeout=5) as raw:
                    raw.sendall(f"POST /control HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
                    self.assertIn(f" {status} ".encode(), raw.recv(200).split(b"\r\n")[0] + b" ")
        with urllib.request.urlopen(f"http://127.0.0.1:{pod.port}/control", timeout=5) as response:
            state = json.load(response)
        self.assertEqual((state["rps"], state["failure_ratio"]), (10.0, 0.0))

    @staticmethod
    def _post(pod, body):
        request = urllib.request.Request(f"http://127.0.0.1:{pod.port}/control", data=json.dumps(body).encode(),
                                         method="POST")
        urllib.request.urlopen(request, timeout=5)


class PrometheusE2E(WithDataPlane):
    def test_success_rate_follows_failure_ratio(self):
        web = self.plane.add_pod("emojivoto", "web", rps=20, failure_ratio=0.0, latency_ms=25)
        self.plane.add_pod("emojivoto", "voting", rps=5, failure_ratio=0.0, latency_ms=3)
        self.plane.start_prometheus()
        watch = ("emojivoto/web-svc/web", "emojivoto/voting-svc/voting")

        def web_success(low, high):
            def check():
                m = measure(self.plane.url, *watch, quantile=0.5)
                rate = m[0]["success_rate"].get("value")
                # The window full of samples: until then rate() sees less.
                full = abs(m[0].get("request_rate", 0) - 20) <= 2
                return full and rate is not None and low <= rate <= high, m
            return check

        m = wait_until("web at 100% success and 20 rps", web_success(1.0, 1.0))
        self.assertGreater(m[0]["latency_ms"]["value"], 20)   # 25 ms: in the (20, 30] bucket
        self.assertLessEqual(m[0]["latency_ms"]["value"], 30)
        t0 = time.monotonic()
        web.control(failure_ratio=0.6, latency_ms=450)
        m = wait_until("web at 40% success", web_success(0.38, 0.42))
        print(f"\nsuccess rate reached 40% +-2 {time.monotonic() - t0:.1f} s after the stand-in's failure "
              f"ratio went to 60% (window {WINDOW}, scrape 1 s)", file=sys.stderr)
        self.assertEqual(m[1]["success_rate"]["value"], 1.0)  # the other workload is unaffected
        wait_until("web latency p50 in the (400, 500] bucket",
                   lambda: (lambda m: (400 < m[0]["latency_ms"].get("value", 0) <= 500, m))(
                       measure(self.plane.url, *watch, quantile=0.5)))

    def test_share_within_a_bound_agrees_with_histogram_quantile(self):
        """The latency check's cheap path: "quantile q <= maximum" iff "the
        share within maximum >= q" when maximum is a bucket bound, on the
        real Prometheus's histogram_quantile."""
        self.plane.add_pod("emojivoto", "web", rps=30, latency_ms=25)   # (20, 30]
        self.plane.add_pod("emojivoto", "web", rps=10, latency_ms=450)  # (400, 500]: 25% of web's requests
        self.plane.add_pod("emojivoto", "voting", rps=5, latency_ms=3)
        self.plane.add_pod("books", "authors", rps=0)                     # series, no traffic
        self.plane.start_prometheus()
        watch = ("emojivoto/web-svc/web", "emojivoto/voting-svc/voting", "books/authors/authors",
                 "emojivoto/ghost/ghost")

        def full_window():
            m = measure(self.plane.url, *watch, quantile=0.99, maximum_ms=300)
            share = m[0]["latency_within_share"].get("value")
            return abs(m[0].get("request_rate", 0) - 40) <= 2 and share is not None and 0.72 <= share <= 0.78, m

        m = wait_until("web's share within 300 ms near 75%", full_window)
        self.assertNotIn("latency_ms", m[0])  # the share path does not run the quantile query
        self.assertEqual(m[1]["latency_within_share"], {"value": 1.0})
        self.assertEqual(m[2]["latency_within_share"], {})  # no traffic: neither a number nor an error
        self.assertEqual(m[3]["latency_within_share"],
                         {"error": "no response_latency_ms series for deployment emojivoto/ghost"})
        # A latency window that is not the rates' divides by a count query
        # of its own (6 s: its first answers extrapolate over the series'
        # start, so it is read once it too has a full window).
        wait_until("web's share over its count query near 75%", lambda: (lambda m: (
            0.72 <= m[0]["latency_within_share"].get("value", 0) <= 0.78, m))(
                measure(self.plane.url, watch[0], quantile=0.99, maximum_ms=300, latency_window="6s")))
        for q in (0.5, 0.7, 0.8, 0.9, 0.99):
            with self.subTest(quantile=q):
                share = measure(self.plane.url, watch[0], quantile=q, maximum_ms=300)[0]["latency_within_share"]
                quantile = measure(self.plane.url, watch[0], quantile=q)[0]["latency_ms"]
                self.assertEqual(share["value"] >= q, quantile["value"] <= 300, (share, quantile))
                counted = measure(self.plane.url, watch[0], quantile=q, maximum_ms=300,
                                  latency_window="6s")[0]["latency_within_share"]
                self.assertEqual(counted["value"] >= q, quantile["value"] <= 300, (counted, quantile))
        # A maximum between bounds keeps the quantile query (interpolation inside a bucket).
        between = measure(self.plane.url, watch[0], quantile=0.5, maximum_ms=250)[0]
        self.assertNotIn("latency_within_share", between)
        self.assertLessEqual(between["latency_ms"]["value"], 30)

    def test_prometheus_killed_gives_an_error_not_a_number(self):
        self.plane.add_pod("emojivoto", "web", rps=20, failure_ratio=0.1)
        self.plane.start_prometheus()
        wait_until("a measured success rate", lambda: (lambda m: (
            m[0]["success_rate"].get("value") is not None, m))(measure(self.plane.url, "emojivoto/web-svc/web")))
        self.plane.prometheus.kill()
        m = measure(self.plane.url, "emojivoto/web-svc/web", quantile=0.99)
        self.assertEqual(len(m), 1)
        self.assertNotIn("request_rate", m[0])
        self.assertNotIn("value", m[0]["success_rate"])
        self.assertNotIn("value", m[0]["latency_ms"])
        self.assertRegex(m[0]["success_rate"]["error"], r"^success rate query: prometheus http://127\.0\.0\.1:\d+ "
                                                         r"unreachable: ")
        self.assertRegex(m[0]["latency_ms"]["error"], r"^latency query: prometheus .* unreachable: ")

    def test_unscraped_workload_is_an_error_not_a_number(self):
        self.plane.add_pod("emojivoto", "web", rps=20)
        self.plane.start_prometheus()
        m = wait_until("web measured", lambda: (lambda m: (m[0]["success_rate"].get("value") is not None, m))(
            measure(self.plane.url, "emojivoto/web-svc/web", "emojivoto/ghost/ghost")))
        self.assertEqual(m[1]["success_rate"], {"error": "no response_total series for deployment emojivoto/ghost"})


if __name__ == "__main__":
    unittest.main()
