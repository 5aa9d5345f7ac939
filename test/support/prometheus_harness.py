"""A real Prometheus (Debian's prometheus 2.42) scraping stand-in Linkerd
proxies (fake_linkerd_proxy.py) every second, all on 127.0.0.1, for the
data-plane tests, the recording of test data and the demo.

The generated scrape config sets, per stand-in pod, the labels that
linkerd-viz's `linkerd-proxy` scrape job derives from Kubernetes pod
metadata (namespace, pod, deployment from linkerd.io/proxy-deployment,
control_plane_ns), since there is no Kubernetes service discovery here.
Everything started is stopped by stop(), also from a with-block on error.
"""

import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import fleet as fl  # noqa: E402

PROMETHEUS = os.environ.get("PROMETHEUS", "prometheus")
FAKE_PROXY = os.path.join(HERE, "fake_linkerd_proxy.py")


def _seconds(duration):
    """Seconds in a Prometheus duration of one unit: "1s", "10s", "500ms", "1m"."""
    for unit, scale in (("ms", 0.001), ("s", 1), ("m", 60)):
        if duration.endswith(unit) and duration[:-len(unit)].isdigit():
            return int(duration[:-len(unit)]) * scale
    raise ValueError(f"scrape_interval: {duration!r} is not a whole number of ms, s or m")


class FakePod:
    """One stand-in meshed pod: its process and its control endpoint."""

    def __init__(self, process, port, namespace, deployment, pod):
        self.process, self.port = process, port
        self.namespace, self.deployment, self.pod = namespace, deployment, pod

    def control(self, **changes):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/control", data=json.dumps(changes).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as response:
            return response.read().decode()


class DataPlane:
    def __init__(self, workdir=None, scrape_interval="1s"):
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="switchyard-dataplane-")
        # linkerd-viz scrapes every 10 s; the tests every second, to be quick.
        self.scrape_interval = scrape_interval
        self.pods = []
        # Processes that serve many workloads' series, labelled in their own
        # exposition (bench/dataplane/workload_exporter.py): (process, port).
        self.exporters = []
        self.prometheus = None
        self.prometheus_port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def add_pod(self, namespace, deployment, pod=None, rps=10.0, failure_ratio=0.0, latency_ms=5.0):
        pod = pod or f"{deployment}-5d8f7c9b6-{len(self.pods):05d}"
        process = fl.Process(f"fake-proxy-{pod}",
                             [sys.executable, FAKE_PROXY, "--port", "0", "--rps", str(rps),
                              "--failure-ratio", str(failure_ratio), "--latency-ms", str(latency_ms),
                              "--authority", f"{deployment}.{namespace}.svc.cluster.local:80"],
                             os.path.join(self.workdir, f"{pod}.log"))
        line = process.wait_stdout_line("listening on ")
        fake = FakePod(process, int(line.rsplit(":", 1)[1]), namespace, deployment, pod)
        self.pods.append(fake)
        return fake

    def add_exporter(self, argv, name):
        """A process serving many workloads' series with their namespace,
        deployment and pod labels, scraped with honor_labels; it prints
        "listening on 127.0.0.1:PORT"."""
        process = fl.Process(name, argv, os.path.join(self.workdir, f"{name}.log"))
        line = process.wait_stdout_line("listening on ")
        self.exporters.append((process, int(line.rsplit(":", 1)[1])))
        return process

    def config_text(self):
        targets = [{"targets": [f"127.0.0.1:{p.port}"],
                    "labels": {"namespace": p.namespace, "pod": p.pod, "deployment": p.deployment,
                               "control_plane_ns": "linkerd"}} for p in self.pods]
        interval = self.scrape_interval
        config = {"global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
                  "scrape_configs": [{"job_name": "linkerd-proxy", "static_configs": targets}]}
        if self.exporters:
            config["scrape_configs"].append(
                {"job_name": "linkerd-proxy-exporters", "honor_labels": True,
                 "static_configs": [{"targets": [f"127.0.0.1:{port}" for _, port in self.exporters]}]})
        return json.dumps(config, indent=2)  # JSON is YAML

    def start_prometheus(self):
        """Starts Prometheus and waits until it has scraped every pod once."""
        config_path = os.path.join(self.workdir, "prometheus.yml")
        with open(config_path, "w") as f:
            f.write(self.config_text())
        self.prometheus_port = fl.free_port()
        self.prometheus = fl.Process(
            "prometheus",
            [PROMETHEUS, f"--config.file={config_path}",
             f"--storage.tsdb.path={os.path.join(self.workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.prometheus_port}", "--log.level=warn"],
            os.path.join(self.workdir, "prometheus.log"))
        fl.wait_for("prometheus ready", lambda: self._ready(), timeout=60)
        want = len(self.pods) + len(self.exporters)
        fl.wait_for(f"prometheus to scrape {want} stand-in pods and exporters",
                    lambda: self._up_targets() == want, timeout=30 + 6 * _seconds(self.scrape_interval))

    @property
    def url(self):
        return f"http://127.0.0.1:{self.prometheus_port}"

    def _ready(self):
        if not self.prometheus.running():
            raise fl.FleetError(f"prometheus exited:\n{self.prometheus.log_tail()}")
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    def _up_targets(self):
        status, body = self.query('up{job=~"linkerd-proxy(-exporters)?"} == 1')
        if status != 200:
            return 0
        return len(json.loads(body)["data"]["result"])

    def query(self, promql):
        """(HTTP status, body) of POST /api/v1/query, as the agent sends it."""
        data = urllib.parse.urlencode({"query": promql}).encode()
        try:
            with urllib.request.urlopen(self.url + "/api/v1/query", data=data, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def stop(self):
        for process in [self.prometheus] + [p.process for p in self.pods] + [e for e, _ in self.exporters]:
            if process is not None:
                process.stop()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)
