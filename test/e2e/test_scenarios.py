"""End-to-end failover scenarios: devclusters, the hub and agents as real
processes, driven and read with the real kubectl (issue 7).

Run one with: /usr/bin/python3 -m unittest test_scenarios.Scenarios.test_primary_down_then_back
(from test/e2e, after `make build`). ctest registers each test method on its own.
Every fleet is stopped when its test ends, also when it fails.
"""

import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet as fl  # noqa: E402

NS = "shop"
GATEWAY = "172.18.0.1"


def fos(name, backing, consumers=None, delay=3, service=None, unknown_after=40, silent_after=120, **extra):
    spec = {"backingServices": backing, "failback": {"delaySeconds": delay},
            "health": {"unknownAfterSeconds": unknown_after, "silentFailoverSeconds": silent_after}}
    if consumers is not None:
        spec["consumers"] = consumers
    if service is not None:
        spec["service"] = service
    spec.update(extra)
    return {"apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


def backing(cluster, name="checkout", **extra):
    return {"cluster": cluster, "namespace": NS, "name": name, **extra}


def all_on(*backends):
    """All weight on exactly these backends."""
    wanted = set(backends)
    return lambda w: w is not None and all((w.get(b, 0) > 0) == (b in wanted) for b in set(w) | wanted)


class FleetTestCase(unittest.TestCase):
    """A fresh fleet per test, stopped when the test ends. Each member gets
    the CRDs `crds` names before its agent starts (the agent discovers which
    route APIs its cluster serves at start); the FailoverService of
    start_primary_secondary names `output` as its spec.output (None: unset,
    a TrafficSplit), and route()/wait_route() read that kind."""
    members = ("west", "east")
    crds = {}
    output = None

    def setUp(self):
        self.fleet = fl.Fleet(members=self.members)
        self.addCleanup(self.fleet.stop)
        self.fleet.start(agents=False)
        for member, files in self.crds.items():
            for crd in files:
                self.fleet.kubectl(member, "apply", "-f", crd)
        for member in self.members:
            self.fleet.start_agent(member)
        self.fleet.apply("mgmt", fl.namespace(NS))
        self.pods = {}

    # --- helpers -----------------------------------------------------------
    def deploy(self, cluster, name="checkout", ready=True, mirrors_of=None, addresses=None):
        """`name` with endpoints in `cluster`, plus ready mirrors of the
        clusters listed in mirrors_of (default: every other member)."""
        addresses = addresses or [f"10.{len(self.pods) + 1}.0.1", f"10.{len(self.pods) + 1}.0.2"]
        self.pods[(cluster, name)] = addresses
        objects = [fl.namespace(NS), fl.service(NS, name), fl.endpoint_slice(NS, name, addresses, ready=ready)]
        remotes = mirrors_of if mirrors_of is not None else [m for m in self.members if m != cluster]
        for remote in remotes:
            objects += [fl.service(NS, f"{name}-{remote}"), fl.endpoint_slice(NS, f"{name}-{remote}", [GATEWAY])]
        self.fleet.apply(cluster, objects)

    def set_ready(self, cluster, ready, name="checkout"):
        self.fleet.apply(cluster, fl.endpoint_slice(NS, name, self.pods[(cluster, name)], ready=ready))

    def split(self, cluster, name="checkout"):
        return self.fleet.traffic_split(cluster, NS, name)

    def wait_split(self, cluster, predicate, name="checkout", timeout=20):
        return fl.wait_for(f"the TrafficSplit {NS}/{name} in {cluster}",
                           lambda: predicate(self.split(cluster, name)), timeout=timeout)

    def output_kind(self):
        return (self.output or {}).get("kind", "TrafficSplit")

    def route(self, cluster, name="checkout"):
        """The consumer's route of this case's output kind as {backend: weight}, None when absent."""
        if self.output_kind() == "TrafficSplit":
            return self.split(cluster, name)
        resource = {"HTTPRoute": fl.GATEWAY_ROUTES, "LinkerdHTTPRoute": fl.LINKERD_ROUTES}[self.output_kind()]
        return self.fleet.http_route(cluster, NS, name, resource)

    def wait_route(self, cluster, predicate, name="checkout", timeout=20):
        return fl.wait_for(f"the route {NS}/{name} in {cluster}", lambda: predicate(self.route(cluster, name)),
                           timeout=timeout)

    def status(self, name="checkout"):
        return self.fleet.fos_status(NS, name)

    def wait_state(self, state, name="checkout", timeout=20):
        fl.wait_for(f"FailoverService {NS}/{name} state {state}",
                    lambda: self.status(name).get("state") == state, timeout=timeout)
        return self.status(name)

    def hold(self, seconds, what, check):
        """Asserts `check()` stays true for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.assertTrue(check(), what)
            time.sleep(0.2)

    def start_primary_secondary(self, delay=3, **extra):
        for member in self.members:
            self.deploy(member)
        if self.output is not None:
            extra.setdefault("output", self.output)
        self.fleet.apply("mgmt", fos("checkout", [backing(m) for m in self.members], delay=delay, **extra))
        self.wait_route("west", all_on("checkout"))
        self.wait_route("east", all_on("checkout-west"))
        self.wait_state("Primary")
        if self.output_kind() != "TrafficSplit":
            self.assertIsNone(self.split("west"), "an HTTPRoute output writes no TrafficSplit")



class Scenarios(FleetTestCase):
    def test_primary_down_then_back(self):
        """Also run for each HTTPRoute output (test_outputs.GatewayScenarios, LinkerdScenarios)."""
        self.start_primary_secondary(delay=4)
        self.set_ready("west", False)
        self.wait_route("west", all_on("checkout-east"))
        self.wait_route("east", all_on("checkout"))
        status = self.wait_state("FailedOver")
        self.assertEqual(status["failoverCount"], 1)
        self.assertEqual([a["cluster"] for a in status["active"]], ["east"])

        recovered = time.monotonic()
        self.set_ready("west", True)
        # Failback waits for the delay: traffic stays on east meanwhile.
        self.hold(3, "traffic stays on east during the failback delay",
                  lambda: all_on("checkout-east")(self.route("west")) and all_on("checkout")(self.route("east")))
        self.wait_route("west", all_on("checkout"))
        self.wait_route("east", all_on("checkout-west"))
        self.assertGreaterEqual(time.monotonic() - recovered, 4)
        self.wait_state("Primary")
        # Both moves are Events on the FailoverService, read with kubectl.
        fl.wait_for("the FailedBack Event", lambda: "FailedBack" in self.fleet.event_reasons("mgmt", NS))
        self.assertIn("FailedOver", self.fleet.event_reasons("mgmt", NS))
        # A clean shutdown: the hub, the agents and the devclusters each exit 0
        # on SIGTERM, within 10 s.
        codes = self.fleet.stop_gracefully()
        self.assertEqual(len(codes), 6, codes)  # mgmt, west, east, the hub, two agents
        self.assertEqual({name: 0 for name in codes}, codes)

    def test_failback_delay_restarts_when_primary_flaps(self):
        self.start_primary_secondary(delay=4)
        self.set_ready("west", False)
        self.wait_split("west", all_on("checkout-east"))
        self.set_ready("west", True)
        time.sleep(2.5)
        self.set_ready("west", False)   # flaps during the delay
        time.sleep(1)
        restarted = time.monotonic()
        self.set_ready("west", True)
        self.hold(3, "the delay restarted after the flap",
                  lambda: all_on("checkout-east")(self.split("west")))
        self.wait_split("west", all_on("checkout"))
        self.assertGreaterEqual(time.monotonic() - restarted, 4)

    def test_no_healthy_backend_keeps_last_weights(self):
        """Also run with Gateway API HTTPRoutes (test_outputs.GatewayScenarios)."""
        self.start_primary_secondary()
        self.set_ready("west", False)
        self.wait_route("west", all_on("checkout-east"))
        self.set_ready("east", False)
        status = self.wait_state("NoHealthyBackend")
        self.assertIn("keeping the last weights", status.get("message", ""))
        fl.wait_for("the NoHealthyBackend Event", lambda: "NoHealthyBackend" in self.fleet.event_reasons("mgmt", NS))
        self.hold(3, "weights stay as they were (fail static)",
                  lambda: all_on("checkout-east")(self.route("west")) and all_on("checkout")(self.route("east")))

    def test_mirror_missing_in_one_consumer(self):
        self.deploy("west", mirrors_of=[])           # west has no mirror of east
        self.deploy("east")
        self.fleet.apply("mgmt", fos("checkout", [backing("west"), backing("east")]))
        self.wait_split("west", all_on("checkout"))
        self.assertNotIn("checkout-east", self.split("west"), "a backend west cannot resolve is left out")
        self.wait_split("east", all_on("checkout-west"))
        consumers = {c["cluster"]: c for c in self.status().get("consumers", [])}
        self.assertIn("east/shop/checkout", " ".join(consumers["west"].get("omittedBackends", [])))

    def test_invalid_spec_fixed_by_the_user(self):
        for member in self.members:
            self.deploy(member)
        self.fleet.apply("mgmt", fos("checkout", [backing("west"), backing("eest")]))
        status = self.wait_state("Invalid")
        self.assertIn('spec.backingServices[1].cluster: unknown cluster "eest"', status["message"])
        accepted = {c["type"]: c for c in status["conditions"]}["Accepted"]
        self.assertEqual(accepted["status"], "False")
        self.hold(2, "an invalid spec changes no TrafficSplit",
                  lambda: self.split("west") is None and self.split("east") is None)
        self.fleet.apply("mgmt", fos("checkout", [backing("west"), backing("east")]))
        self.wait_state("Primary")
        self.wait_split("west", all_on("checkout"))
        self.wait_split("east", all_on("checkout-west"))

    def test_agent_killed_fails_static_then_restarts(self):
        """Also run with each HTTPRoute kind (test_outputs.GatewayScenarios, LinkerdScenarios)."""
        self.start_primary_secondary()
        self.fleet.agents["west"].kill()
        self.hold(3, "routes stay while west's agent is down",
                  lambda: all_on("checkout")(self.route("west")) and all_on("checkout-west")(self.route("east")))
        self.fleet.start_agent("west")
        self.hold(4, "a restarted agent re-reports and flips nothing",
                  lambda: all_on("checkout")(self.route("west")) and all_on("checkout-west")(self.route("east")))
        # ... and still reacts.
        self.set_ready("west", False)
        self.wait_route("east", all_on("checkout"))

    def test_agent_stopped_past_silent_failover_keeps_its_own_traffic(self):
        """api.md rule 1b: west's agent is SIGSTOPped beyond silentFailoverSeconds
        (a partition, a stuck node), then SIGCONTed. east fails away from west
        meanwhile (rule 1), but west's own TrafficSplit never moves: not while
        it is silent, and not when its agent returns (it used to apply the
        decision made while west was presumed down, found in its parked long
        poll, and keep it for the whole failback delay)."""
        agent = self.fleet.agents["west"]

        def resume():
            os.killpg(agent.popen.pid, signal.SIGCONT)
        self.assert_silence_keeps_west_local(lambda: os.killpg(agent.popen.pid, signal.SIGSTOP), resume)

    def test_agent_killed_past_silent_failover_restarts_keeping_its_own_traffic(self):
        """The same with a crash loop: the agent killed, a new one (a new agentId
        and a full snapshot) started after silentFailoverSeconds."""
        self.assert_silence_keeps_west_local(lambda: self.fleet.agents["west"].kill(),
                                             lambda: self.fleet.start_agent("west"))

    def assert_silence_keeps_west_local(self, silence, resume):
        self.start_primary_secondary(delay=30, unknown_after=2, silent_after=3)
        watch = fl.split_watch(self.fleet, "west", NS, "checkout")
        self.addCleanup(watch.stop)
        watch.wait_started()
        agent = self.fleet.agents["west"]
        silence()
        self.addCleanup(lambda: agent.running() and os.killpg(agent.popen.pid, signal.SIGCONT))
        self.wait_split("east", all_on("checkout"), timeout=20)
        west_health = lambda: self.status().get("backingServices", [{}])[0].get("health")  # noqa: E731
        fl.wait_for("west shown Unknown while silent", lambda: west_health() == "Unknown")
        resume()
        # The agent reports again and applies whatever it is handed: west's
        # split stays local throughout.
        fl.wait_for("west reporting again", lambda: west_health() == "Healthy")
        self.hold(4, "west's own traffic stays local after its agent returns",
                  lambda: all_on("checkout")(self.split("west")))
        moved = [weights for _, weights in watch.events if not all_on("checkout")(weights)]
        self.assertEqual(moved, [], "west's TrafficSplit moved its local traffic away")

    def test_hub_killed_during_failover_restarts_without_flip(self):
        """Also run with each HTTPRoute kind (test_outputs.GatewayScenarios, LinkerdScenarios)."""
        self.start_primary_secondary(delay=60)
        self.set_ready("west", False)
        # Both consumers' routes must be applied before the hub dies: the
        # claim is that a restart changes nothing, not that it finishes a
        # failover the old hub had not delivered yet.
        self.wait_route("west", all_on("checkout-east"))
        self.wait_route("east", all_on("checkout"))
        self.wait_state("FailedOver")
        self.set_ready("west", True)       # failback now pending for 60 s
        self.fleet.hub.kill()
        self.fleet.start_hub()
        self.hold(5, "a restarted hub keeps traffic where it was",
                  lambda: all_on("checkout-east")(self.route("west")) and all_on("checkout")(self.route("east")))
        self.assertEqual(self.status()["state"], "FailedOver")

    def test_member_devcluster_restarted(self):
        """Also run with Gateway API HTTPRoutes (test_outputs.GatewayScenarios): the
        restarted devcluster keeps the CRD and the routes it persisted."""
        self.start_primary_secondary()
        self.fleet.stop_cluster("east")
        time.sleep(1)
        self.fleet.start_cluster("east")
        self.hold(3, "a restarted member API server flips nothing",
                  lambda: all_on("checkout")(self.route("west")))
        self.wait_route("east", all_on("checkout-west"))
        # The agent rode out the restart: it still reports east's changes.
        self.set_ready("west", False)
        self.wait_route("east", all_on("checkout"))


class ThreeClusterScenarios(FleetTestCase):
    members = ("west", "east", "north")

    def test_chain_failover_and_back(self):
        for member in self.members:
            self.deploy(member)
        self.fleet.apply("mgmt", fos("checkout", [backing(m) for m in self.members], delay=2))
        self.wait_split("west", all_on("checkout"))
        self.set_ready("west", False)
        self.wait_split("west", all_on("checkout-east"))
        self.wait_split("north", all_on("checkout-east"))
        self.set_ready("east", False)
        self.wait_split("west", all_on("checkout-north"))
        self.wait_split("east", all_on("checkout-north"))
        self.wait_split("north", all_on("checkout"))
        self.set_ready("east", True)
        self.wait_split("west", all_on("checkout-east"))
        self.set_ready("west", True)
        self.wait_split("west", all_on("checkout"))
        self.wait_split("north", all_on("checkout-west"))
        self.wait_state("Primary")

    def test_equal_priority_shares_weight(self):
        for member in self.members:
            self.deploy(member)
        self.fleet.apply("mgmt", fos("checkout", [backing("west", priority=0, weight=3),
                                                  backing("east", priority=0, weight=1),
                                                  backing("north", priority=1)], consumers=["north"]))
        self.wait_split("north", all_on("checkout-west", "checkout-east"))
        split = self.split("north")
        self.assertAlmostEqual(split["checkout-west"] / split["checkout-east"], 3, places=2)
        self.set_ready("west", False)
        self.wait_split("north", all_on("checkout-east"))
        self.set_ready("east", False)
        self.wait_split("north", all_on("checkout"))


if __name__ == "__main__":
    unittest.main()
