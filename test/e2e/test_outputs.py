"""End-to-end HTTPRoute outputs (issue 16, docs/outputs.md): devclusters with
the released Gateway API and Linkerd HTTPRoute CRDs (crds/third_party), the
hub and agents as real processes, read with the real kubectl.

Run one with: /usr/bin/python3 -m unittest test_outputs.Outputs.test_auto_drives_both_kinds_in_one_run
(from test/e2e, after `make build`).
"""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet as fl  # noqa: E402
import test_scenarios  # noqa: E402
from test_scenarios import NS, all_on, backing, fos, FleetTestCase  # noqa: E402

from fleet import GATEWAY_CRD, GATEWAY_ROUTES, LINKERD_CRD  # noqa: E402


class Outputs(FleetTestCase):
    """Each member gets the CRDs `crds` names before its agent starts (the
    agent discovers what its cluster serves at start)."""

    # --- helpers -----------------------------------------------------------
    def http_route(self, cluster, resource=GATEWAY_ROUTES, name="checkout"):
        return self.fleet.http_route(cluster, NS, name, resource)

    def wait_http_route(self, cluster, predicate, resource=GATEWAY_ROUTES, timeout=20):
        return fl.wait_for(f"the {resource} {NS}/checkout in {cluster}",
                           lambda: predicate(self.http_route(cluster, resource)), timeout=timeout)

    def consumer(self, cluster):
        for entry in self.status().get("consumers", []):
            if entry["cluster"] == cluster:
                return entry
        return {}

    def failover_and_back(self, cluster, read):
        """Primary down in `cluster`: its route moves to the mirror; back up:
        it returns after the failback delay."""
        self.set_ready(cluster, False)
        other = next(m for m in self.members if m != cluster)
        fl.wait_for(f"{cluster}'s route on checkout-{other}", lambda: all_on(f"checkout-{other}")(read()))
        self.wait_state("FailedOver")
        self.set_ready(cluster, True)
        fl.wait_for(f"{cluster}'s route back on checkout", lambda: all_on("checkout")(read()), timeout=30)
        self.wait_state("Primary")


class AutoOutputs(Outputs):
    crds = {"west": [GATEWAY_CRD], "east": []}

    def test_auto_drives_both_kinds_in_one_run(self):
        """Done-when of issue 16: one FailoverService with output Auto gives
        an HTTPRoute in the Gateway-API cluster and a TrafficSplit in the
        SMI-only one, and fails over in both."""
        for member in self.members:
            self.deploy(member)
        self.fleet.apply("mgmt", fos("checkout", [backing("west"), backing("east")],
                                     output={"kind": "Auto", "port": 8080}))
        self.wait_http_route("west", all_on("checkout"))
        self.wait_split("east", all_on("checkout-west"))
        self.assertIsNone(self.split("west"))
        fl.wait_for("outputs in status", lambda: (self.consumer("west").get("output"),
                                                  self.consumer("east").get("output")) == ("HTTPRoute", "TrafficSplit"))
        # kubectl shows it with the released CRD's printer columns.
        table = self.fleet.kubectl("west", "get", "httproute", "-n", NS)
        self.assertIn("HOSTNAMES", table.splitlines()[0])
        self.assertIn("checkout", table)
        self.failover_and_back("west", lambda: self.http_route("west"))
        self.wait_split("east", all_on("checkout-west"))

    def test_output_unavailable_in_one_consumer_keeps_its_routing(self):
        """HTTPRoute asked of a live TrafficSplit FailoverService: west (with
        the CRD) moves to an HTTPRoute with no moment without a route; east
        (without) keeps its TrafficSplit and says OutputUnavailable."""
        for member in self.members:
            self.deploy(member)
        self.fleet.apply("mgmt", fos("checkout", [backing("west"), backing("east")]))
        self.wait_split("west", all_on("checkout"))
        self.wait_split("east", all_on("checkout-west"))
        seen, stop = [], threading.Event()

        def watch_west():
            while not stop.is_set():
                seen.append((self.split("west") is not None, self.http_route("west") is not None))
        watcher = threading.Thread(target=watch_west, daemon=True)
        watcher.start()
        self.fleet.apply("mgmt", fos("checkout", [backing("west"), backing("east")],
                                     output={"kind": "HTTPRoute", "port": 8080}))
        self.wait_http_route("west", all_on("checkout"))
        fl.wait_for("west's TrafficSplit removed", lambda: self.split("west") is None)
        stop.set()
        watcher.join()
        self.assertTrue(all(split or route for split, route in seen), f"a moment without a route in west: {seen}")
        self.assertTrue(any(split and route for split, route in seen) or len(seen) < 3, seen)
        fl.wait_for("east's OutputUnavailable", lambda: any(
            c.get("type") == "OutputUnavailable" for c in self.consumer("east").get("conditions", [])))
        self.assertEqual(self.consumer("east").get("output"), "TrafficSplit")
        self.assertTrue(all_on("checkout-west")(self.split("east")))
        self.assertIn("OutputUnavailable", [c["type"] for c in self.status().get("conditions", [])])
        # Others unaffected: a failover still moves both.
        self.set_ready("west", False)
        self.wait_http_route("west", all_on("checkout-east"))
        self.wait_split("east", all_on("checkout"))


class GatewayScenarios(FleetTestCase):
    """test_scenarios' main failover and failback scenario with Gateway API
    HTTPRoutes (issue 16 item 7): the failback delay held, the state and
    Events, and a clean shutdown, read off the HTTPRoutes."""
    crds = {"west": [GATEWAY_CRD], "east": [GATEWAY_CRD]}
    output = {"kind": "HTTPRoute", "port": 8080}
    test_primary_down_then_back = test_scenarios.Scenarios.test_primary_down_then_back
    # A restarted agent re-lists its HTTPRoutes; a restarted hub resumes the
    # recorded output and waits for the agents' reports before choosing.
    test_agent_killed_fails_static_then_restarts = test_scenarios.Scenarios.test_agent_killed_fails_static_then_restarts
    test_hub_killed_during_failover_restarts_without_flip = \
        test_scenarios.Scenarios.test_hub_killed_during_failover_restarts_without_flip
    test_no_healthy_backend_keeps_last_weights = test_scenarios.Scenarios.test_no_healthy_backend_keeps_last_weights
    test_member_devcluster_restarted = test_scenarios.Scenarios.test_member_devcluster_restarted


class LinkerdScenarios(FleetTestCase):
    """The same with Linkerd's policy.linkerd.io HTTPRoutes."""
    crds = {"west": [LINKERD_CRD], "east": [LINKERD_CRD]}
    output = {"kind": "LinkerdHTTPRoute", "port": 8080}
    test_primary_down_then_back = test_scenarios.Scenarios.test_primary_down_then_back
    test_agent_killed_fails_static_then_restarts = test_scenarios.Scenarios.test_agent_killed_fails_static_then_restarts
    test_hub_killed_during_failover_restarts_without_flip = \
        test_scenarios.Scenarios.test_hub_killed_during_failover_restarts_without_flip


if __name__ == "__main__":
    unittest.main()
