"""The agent end to end (issue 6): devclusters for the management and member
clusters, the real switchyard-hub and switchyard-agent processes, read and
driven with the real kubectl. Reuses the fleet of test/e2e/fleet.py; every
process is stopped when a test ends, also when it fails.

Run one with: /usr/bin/python3 -m unittest -v test_agent_e2e.AgentE2E.test_foreign_split_left_alone
(from this folder, SWITCHYARD_BIN pointing at the binaries).
"""

import base64
import json
import os
import re
import sys
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
import fleet as fl  # noqa: E402

NS = "shop"
GATEWAY = "172.18.0.1"
MEMBERS = ("west", "east")


def failover_service(name="checkout"):
    return {"apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"backingServices": [{"cluster": m, "namespace": NS, "name": name} for m in MEMBERS],
                     "failback": {"delaySeconds": 2}}}


def all_on(*backends):
    wanted = set(backends)
    return lambda w: w is not None and all((w.get(b, 0) > 0) == (b in wanted) for b in set(w) | wanted)


def log_text(process):
    with open(process.log_path, errors="replace") as f:
        return f.read()


def metrics_port(process):
    """The agent's metrics port, from its log (the last one when a restarted
    agent appended to the same log)."""
    ports = re.findall(r"serving /metrics, /healthz and /readyz port=(\d+)", log_text(process))
    return ports[-1] if ports else None


def probe(process, path):
    """HTTP status of /healthz or /readyz."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port(process)}{path}", timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def metric(process, series):
    """A sample from the agent's /metrics; 0 when absent."""
    port = metrics_port(process)
    if not port:
        return 0
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            body = response.read().decode()
    except OSError:
        return 0
    for line in body.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    return 0


class AgentE2E(unittest.TestCase):
    def setUp(self):
        self.fleet = fl.Fleet(members=MEMBERS)
        self.addCleanup(self.fleet.stop)

    # --- helpers -------------------------------------------------------------
    def start(self, hub=True, agents=True):
        self.fleet.start(hub=False, agents=False)
        # The token Secrets again with `data` as well as the fleet's
        # `stringData`: a real API server folds stringData into data, the
        # devcluster may not yet.
        for member in MEMBERS:
            with open(os.path.join(self.fleet.workdir, f"agent-{member}.token")) as f:
                token = f.read().strip()
            secret = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                      "metadata": {"name": f"agent-{member}", "namespace": fl.SYSTEM_NAMESPACE},
                      "data": {"token": base64.b64encode(token.encode()).decode()}}
            self.fleet.kubectl("mgmt", "replace", "-f", "-", input=json.dumps(secret))
        self.fleet.apply("mgmt", fl.namespace(NS))
        if hub:
            self.fleet.start_hub()
        if agents:
            for member in MEMBERS:
                self.fleet.start_agent(member)

    def deploy(self, cluster, ready=True):
        """checkout with two endpoints in `cluster` and a ready mirror of the other member."""
        other = next(m for m in MEMBERS if m != cluster)
        self.fleet.apply(cluster, [
            fl.namespace(NS), fl.service(NS, "checkout"),
            fl.endpoint_slice(NS, "checkout", [f"10.{len(cluster)}.0.1", f"10.{len(cluster)}.0.2"], ready=ready),
            fl.service(NS, f"checkout-{other}"), fl.endpoint_slice(NS, f"checkout-{other}", [GATEWAY])])

    def set_ready(self, cluster, ready):
        """Rewrites the slice as the EndpointSlice controller would (an update)."""
        slice_ = fl.endpoint_slice(NS, "checkout", [f"10.{len(cluster)}.0.1", f"10.{len(cluster)}.0.2"], ready=ready)
        self.fleet.kubectl(cluster, "replace", "-f", "-", input=json.dumps(slice_))

    def split(self, cluster):
        return self.fleet.traffic_split(cluster, NS, "checkout")

    def wait_split(self, cluster, predicate, timeout=30):
        return fl.wait_for(f"TrafficSplit {NS}/checkout in {cluster}", lambda: predicate(self.split(cluster)),
                           timeout=timeout)

    def wait_on_primary(self):
        self.wait_split("west", all_on("checkout"))
        self.wait_split("east", all_on("checkout-west"))

    def converge_on_primary(self):
        self.start()
        for member in MEMBERS:
            self.deploy(member)
        self.fleet.apply("mgmt", failover_service())
        self.wait_on_primary()

    # --- scenarios -------------------------------------------------------------
    def test_endpoint_changes_move_every_consumer(self):
        self.converge_on_primary()
        labels = self.fleet.get_json("west", fl.TS_GROUP, "-n", NS, "checkout")["metadata"]["labels"]
        self.assertEqual(labels.get("app.kubernetes.io/managed-by"), "switchyard")
        for member in MEMBERS:
            agent = self.fleet.agents[member]
            self.assertEqual(probe(agent, "/healthz"), 200)
            self.assertEqual(probe(agent, "/readyz"), 200)
            self.assertEqual(metric(agent, "switchyard_agent_hub_connected"), 1)
            fl.wait_for(f"{member}'s agent to show its applied revision",
                        lambda: metric(agent, "switchyard_agent_applied_revision") >= 1)

        self.set_ready("west", False)  # the primary loses its ready endpoints
        self.wait_split("west", all_on("checkout-east"))
        self.wait_split("east", all_on("checkout"))

        self.set_ready("west", True)  # back, and after the failback delay traffic returns
        self.wait_on_primary()
        member = self.fleet.get_json("mgmt", "memberclusters.switchyard.io", "west")
        self.assertTrue(member.get("status", {}).get("connected"), member.get("status"))

    def test_foreign_split_left_alone(self):
        self.start()
        for member in MEMBERS:
            self.deploy(member)
        foreign = {"apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
                   "metadata": {"name": "checkout", "namespace": NS, "labels": {"team": "payments"}},
                   "spec": {"service": "checkout", "backends": [{"service": "checkout", "weight": 7}]}}
        self.fleet.apply("east", foreign)
        self.fleet.apply("mgmt", failover_service())
        self.wait_split("west", all_on("checkout"))
        fl.wait_for("the east agent to report the conflict",
                    lambda: "not managed by switchyard" in log_text(self.fleet.agents["east"]))
        self.assertEqual(self.split("east"), {"checkout": 7})
        self.assertGreaterEqual(metric(self.fleet.agents["east"], "switchyard_agent_apply_failing"), 1)
        labels = self.fleet.get_json("east", fl.TS_GROUP, "-n", NS, "checkout")["metadata"]["labels"]
        self.assertEqual(labels, {"team": "payments"})

    def test_missing_crd_is_reported(self):
        self.start(agents=False)
        self.fleet.kubectl("east", "delete", "crd", "trafficsplits.split.smi-spec.io")
        for member in MEMBERS:
            self.fleet.start_agent(member)
            self.deploy(member)
        self.fleet.apply("mgmt", failover_service())
        self.wait_split("west", all_on("checkout"))
        fl.wait_for("the east agent to report the missing CRD",
                    lambda: "TrafficSplit CRD missing" in log_text(self.fleet.agents["east"]))
        self.assertTrue(self.fleet.agents["east"].running())
        # Installed later, the CRD is used at the next retry.
        self.fleet.kubectl("east", "apply", "-f", os.path.join(fl.REPO, "crds", "trafficsplit.yaml"))
        self.wait_split("east", all_on("checkout-west"), timeout=60)

    def test_hub_outage_changes_nothing_then_converges(self):
        self.converge_on_primary()
        before = {m: self.split(m) for m in MEMBERS}
        self.fleet.hub.stop()
        self.set_ready("west", False)  # the hub is not there to decide on it
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for member in MEMBERS:
                self.assertEqual(self.split(member), before[member], f"{member} changed while the hub was down")
            self.assertTrue(all(agent.running() for agent in self.fleet.agents.values()))
            time.sleep(1)
        self.fleet.start_hub()
        self.wait_split("west", all_on("checkout-east"), timeout=60)
        self.wait_split("east", all_on("checkout"), timeout=60)

    def test_agent_restart_reports_again_and_flips_nothing(self):
        self.converge_on_primary()
        watchers = {m: fl.split_watch(self.fleet, m, NS, "checkout") for m in MEMBERS}
        for watcher in watchers.values():
            self.addCleanup(watcher.stop)
        fl.wait_for("the split watchers to see the current weights", lambda: all(w.events for w in watchers.values()))
        old = self.fleet.agents["west"]
        self.assertEqual(old.stop(), 0)  # SIGTERM: a clean stop
        new = self.fleet.start_agent("west")
        fl.wait_for("the restarted agent to have reports accepted by the hub",
                    lambda: metric(new, 'switchyard_agent_reports_sent_total{outcome="ok"}') >= 2)
        self.assertGreaterEqual(metric(new, "switchyard_agent_applied_revision"), 1)
        time.sleep(3)  # a few report intervals: a flip, if any, would have happened by now
        for member, watcher in watchers.items():
            with watcher._cond:
                weights = [w for _, w in watcher.events]
            self.assertTrue(all(w == weights[0] for w in weights), f"{member} flipped: {weights}")
        self.assertTrue(new.running())



if __name__ == "__main__":
    unittest.main()
