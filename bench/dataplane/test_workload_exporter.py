"""The benchmark's stand-in for many workloads (workload_exporter.py): its
exposition is valid, its counters follow the clock for every workload, and a
real Prometheus scraping it (prometheus_harness, honor_labels) gives each
workload its own series, which the agent's batched evaluation
(dataplane_evaluation_cost) measures with a number for every workload.

Run with: SWITCHYARD_BIN=build/bin /usr/bin/python3 -m unittest -v test_workload_exporter   (from this folder)
"""
import json
import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "support"))
import prometheus_harness as ph  # noqa: E402
import workload_exporter as we  # noqa: E402

BIN = os.environ.get("SWITCHYARD_BIN", os.path.join(HERE, "..", "..", "build", "bin"))
EXPORTER = os.path.join(HERE, "workload_exporter.py")


def series(text, metric):
    """{(deployment, labels after the workload's): value} of `metric`'s lines."""
    out = {}
    for line in text.splitlines():
        found = re.match(r'^%s\{direction="inbound",namespace="[^"]+",deployment="(w\d{5})",pod="[^"]+",(.*)\} (\S+)$'
                         % metric, line)
        if found:
            out[(found.group(1), found.group(2))] = float(found.group(3))
    return out


class WorkloadExporter(unittest.TestCase):
    def test_exposition_passes_promtool(self):
        text = we.Exposition(range(3), 2, rps=10, failure_ratio=0.2, latency_ms=120, started=0).render(now=30)
        done = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
        # Exit 1 is a parse error; 3 is lint only: Linkerd's own histogram
        # name, as fake_linkerd_proxy.py's exposition gets it.
        lint = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        self.assertIn(done.returncode, (0, 3), lint)
        self.assertEqual(lint, ["response_latency_ms metric names should not contain abbreviated units"])

    def test_counters_grow_and_every_workload_has_its_series(self):
        exposition = we.Exposition(range(5, 9), 3, rps=10, failure_ratio=0.2, latency_ms=120, started=100)
        first, later = exposition.render(now=110), exposition.render(now=130)
        totals, totals_later = series(first, "response_total"), series(later, "response_total")
        self.assertEqual(sorted({d for d, _ in totals}), ["w00005", "w00006", "w00007", "w00008"])
        success = 'status_code="200",classification="success",error=""'
        failure = 'status_code="500",classification="failure",error=""'
        for workload in ("w00005", "w00008"):
            self.assertEqual(totals[(workload, success)], 80)  # 10 rps x 10 s, 20% failing
            self.assertEqual(totals[(workload, failure)], 20)
            self.assertEqual(totals_later[(workload, success)], 240)
            self.assertEqual(totals_later[(workload, failure)], 60)
        buckets = series(later, "response_latency_ms_bucket")
        # 120 ms: not in the 100 ms bucket, in the 200 ms one and every larger one.
        self.assertEqual(buckets[("w00006", 'status_code="200",le="100"')], 0)
        self.assertEqual(buckets[("w00006", 'status_code="200",le="200"')], 240)
        self.assertEqual(buckets[("w00006", 'status_code="500",le="+Inf"')], 60)
        self.assertEqual(len(buckets), 4 * 2 * (len(we.LATENCY_BOUNDS_MS) + 1))
        self.assertIn('namespace="bench-2",deployment="w00008"', later)  # 8 mod 3

    def test_scraped_by_prometheus_with_its_own_labels(self):
        plane = ph.DataPlane(scrape_interval="1s")
        self.addCleanup(plane.stop)
        plane.add_exporter([sys.executable, EXPORTER, "--workloads", "3", "--first", "10", "--namespaces", "2",
                            "--rps", "20", "--failure-ratio", "0.25"], "exporter")
        plane.start_prometheus()
        time.sleep(3)  # a few scrapes, for rate() over 5 s
        status, body = plane.query('sum by (namespace, deployment, classification) '
                                   '(rate(response_total{direction="inbound"}[5s]))')
        self.assertEqual(status, 200, body)
        rates = {(r["metric"]["namespace"], r["metric"]["deployment"], r["metric"]["classification"]):
                 float(r["value"][1]) for r in json.loads(body)["data"]["result"]}
        self.assertEqual(sorted({(n, d) for n, d, _ in rates}),
                         [("bench-0", "w00010"), ("bench-0", "w00012"), ("bench-1", "w00011")])
        # The ratio, not the rate: rate() extrapolates over the first few
        # scrapes of a counter that starts near 0.
        failure, success = rates[("bench-1", "w00011", "failure")], rates[("bench-1", "w00011", "success")]
        self.assertGreater(success, 0)
        self.assertAlmostEqual(failure / (failure + success), 0.25, delta=0.03)

        # The agent's evaluation of workloads 0..12: the 3 served ones have
        # numbers, the 10 others none (no series: an error, never a number).
        done = subprocess.run([os.path.join(BIN, "dataplane_evaluation_cost"), "--prometheus-url", plane.url,
                               "--workloads", "13", "--namespaces", "2", "--rounds", "2", "--pause-ms", "0",
                               "--window", "5"], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        rounds = [json.loads(line) for line in done.stdout.splitlines()]
        self.assertEqual(len(rounds), 2)
        for measured in rounds:
            self.assertEqual(measured["services"], 13)
            self.assertEqual(measured["with_values"], 3)
            self.assertIn("no response_total series for deployment bench-0/w00000", measured["first_error"])
            # The round's queries are sent at once and timed as one entry:
            # rates by class (3 workloads x 2) and latencies (3).
            self.assertEqual([q["samples"] for q in measured["queries"]], [6 + 3])
            self.assertGreater(measured["cpu_ms"], 0)


if __name__ == "__main__":
    unittest.main()
