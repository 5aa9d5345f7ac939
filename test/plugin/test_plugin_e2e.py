"""kubectl switchyard through kubectl's plugin mechanism (the built binary's
folder on PATH) against real devclusters: one with the CRDs, one without.

PluginE2E applies the project's CRDs (so every patch the plugin sends must
pass their schema) and checks what the plugin writes and reads; PluginFleetE2E
adds the hub and agents and checks what the hub makes of it."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from fleet import Fleet, KUBECTL, REPO, endpoint_slice, namespace, service, wait_for  # noqa: E402

FS = {
    "apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
    "metadata": {"name": "web", "namespace": "emojivoto"},
    "spec": {"service": "web-svc", "targetNamespace": "emojivoto", "consumers": ["west", "east"],
             "backingServices": [{"cluster": "west", "namespace": "emojivoto", "name": "web-svc"},
                                 {"cluster": "east", "namespace": "emojivoto", "name": "web-svc"},
                                 {"cluster": "east", "namespace": "emojivoto", "name": "web-canary"}]},
}


def member(name):
    return {"apiVersion": "switchyard.io/v1alpha1", "kind": "MemberCluster", "metadata": {"name": name},
            "spec": {"tokenSecretRef": {"namespace": "switchyard-system", "name": f"agent-{name}", "key": "token"}}}


class PluginE2E(unittest.TestCase):
    def setUp(self):
        self.fleet = Fleet(members=())
        self.addCleanup(self.fleet.stop)
        # mgmt: PATCHes of MemberCluster "locked" answer 403 (devcluster has no RBAC; its fault hook
        # answers the status a real API server gives a read-only user).
        self.fleet.cluster_args["mgmt"] = [
            "--test-fault", "PATCH:/apis/switchyard.io/v1alpha1/memberclusters/locked:0:403:100"]
        self.fleet.start_cluster("mgmt")
        self.fleet.start_cluster("bare")  # no CRDs
        for crd in ("failoverservice.yaml", "membercluster.yaml"):  # the released schema: patches must pass it
            self.fleet.kubectl("mgmt", "apply", "-f", os.path.join(REPO, "crds", crd))
        self.fleet.kubectl("mgmt", "create", "namespace", "emojivoto")
        self.fleet.apply("mgmt", [member("west"), member("east"), member("locked"), FS])
        self.env = dict(os.environ, PATH=os.environ["SWITCHYARD_BIN"] + os.pathsep + os.environ["PATH"],
                        KUBECONFIG=self.fleet.kubeconfig)

    def plugin(self, *args, context="mgmt", check=True):
        result = subprocess.run([KUBECTL, "switchyard", "--context", context, *args], env=self.env,
                                capture_output=True, text=True, timeout=30)
        if check:
            self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def get(self, *args):
        return self.fleet.get_json("mgmt", *args)

    def test_status(self):
        status = {"state": "FailedOver", "message": "west has 0 ready endpoints",
                  "active": [{"cluster": "east", "namespace": "emojivoto", "name": "web-svc", "weight": 1}],
                  "backingServices": [{"cluster": "west", "namespace": "emojivoto", "name": "web-svc",
                                       "health": "Unhealthy", "readyEndpoints": 0,
                                       "lastTransitionTime": "2026-01-01T00:00:00Z"}],
                  "consumers": [{"cluster": "west", "desiredRevision": 3, "appliedRevision": 3, "inSync": True}]}
        self.fleet.kubectl("mgmt", "patch", "fos", "web", "-n", "emojivoto", "--subresource=status",
                           "--type=merge", "-p", json.dumps({"status": status}))
        out = self.plugin("status", "-n", "emojivoto").stdout
        self.assertIn("FailoverService emojivoto/web: FailedOver\n", out)
        self.assertIn("    east/emojivoto/web-svc  weight 1\n", out)
        self.assertIn("west/emojivoto/web-svc  Unhealthy  readyEndpoints 0  since 2026-01-01T00:00:00Z (", out)
        self.assertIn("      cluster west: disconnected\n", out)
        self.assertIn("    west  revision 3/3  in sync", out)
        self.assertEqual(self.plugin("status", "-A").stdout, out)  # the only one anywhere
        self.assertIn("No FailoverServices in namespace default", self.plugin("status").stdout)
        machine = json.loads(self.plugin("status", "web", "-n", "emojivoto", "-o", "json").stdout)
        self.assertEqual(machine["failoverServices"][0]["status"]["state"], "FailedOver")
        self.assertEqual(sorted(m["metadata"]["name"] for m in machine["memberClusters"]),
                         ["east", "locked", "west"])
        as_yaml = yaml.safe_load(self.plugin("status", "web", "-n", "emojivoto", "-o", "yaml").stdout)
        self.assertEqual(as_yaml, machine)

    def test_drain_undrain(self):
        out = self.plugin("drain", "west", "--reason", 'node "pool" upgrade').stdout
        self.assertIn("MemberCluster west drained", out)
        mc = self.get("mc", "west")
        self.assertEqual(mc["spec"]["drain"], {"reason": 'node "pool" upgrade'})
        self.assertEqual(mc["spec"]["tokenSecretRef"]["name"], "agent-west")  # a merge patch keeps the rest
        self.plugin("undrain", "west", "--now")
        mc = self.get("mc", "west")
        self.assertNotIn("drain", mc["spec"])
        self.assertEqual(mc["metadata"]["annotations"]["switchyard.io/undrain"], "now")
        self.plugin("drain", "west", "--reason", "again")
        self.plugin("undrain", "west")
        mc = self.get("mc", "west")
        self.assertNotIn("drain", mc["spec"])
        self.assertNotIn("switchyard.io/undrain", mc["metadata"].get("annotations", {}))
        blank = self.plugin("drain", "west", "--reason", " ", check=False)
        self.assertEqual(blank.returncode, 1)
        self.assertIn("--reason is required", blank.stderr)

    def test_pin_unpin(self):
        self.plugin("pin", "web", "west", "-n", "emojivoto", "--for", "30m", "--force")
        pin = self.get("fos", "web", "-n", "emojivoto")["spec"]["pin"]
        self.assertEqual(pin["backend"], {"cluster": "west", "namespace": "emojivoto", "name": "web-svc"})
        self.assertTrue(pin["force"])
        self.assertRegex(pin["until"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIn("pinned to west/emojivoto/web-svc until", self.plugin("status", "-n", "emojivoto").stdout)
        self.plugin("pin", "web", "east/emojivoto/web-canary", "-n", "emojivoto")
        pin = self.get("fos", "web", "-n", "emojivoto")["spec"]["pin"]
        self.assertEqual(pin["backend"]["name"], "web-canary")
        self.assertNotIn("until", pin)  # the earlier pin's expiry does not linger
        self.assertFalse(pin["force"])
        ambiguous = self.plugin("pin", "web", "east", "-n", "emojivoto", check=False)
        self.assertEqual(ambiguous.returncode, 1)
        self.assertIn("cluster east has 2 backing services", ambiguous.stderr)
        self.plugin("unpin", "web", "-n", "emojivoto")
        self.assertNotIn("pin", self.get("fos", "web", "-n", "emojivoto")["spec"])

    def test_import(self):
        for context, mirror in (("mgmt", "web-svc-bare"), ("bare", "web-svc-mgmt")):
            self.fleet.kubectl(context, "apply", "-f", os.path.join(REPO, "crds", "trafficsplit.yaml"))
            if context == "bare":
                self.fleet.kubectl(context, "create", "namespace", "emojivoto")
            self.fleet.apply(context, {
                "apiVersion": "split.smi-spec.io/v1alpha2", "kind": "TrafficSplit",
                "metadata": {"name": "web-svc-failover", "namespace": "emojivoto",
                             "labels": {"failover.linkerd.io/controlled-by": "linkerd-failover"},
                             "annotations": {"failover.linkerd.io/primary-service": "web-svc"}},
                "spec": {"service": "web-svc", "backends": [{"service": "web-svc", "weight": 1},
                                                            {"service": mirror, "weight": 0}]}})
        out = self.plugin("import", "--from-linkerd-failover", "--context", "mgmt", "--context", "bare").stdout
        docs = [d for d in yaml.safe_load_all(out) if d]
        self.assertEqual([d["kind"] for d in docs], ["MemberCluster", "MemberCluster", "FailoverService"])
        fos = docs[2]
        self.assertEqual(fos["spec"]["consumers"], ["mgmt", "bare"])
        self.assertEqual(fos["spec"]["backingServices"],
                         [{"cluster": "mgmt", "namespace": "emojivoto", "name": "web-svc"},
                          {"cluster": "bare", "namespace": "emojivoto", "name": "web-svc"}])

    def test_errors(self):
        missing = self.plugin("unpin", "nope", "-n", "emojivoto", check=False)
        self.assertEqual((missing.returncode, missing.stderr.strip()),
                         (1, "error: FailoverService emojivoto/nope not found"))
        self.assertIn("MemberCluster nope not found", self.plugin("drain", "nope", "--reason", "x",
                                                                  check=False).stderr)
        no_crds = self.plugin("status", "-A", context="bare", check=False)
        self.assertEqual(no_crds.returncode, 1)
        self.assertIn("the switchyard CRDs are not installed", no_crds.stderr)
        no_crds = self.plugin("drain", "west", "--reason", "x", context="bare", check=False)
        self.assertIn("the switchyard CRDs are not installed", no_crds.stderr)
        forbidden = self.plugin("drain", "locked", "--reason", "x", check=False)
        self.assertEqual(forbidden.returncode, 1)
        self.assertIn("forbidden: cannot patch MemberCluster locked", forbidden.stderr)
        self.assertEqual(len(forbidden.stderr.strip().splitlines()), 1)
        self.assertNotIn("drain", self.get("mc", "locked")["spec"])
        unknown = self.plugin("what-if", "web", "-n", "emojivoto", "--fail", "eest", check=False)
        self.assertEqual((unknown.returncode, unknown.stderr.strip()), (1, 'error: --fail: no MemberCluster "eest"'))
        self.assertIn("--fail: must be CLUSTER or CLUSTER/NAMESPACE/NAME",
                      self.plugin("what-if", "--all", "--fail", "west/x", check=False).stderr)
        self.assertIn("give a FailoverService NAME or --all",
                      self.plugin("what-if", "--fail", "west", check=False).stderr)
        self.assertIn("FailoverService emojivoto/nope not found",
                      self.plugin("what-if", "nope", "-n", "emojivoto", "--fail", "west", check=False).stderr)
        self.assertEqual(self.plugin("explain", "nope", "-n", "emojivoto", check=False).stderr.strip(),
                         "error: FailoverService emojivoto/nope not found")
        self.assertIn("the switchyard CRDs are not installed",
                      self.plugin("what-if", "--all", "--fail", "west", context="bare", check=False).stderr)
        # --kubeconfig wins over $KUBECONFIG
        env = dict(self.env, KUBECONFIG="/nonexistent")
        result = subprocess.run([KUBECTL, "switchyard", "--kubeconfig", self.fleet.kubeconfig, "status", "-A"],
                                env=env, capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)


NS = "shop"
GATEWAY = "172.18.0.1"


def checkout(members, delay):
    """FailoverService shop/checkout: one backend per member, in that priority order."""
    return {"apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
            "metadata": {"name": "checkout", "namespace": NS},
            "spec": {"backingServices": [{"cluster": m, "namespace": NS, "name": "checkout"} for m in members],
                     "failback": {"delaySeconds": delay},
                     "health": {"unknownAfterSeconds": 2, "silentFailoverSeconds": 3}}}


class PluginFleetE2E(unittest.TestCase):
    """The plugin against a whole fleet: devclusters, the hub and agents as
    real processes, so that what the plugin writes meets the hub that reads it."""
    members = ("west", "east", "north")

    def setUp(self):
        self.fleet = Fleet(members=self.members)
        self.addCleanup(self.fleet.stop)
        self.fleet.start()
        self.fleet.apply("mgmt", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
        for member in self.members:
            objects = [namespace(NS), service(NS, "checkout"),
                       endpoint_slice(NS, "checkout", [f"10.{len(member)}.0.1", f"10.{len(member)}.0.2"])]
            for remote in self.members:
                if remote != member:
                    objects += [service(NS, f"checkout-{remote}"),
                                endpoint_slice(NS, f"checkout-{remote}", [GATEWAY])]
            self.fleet.apply(member, objects)
        self.env = dict(os.environ, PATH=os.environ["SWITCHYARD_BIN"] + os.pathsep + os.environ["PATH"],
                        KUBECONFIG=self.fleet.kubeconfig)

    def plugin(self, *args):
        result = subprocess.run([KUBECTL, "switchyard", "--context", "mgmt", *args], env=self.env,
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result

    def split(self, cluster):
        return self.fleet.traffic_split(cluster, NS, "checkout")

    def wait_all_on(self, local, remote, timeout=20):
        """Every consumer's split carries all weight on `local`'s backend (its
        own name there, the mirror elsewhere)."""
        def on(cluster):
            wanted = "checkout" if cluster == local else f"checkout-{local}"
            split = self.split(cluster)
            return split is not None and split.get(wanted, 0) > 0 and sum(split.values()) == split[wanted]
        wait_for(f"all traffic on {local}'s checkout ({remote})", lambda: all(on(m) for m in self.members),
                 timeout=timeout)

    def test_undrain_now_returns_traffic_without_the_failback_delay(self):
        self.fleet.apply("mgmt", checkout(self.members, delay=120))
        self.wait_all_on("west", "at start")
        self.plugin("drain", "west", "--reason", "node pool upgrade")
        self.wait_all_on("east", "drained")
        undrained = time.monotonic()
        out = self.plugin("undrain", "west", "--now")
        self.assertIn("traffic returns at once", out.stdout)
        self.assertEqual(out.stderr, "")  # no warning any more: the hub honours it
        self.wait_all_on("west", "undrained --now", timeout=20)
        self.assertLess(time.monotonic() - undrained, 20)  # the delay is 120 s
        wait_for("the Undrained Event saying so", lambda: "traffic returns at once, without the failback delay" in
                 self.fleet.kubectl("mgmt", "get", "events", "-A", "-o", "jsonpath={.items[*].message}"))

    def test_what_if_fail_west_predicts_the_real_failover(self):
        self.fleet.apply("mgmt", checkout(self.members, delay=30))
        self.wait_all_on("west", "at start")
        wait_for("every MemberCluster connected", lambda: all(
            self.fleet.get_json("mgmt", "mc", m).get("status", {}).get("connected") for m in self.members))
        before = self.fleet.get_json("mgmt", "fos", "checkout", "-n", NS)
        text = self.plugin("what-if", "checkout", "-n", NS, "--fail", "west").stdout
        self.assertIn("FailoverService shop/checkout: Primary -> FailedOver\n", text)
        self.assertIn("  consumer west: silent, keeps its route (rule 1b)\n", text)
        self.assertIn("    east/shop/checkout  weight 0 -> 1\n", text)
        predicted = json.loads(self.plugin("what-if", "--all", "-n", NS, "--fail", "west", "-o", "json").stdout)
        as_yaml = yaml.safe_load(self.plugin("what-if", "--all", "-n", NS, "--fail", "west", "-o", "yaml").stdout)
        self.assertEqual(as_yaml, predicted)
        # It wrote nothing: the spec is as it was.
        self.assertEqual(self.fleet.get_json("mgmt", "fos", "checkout", "-n", NS)["spec"], before["spec"])
        [service] = predicted["failoverServices"]
        expected = {}
        for consumer in service["consumers"]:
            names = {}
            for w in consumer["after"]:
                cluster, _, name = w["backend"].split("/")
                names[name if cluster == consumer["cluster"] else f"{name}-{cluster}"] = w["weight"]
            expected[consumer["cluster"]] = names
        self.assertEqual(expected["east"], {"checkout-west": 0, "checkout": 1, "checkout-north": 0})
        self.assertEqual(expected["west"], {"checkout": 1, "checkout-east": 0, "checkout-north": 0})

        # Now west really fails: its agent stops (silent past silentFailoverSeconds, 3 s) and its
        # backend loses its endpoints (which nobody can report).
        agent = self.fleet.agents["west"]
        os.killpg(agent.popen.pid, signal.SIGSTOP)
        self.addCleanup(lambda: agent.running() and os.killpg(agent.popen.pid, signal.SIGCONT))
        self.fleet.apply("west", endpoint_slice(NS, "checkout", ["10.4.0.1", "10.4.0.2"], ready=False))
        wait_for("east and north to move", lambda: self.split("east") == expected["east"] and
                 self.split("north") == expected["north"], timeout=20)
        time.sleep(1)
        self.assertEqual({m: self.split(m) for m in self.members}, expected)

    def test_explain_a_failover_and_the_failback_timer(self):
        self.fleet.apply("mgmt", checkout(self.members, delay=60))
        self.wait_all_on("west", "at start")
        self.fleet.apply("west", endpoint_slice(NS, "checkout", ["10.4.0.1", "10.4.0.2"], ready=False))
        self.wait_all_on("east", "west down")
        wait_for("status FailedOver", lambda: self.fleet.fos_status(NS, "checkout").get("state") == "FailedOver")
        out = self.plugin("explain", "checkout", "-n", NS).stdout
        self.assertTrue(out.startswith("FailoverService shop/checkout\n  state               FailedOver"), out)
        self.assertIn("  rule 1 health       west/shop/checkout: Unhealthy, 0 ready endpoints < minReadyEndpoints 1",
                      out)
        self.assertIn("  rule 4 failback     in north: priority group 0 has no usable member\n", out)
        self.assertIn("  rule 5 weights      in north: east/shop/checkout weight 1\n", out)
        machine = json.loads(self.plugin("explain", "checkout", "-n", NS, "-o", "json").stdout)
        self.assertEqual(machine["lines"][0]["rule"], "state")

        self.fleet.apply("west", endpoint_slice(NS, "checkout", ["10.4.0.1", "10.4.0.2"], ready=True))
        wait_for("west Healthy in status", lambda: self.fleet.fos_status(NS, "checkout")["backingServices"][0]
                 .get("health") == "Healthy")
        out = self.plugin("explain", "checkout", "-n", NS).stdout
        self.assertRegex(out, r"rule 4 failback     in east: priority group 0 is healthy again; traffic returns after "
                              r"failback.delaySeconds 60: about (5\d|60)s left")


    def routes_in_members(self):
        """Every TrafficSplit in every member cluster, counted by kubectl (not
        only checkout's: Observe must write none at all)."""
        return sum(len(self.fleet.get_json(m, "trafficsplits.split.smi-spec.io", "-A")["items"])
                   for m in self.members)

    def events(self, namespace=NS):
        return self.fleet.get_json("mgmt", "events", "-n", namespace)["items"]

    def condition(self, type_):
        conditions = self.fleet.fos_status(NS, "checkout").get("conditions", [])
        return next((c for c in conditions if c["type"] == type_), None)

    def test_drain_moves_every_consumer_and_undrain_waits_the_failback_delay(self):
        delay = 8
        self.fleet.apply("mgmt", checkout(self.members, delay=delay))
        self.wait_all_on("west", "at start")
        self.plugin("drain", "west", "--reason", "node pool upgrade")
        self.wait_all_on("east", "drained", timeout=10)
        status = self.fleet.get_json("mgmt", "mc", "west").get("status", {})
        self.assertIn("node pool upgrade", status.get("drained", ""))
        self.assertTrue(status.get("connected"))  # its agent keeps reporting
        wait_for("the Drained Event with the reason", lambda: any(
            e["reason"] == "Drained" and "node pool upgrade" in e["message"]
            for e in self.fleet.get_json("mgmt", "events", "-A")["items"]))
        out = self.plugin("undrain", "west").stdout
        self.assertIn("traffic returns after the failback delay", out)
        undrained = time.monotonic()
        # Within the delay every consumer stays on east: checked well inside it.
        while time.monotonic() - undrained < delay / 2:
            self.assertEqual({m: self.split(m) for m in self.members},
                             {"west": {"checkout": 0, "checkout-east": 1, "checkout-north": 0},
                              "east": {"checkout-west": 0, "checkout": 1, "checkout-north": 0},
                              "north": {"checkout-west": 0, "checkout-east": 1, "checkout": 0}})
            time.sleep(0.5)
        self.wait_all_on("west", "after the failback delay", timeout=delay + 20)
        self.assertGreaterEqual(time.monotonic() - undrained, delay / 2)

    def test_pin_to_a_lower_priority_backend_until_it_expires(self):
        self.fleet.apply("mgmt", checkout(self.members, delay=2))
        self.wait_all_on("west", "at start")
        out = self.plugin("pin", "checkout", "north", "-n", NS, "--for", "10s").stdout
        self.assertIn("pinned to north/shop/checkout until", out)
        self.wait_all_on("north", "pinned", timeout=10)
        pinned = self.condition("Pinned")
        self.assertEqual(pinned and pinned["status"], "True", pinned)
        self.assertIn("north/shop/checkout", pinned["message"])
        # The pin expires: automatic decisions resume and traffic goes back to west.
        self.wait_all_on("west", "the pin expired", timeout=30)
        wait_for("the Unpinned Event naming the expiry", lambda: any(
            e["reason"] == "Unpinned" and "the pin expired" in e["message"] for e in self.events()))
        wait_for("Pinned no longer in force", lambda: (self.condition("Pinned") or {}).get("status") == "False")

    def test_force_pin_on_an_unhealthy_backend_warns(self):
        self.fleet.apply("mgmt", checkout(self.members, delay=2))
        self.wait_all_on("west", "at start")
        self.fleet.apply("north", endpoint_slice(NS, "checkout", ["10.5.0.1", "10.5.0.2"], ready=False))
        wait_for("north Unhealthy in status", lambda: any(
            b["cluster"] == "north" and b.get("health") == "Unhealthy"
            for b in self.fleet.fos_status(NS, "checkout").get("backingServices", [])))
        # Without force the pin does not hold traffic on an unusable backend.
        self.plugin("pin", "checkout", "north", "-n", NS)
        wait_for("Pinned not in force", lambda: (self.condition("Pinned") or {}).get("reason") == "NotInForce")
        self.wait_all_on("west", "an unforced pin on an unhealthy backend")
        out = self.plugin("pin", "checkout", "north", "-n", NS, "--force").stdout
        self.assertIn("(forced)", out)
        self.wait_all_on("north", "forced", timeout=10)
        wait_for("the PinForced condition", lambda: (self.condition("PinForced") or {}).get("status") == "True")
        wait_for("a PinForced Warning Event saying why", lambda: any(
            e["reason"] == "PinForced" and e["type"] == "Warning" and "not usable" in e["message"]
            for e in self.events()))
        self.plugin("unpin", "checkout", "-n", NS)
        self.wait_all_on("west", "unpinned", timeout=10)

    def test_observe_mode_writes_no_route_and_shows_the_decision(self):
        fos = checkout(self.members, delay=2)
        fos["spec"]["mode"] = "Observe"
        self.fleet.apply("mgmt", fos)

        def would_apply(cluster):
            for consumer in self.fleet.fos_status(NS, "checkout").get("consumers", []):
                if consumer["cluster"] == cluster:
                    return {w["backend"]: w["weight"] for w in consumer.get("wouldApply", [])}
            return {}
        wait_for("the decision shown for every consumer", lambda: all(
            would_apply(m).get("west/shop/checkout") == 1 for m in self.members))
        observing = self.condition("Observing")
        self.assertEqual(observing and observing["status"], "True", observing)
        self.assertEqual(self.routes_in_members(), 0)

        self.fleet.apply("west", endpoint_slice(NS, "checkout", ["10.4.0.1", "10.4.0.2"], ready=False))
        wait_for("the failover shown in wouldApply", lambda: all(
            would_apply(m).get("east/shop/checkout") == 1 and would_apply(m).get("west/shop/checkout") == 0
            for m in self.members))
        time.sleep(2)  # time for an agent to write, had it been told to
        self.assertEqual(self.routes_in_members(), 0)

        # Enforce applies the decision at once.
        self.fleet.kubectl("mgmt", "patch", "fos", "checkout", "-n", NS, "--type", "merge",
                           "-p", json.dumps({"spec": {"mode": "Enforce"}}))
        self.wait_all_on("east", "Enforce", timeout=10)
        self.assertEqual(self.routes_in_members(), len(self.members))
        wait_for("Observing gone", lambda: self.condition("Observing") is None)

    def split_object(self, cluster):
        """checkout's TrafficSplit in `cluster` as (resourceVersion, spec), or None."""
        result = self.fleet.kubectl(cluster, "get", "trafficsplits.split.smi-spec.io", "-n", NS, "checkout",
                                    "-o", "json", check=False)
        if result.returncode != 0:
            self.assertIn("not found", result.stderr.lower(), result.stderr)
            return None
        split = json.loads(result.stdout)
        return split["metadata"]["resourceVersion"], split["spec"]

    def test_observe_mode_survives_a_hub_restart_without_a_write(self):
        fos = checkout(self.members, delay=2)
        self.fleet.apply("mgmt", fos)
        self.wait_all_on("west", "at start")
        self.fleet.apply("west", endpoint_slice(NS, "checkout", ["10.4.0.1", "10.4.0.2"], ready=False))
        self.wait_all_on("east", "west failed, enforced")
        self.fleet.kubectl("mgmt", "patch", "fos", "checkout", "-n", NS, "--type", "merge",
                           "-p", json.dumps({"spec": {"mode": "Observe"}}))
        # West recovers: the decision returns to west, the routes stay on east.
        self.fleet.apply("west", endpoint_slice(NS, "checkout", ["10.4.0.1", "10.4.0.2"]))

        def consumer(status, cluster):
            return next((c for c in status.get("consumers", []) if c["cluster"] == cluster), {})

        def shown(cluster):
            entry = consumer(self.fleet.fos_status(NS, "checkout"), cluster)
            return ({w["backend"]: w["weight"] for w in entry.get("wouldApply", [])},
                    {h["service"]: h["weight"] for h in entry.get("heldBackends", [])})
        wait_for("wouldApply back on west while the held route stays on east", lambda: all(
            shown(m)[0].get("west/shop/checkout") == 1 and shown(m)[1].get("checkout" if m == "east" else
                                                                             "checkout-east") == 1
            for m in self.members))
        time.sleep(1)  # time for an agent to write, had it been told to
        before = {m: self.split_object(m) for m in self.members}
        for member, split in before.items():
            self.assertIsNotNone(split, member)
        self.wait_all_on("east", "held in Observe mode")

        self.fleet.hub.kill()
        self.fleet.start_hub()
        # Poll every member's TrafficSplit through the agents' return and
        # beyond: the same object, never rewritten (its resourceVersion).
        restarted = time.monotonic()
        polls = 0
        while time.monotonic() - restarted < 8:
            for member in self.members:
                self.assertEqual(self.split_object(member), before[member], f"{member}'s TrafficSplit changed")
            polls += 1
        wait_for("every agent back with the restarted hub", lambda: all(
            self.fleet.get_json("mgmt", "mc", m).get("status", {}).get("connected") for m in self.members))
        time.sleep(2)
        for member in self.members:
            self.assertEqual(self.split_object(member), before[member], f"{member}'s TrafficSplit changed")
        status = self.fleet.fos_status(NS, "checkout")
        for member in self.members:
            self.assertEqual(shown(member)[0].get("west/shop/checkout"), 1, consumer(status, member))
        observing = self.condition("Observing")
        self.assertEqual(observing and observing["status"], "True", observing)
        self.assertGreater(polls, 3)

        # Enforce after the restart applies the decision at once.
        self.fleet.kubectl("mgmt", "patch", "fos", "checkout", "-n", NS, "--type", "merge",
                           "-p", json.dumps({"spec": {"mode": "Enforce"}}))
        self.wait_all_on("west", "Enforce", timeout=10)


if __name__ == "__main__":
    unittest.main()
