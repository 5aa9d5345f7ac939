"""The hub's and an agent's /metrics, scraped from the real processes, pass
`promtool check metrics` (Prometheus's own parser and linter) and carry the
process_* metrics and the *_build_info gauge that dashboards expect.

Run with: /usr/bin/python3 -m unittest -v test_metrics (from test/e2e, after `make build`).
"""

import os
import shutil
import subprocess
import sys
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet as fl  # noqa: E402

PROCESS_METRICS = ("process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                   "process_open_fds", "process_max_fds", "process_start_time_seconds")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        return response.read().decode()


def samples(text):
    """{metric name with labels: value} of the sample lines."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


class Metrics(unittest.TestCase):
    def setUp(self):
        self.promtool = shutil.which("promtool")
        self.assertIsNotNone(self.promtool, "promtool is missing: run scripts/install-deps (Debian's prometheus)")
        self.fleet = fl.Fleet(members=("west",), persist=False)
        self.addCleanup(self.fleet.stop)
        self.fleet.start()

    def check(self, component, port):
        fl.wait_for(f"{component} /metrics", lambda: fl.Fleet._http_ok(port, "/metrics"))
        text = scrape(port)
        checked = subprocess.run([self.promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                                 timeout=30)
        # promtool exits 1 on lint problems too; it names each on stderr/stdout.
        self.assertEqual(checked.returncode, 0, f"{component}:\n{checked.stdout}{checked.stderr}")
        self.assertEqual(checked.stdout + checked.stderr, "", component)
        values = samples(text)
        for name in PROCESS_METRICS:
            self.assertIn(name, values, f"{component} lacks {name}")
        self.assertGreater(values["process_resident_memory_bytes"], 1 << 20, component)
        self.assertGreaterEqual(values["process_max_fds"], values["process_open_fds"], component)
        build_info = [name for name in values if name.startswith(f"switchyard_{component}_build_info{{")]
        self.assertEqual(len(build_info), 1, f"{component}: {build_info}")
        self.assertIn('version="', build_info[0])
        self.assertEqual(values[build_info[0]], 1)

    def test_hub_and_agent_metrics_pass_promtool(self):
        self.check("hub", self.fleet.hub_metrics_port)
        self.check("agent", self.fleet.agent_metrics_ports["west"])


if __name__ == "__main__":
    unittest.main()
