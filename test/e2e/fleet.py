"""A local Switchyard fleet made of real processes: devclusters (a management
cluster and member clusters), the hub, and one agent per member cluster.

The demo (scripts/demo) and the end-to-end tests (test/e2e/) drive the same
fleet, with the real kubectl against the devclusters. Every process the fleet
starts is stopped by Fleet.stop(), which also runs when the with-block exits
on an error and when the interpreter exits.

Only the Python standard library and PyYAML (Debian python3-yaml) are used.
"""

import atexit
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
SYSTEM_NAMESPACE = "switchyard-system"
TS_GROUP = "trafficsplits.split.smi-spec.io"
GATEWAY_ROUTES = "httproutes.gateway.networking.k8s.io"
LINKERD_ROUTES = "httproutes.policy.linkerd.io"
# The released HTTPRoute CRDs (crds/third_party/README.md).
GATEWAY_CRD = os.path.join(REPO, "crds", "third_party", "gateway.networking.k8s.io_httproutes.yaml")
LINKERD_CRD = os.path.join(REPO, "crds", "third_party", "policy.linkerd.io_httproutes.yaml")


class FleetError(RuntimeError):
    pass


def free_port():
    """A port that was free a moment ago, for the binaries whose listen flag
    needs a number up front."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, predicate, timeout=20.0, interval=0.05):
    """Polls predicate until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except FleetError as e:
            last_error = e
        time.sleep(interval)
    detail = f" (last error: {last_error})" if last_error else ""
    raise FleetError(f"timed out after {timeout:.0f}s waiting for {what}{detail}")


class Process:
    """One child process in its own process group, its output in a log file."""

    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.popen = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env)
        self._stdout_lines = []
        self._stdout_cond = threading.Condition()
        self._pump = threading.Thread(target=self._pump_stdout, daemon=True)
        self._pump.start()

    def _pump_stdout(self):
        for raw in self.popen.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self._log.write(raw)
            self._log.flush()
            with self._stdout_cond:
                self._stdout_lines.append(line)
                self._stdout_cond.notify_all()
        self.popen.stdout.close()
        with self._stdout_cond:
            self._stdout_cond.notify_all()

    def wait_stdout_line(self, prefix, timeout=20.0):
        deadline = time.monotonic() + timeout
        with self._stdout_cond:
            while True:
                for line in self._stdout_lines:
                    if line.startswith(prefix):
                        return line
                if self.popen.poll() is not None:
                    raise FleetError(f"{self.name} exited with {self.popen.returncode} before printing "
                                     f"'{prefix}'; see {self.log_path}:\n{self.log_tail()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise FleetError(f"{self.name} did not print '{prefix}' within {timeout:.0f}s; "
                                     f"see {self.log_path}")
                self._stdout_cond.wait(min(remaining, 0.2))

    def running(self):
        return self.popen.poll() is None

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Stops the process group; SIGKILL when it does not exit in time."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        self._pump.join(timeout=5)
        if not self._log.closed:
            self._log.close()
        return self.popen.returncode

    def kill(self):
        return self.stop(sig=signal.SIGKILL)


class Cluster:
    """One devcluster: its process, URL, kubeconfig and token."""

    def __init__(self, name, process, url, kubeconfig, token, data_dir):
        self.name, self.process, self.url = name, process, url
        self.kubeconfig, self.token, self.data_dir = kubeconfig, token, data_dir


class Fleet:
    """A management cluster and member clusters, with the hub and agents.

    with Fleet(members=["west", "east"]) as fleet:
        fleet.start()          # devclusters, CRDs, MemberClusters, hub, agents
        fleet.kubectl("mgmt", "get", "fos", "-A")
    """

    def __init__(self, members=("west", "east"), workdir=None, bin_dir=None, report_interval="1s",
                 cluster_timeout="15s", keep_workdir=False, persist=True):
        self.members = list(members)
        self.bin_dir = bin_dir or os.environ.get("SWITCHYARD_BIN", os.path.join(REPO, "build", "bin"))
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="switchyard-fleet-")
        self.keep_workdir = keep_workdir
        self.report_interval = report_interval
        # Persisted devclusters survive a restart (the member-restart scenario)
        # but rewrite their whole store every 50 ms while written to: the
        # benchmarks turn it off.
        self.persist = persist
        self.cluster_timeout = cluster_timeout
        # Extra devcluster flags per cluster name (the chaos suite's --test-fault hooks).
        self.cluster_args = {}
        # Extra agent flags per cluster name (the data-plane tests' --prometheus-url).
        self.agent_args = {}
        self.clusters = {}
        self.hub = None
        self.hub_url = None
        self.hub_metrics_port = None
        self.agents = {}
        self.agent_metrics_ports = {}
        self.kubeconfig = os.path.join(self.workdir, "kubeconfig")
        self._processes = []
        atexit.register(self.stop)

    # --- context manager -------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # --- processes -------------------------------------------------------
    def _binary(self, name):
        path = os.path.join(self.bin_dir, name)
        if not os.access(path, os.X_OK):
            raise FleetError(f"{path} is missing: build first (make build)")
        return path

    def _spawn(self, name, argv):
        process = Process(name, argv, os.path.join(self.workdir, f"{name}.log"))
        self._processes.append(process)
        return process

    def start_cluster(self, name):
        """Starts (or restarts, keeping its data) the devcluster `name`."""
        old = self.clusters.get(name)
        token = old.token if old else secrets.token_hex(16)
        data_dir = old.data_dir if old else os.path.join(self.workdir, f"{name}-data")
        kubeconfig = os.path.join(self.workdir, f"{name}.kubeconfig")
        listen = f"127.0.0.1:{old.url.rsplit(':', 1)[1]}" if old else "127.0.0.1:0"
        argv = [self._binary("switchyard-devcluster"), "--listen", listen, "--tls", "--token", token,
                "--kubeconfig-out", kubeconfig, "--context-name", name]
        if self.persist:
            argv += ["--data-dir", data_dir]
        argv += self.cluster_args.get(name, [])
        process = self._spawn(f"devcluster-{name}", argv)
        url = process.wait_stdout_line("ready ").split(" ", 1)[1].strip()
        self.clusters[name] = Cluster(name, process, url, kubeconfig, token, data_dir)
        self._write_merged_kubeconfig()
        return self.clusters[name]

    def _write_merged_kubeconfig(self):
        """One kubeconfig with a context per cluster. Each devcluster writes its
        own file; they are merged here with every entry renamed after its
        context, so that equal cluster or user names cannot shadow each other."""
        merged = {"apiVersion": "v1", "kind": "Config", "clusters": [], "users": [], "contexts": [],
                  "current-context": "mgmt" if "mgmt" in self.clusters else next(iter(self.clusters))}
        for name, cluster in self.clusters.items():
            with open(cluster.kubeconfig) as f:
                config = yaml.safe_load(f)
            context = next(c for c in config["contexts"] if c["name"] == config.get("current-context", name))
            source_cluster = next(c for c in config["clusters"] if c["name"] == context["context"]["cluster"])
            source_user = next(u for u in config["users"] if u["name"] == context["context"]["user"])
            merged["clusters"].append({"name": name, "cluster": source_cluster["cluster"]})
            merged["users"].append({"name": name, "user": source_user["user"]})
            merged["contexts"].append({"name": name, "context": {"cluster": name, "user": name}})
        with open(self.kubeconfig, "w") as f:
            yaml.safe_dump(merged, f)

    def event_reasons(self, context, namespace):
        """The reasons of the Events in `namespace`, read with kubectl."""
        return self.kubectl(context, "get", "events", "-n", namespace, "-o", "jsonpath={.items[*].reason}").split()

    def kubectl(self, context, *args, input=None, check=True, timeout=30):
        argv = [KUBECTL, "--kubeconfig", self.kubeconfig, "--context", context, *args]
        result = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise FleetError(f"{' '.join(argv[3:])} failed ({result.returncode}): {result.stderr.strip()}")
        return result.stdout if check else result

    def apply(self, context, manifest):
        """kubectl apply of a manifest given as a dict, a list of dicts or YAML text."""
        if not isinstance(manifest, str):
            docs = manifest if isinstance(manifest, list) else [manifest]
            manifest = yaml.safe_dump_all(docs)
        return self.kubectl(context, "apply", "-f", "-", input=manifest)

    def get_json(self, context, *args):
        return json.loads(self.kubectl(context, "get", *args, "-o", "json"))

    def start(self, hub=True, agents=True):
        """The whole fleet: devclusters, CRDs, registrations, hub and agents."""
        self.start_cluster("mgmt")
        for member in self.members:
            self.start_cluster(member)
        self.kubectl("mgmt", "apply", "-f", os.path.join(REPO, "crds"))
        for member in self.members:
            self.kubectl(member, "apply", "-f", os.path.join(REPO, "crds", "trafficsplit.yaml"))
        self.apply("mgmt", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": SYSTEM_NAMESPACE}})
        for member in self.members:
            self.register_member(member)
        if hub:
            self.start_hub()
        if agents:
            for member in self.members:
                self.start_agent(member)
        return self

    def register_member(self, name):
        """A token Secret and the MemberCluster, as deploy/scripts/register-cluster.sh makes them."""
        token = secrets.token_hex(32)
        token_file = os.path.join(self.workdir, f"agent-{name}.token")
        with open(token_file, "w") as f:
            f.write(token)
        self.apply("mgmt", [
            {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
             "metadata": {"name": f"agent-{name}", "namespace": SYSTEM_NAMESPACE},
             "data": {"token": base64.b64encode(token.encode()).decode()}},
            {"apiVersion": "switchyard.io/v1alpha1", "kind": "MemberCluster", "metadata": {"name": name},
             "spec": {"tokenSecretRef": {"namespace": SYSTEM_NAMESPACE, "name": f"agent-{name}", "key": "token"}}},
        ])
        return token_file

    def _hub_certificate(self):
        cert = os.path.join(self.workdir, "hub.crt")
        key = os.path.join(self.workdir, "hub.key")
        if not os.path.exists(cert):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
        return cert, key

    def start_hub(self, name="hub", extra_args=()):
        cert, key = self._hub_certificate()
        if self.hub_url is None:
            self.hub_url = f"https://127.0.0.1:{free_port()}"
            self.hub_metrics_port = free_port()
        port = self.hub_url.rsplit(":", 1)[1]
        process = self._spawn(name, [
            self._binary("switchyard-hub"), "--kubeconfig", self.clusters["mgmt"].kubeconfig,
            "--namespace", SYSTEM_NAMESPACE, "--listen", f"127.0.0.1:{port}",
            "--tls-cert", cert, "--tls-key", key,
            "--metrics-listen", f"127.0.0.1:{self.hub_metrics_port}",
            "--cluster-timeout", self.cluster_timeout, *extra_args])
        self.hub = process
        wait_for("the hub to be ready", lambda: self._http_ok(self.hub_metrics_port, "/readyz") or
                 self._raise_if_dead(process))
        return process

    def _raise_if_dead(self, process):
        if not process.running():
            raise FleetError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")
        return False

    @staticmethod
    def _http_ok(port, path):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
                return s.recv(64).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def start_agent(self, name):
        cert, _ = self._hub_certificate()
        metrics_port = free_port()
        process = self._spawn(f"agent-{name}", [
            self._binary("switchyard-agent"), "--cluster", name, "--hub", self.hub_url,
            "--token-file", os.path.join(self.workdir, f"agent-{name}.token"), "--hub-ca", cert,
            "--kubeconfig", self.clusters[name].kubeconfig, "--metrics-listen", f"127.0.0.1:{metrics_port}",
            "--report-interval", self.report_interval, *self.agent_args.get(name, ())])
        self.agents[name] = process
        self.agent_metrics_ports[name] = metrics_port
        return process

    def stop_cluster(self, name):
        self.clusters[name].process.stop()

    def stop_gracefully(self):
        """SIGTERM to every running process, the newest first (agents and the
        hub before the API servers they talk to); {name: exit code}. A process
        that does not exit within 10 s is killed and shows -9."""
        codes = {}
        for process in reversed(self._processes):
            if process.running():
                codes[process.name] = process.stop()
        return codes

    def stop(self):
        for process in reversed(self._processes):
            if process.running():
                process.stop()
        self._processes = [p for p in self._processes if p.running()]
        if self.own_workdir and not self.keep_workdir and os.path.isdir(self.workdir):
            shutil.rmtree(self.workdir, ignore_errors=True)

    # --- reading the fleet -----------------------------------------------
    def traffic_split(self, cluster, namespace, name):
        """The TrafficSplit's backends as {service: weight}, or None when it does not exist."""
        result = self.kubectl(cluster, "get", TS_GROUP, "-n", namespace, name, "-o", "json", check=False)
        if result.returncode != 0:
            if "NotFound" in result.stderr or "not found" in result.stderr:
                return None
            raise FleetError(f"get trafficsplit {namespace}/{name} in {cluster}: {result.stderr.strip()}")
        split = json.loads(result.stdout)
        return {b["service"]: _weight(b.get("weight")) for b in split["spec"].get("backends", [])}

    def http_route(self, cluster, namespace, name, resource=GATEWAY_ROUTES):
        """The HTTPRoute's backendRefs as {service: weight}, or None when it does not exist."""
        result = self.kubectl(cluster, "get", resource, "-n", namespace, name, "-o", "json", check=False)
        if result.returncode != 0:
            if "NotFound" in result.stderr or "not found" in result.stderr:
                return None
            raise FleetError(f"get {resource} {namespace}/{name} in {cluster}: {result.stderr.strip()}")
        route = json.loads(result.stdout)
        return {ref["name"]: ref.get("weight", 1) for ref in route["spec"]["rules"][0]["backendRefs"]}

    def fos_status(self, namespace, name):
        fos = self.get_json("mgmt", "failoverservices.switchyard.io", "-n", namespace, name)
        return fos.get("status", {})


def _weight(value):
    """Weights as numbers, whatever the SMI version's shape (v1alpha1 quantities like "500m")."""
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return int(text[:-1]) / 1000 if text.endswith("m") else float(text)


# --- member-cluster objects: what a mesh and its workloads would create -----

def service(namespace, name, port=8080):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"ports": [{"name": "http", "port": port, "targetPort": port}]}}


def endpoint_slice(namespace, service_name, addresses, ready=True, port=8080, slice_name=None):
    """An EndpointSlice of `service_name` with one endpoint per address, all
    ready or all not ready (as the endpoints controller writes them)."""
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": slice_name or f"{service_name}-slice", "namespace": namespace,
                         "labels": {"kubernetes.io/service-name": service_name}},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [a], "conditions": {"ready": ready}} for a in addresses],
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}]}


def namespace(name):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


class KubectlWatch:
    """Watches one object with `kubectl get -w -o jsonpath=TEMPLATE` and
    records when each version arrived (monotonic seconds), parsed by `parse`."""

    def __init__(self, fleet, cluster, resource, namespace, name, template, parse):
        self.cluster, self.resource = cluster, resource
        self.events = []
        self._parse = parse
        self._cond = threading.Condition()
        self.process = subprocess.Popen(
            [KUBECTL, "--kubeconfig", fleet.kubeconfig, "--context", cluster, "get", resource, "-n", namespace,
             name, "-w", "-o", f"jsonpath={template}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            value = self._parse(line.strip())
            with self._cond:
                self.events.append((time.monotonic(), value))
                self._cond.notify_all()

    def wait_started(self, timeout=20.0):
        """Waits for the watch's first line (the current state), so that a
        change made after this returns is timed from a running watch."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self.events:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise FleetError(f"kubectl get -w of {self.resource} in {self.cluster} did not start")
                self._cond.wait(0.2)

    def wait_until(self, predicate, after, timeout=20.0):
        """The arrival time of the first version, seen after `after`, for which predicate(value)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for at, weights in self.events:
                    if at >= after and predicate(weights):
                        return at, weights
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    last = self.events[-1][1] if self.events else None
                    raise FleetError(f"{self.resource} in {self.cluster} did not reach the expected state "
                                     f"within {timeout:.0f}s (last seen: {last})")
                self._cond.wait(min(remaining, 0.2))

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait()


def split_watch(fleet, cluster, namespace, name):
    """A watch of one TrafficSplit's weights, as {backend service: weight}."""
    # kubectl 1.32 ends a watch after the first change when the template uses
    # {range}: print the two lists side by side instead.
    template = '{.spec.backends[*].service}{"|"}{.spec.backends[*].weight}{"\\n"}'

    def parse(line):
        services, _, weights = line.partition("|")
        return {service: _weight(w) for service, w in zip(services.split(), weights.split())}
    return KubectlWatch(fleet, cluster, TS_GROUP, namespace, name, template, parse)


def route_watch(fleet, cluster, namespace, name, resource=GATEWAY_ROUTES):
    """A watch of one HTTPRoute's backendRef weights, as {backend service: weight}."""
    template = ('{.spec.rules[0].backendRefs[*].name}{"|"}{.spec.rules[0].backendRefs[*].weight}{"\\n"}')

    def parse(line):
        services, _, weights = line.partition("|")
        return {service: int(w) for service, w in zip(services.split(), weights.split())}
    return KubectlWatch(fleet, cluster, resource, namespace, name, template, parse)


def endpoint_slice_watch(fleet, cluster, namespace, name):
    """A watch of one EndpointSlice's endpoints' ready conditions, as a list of booleans."""
    return KubectlWatch(fleet, cluster, "endpointslices.discovery.k8s.io", namespace, name,
                        '{.endpoints[*].conditions.ready}{"\\n"}', lambda line: [w == "true" for w in line.split()])
