"""The chaos fleet: test/e2e/fleet.py's devclusters and agents, two hub
replicas with leader election behind a HubService, member devclusters that
carry (disarmed) dropped- and delayed-request faults, and the workload: four
FailoverServices over four member clusters, each consumed everywhere.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import fleet as fl  # noqa: E402
from hub_service import HubService, ready  # noqa: E402

NS = "shop"
GATEWAY = "172.18.0.1"
MEMBERS = ("west", "east", "north", "south")

# Timers of the run, short so that a minute holds many faults. The hub's
# leader election: a SIGKILLed leader is replaced after LEASE_S.
UNKNOWN_AFTER_S = 3
SILENT_FAILOVER_S = 6
FAILBACK_DELAY_S = 3
LEASE_S = 3

# While armed (SIGUSR1), a member API server fails 20% of requests with 503
# before handling them and delays another 30% (of the rest) by 800 ms.
NET_FAULTS = ["::0:503:-1:20%", "::800:0:-1:30%"]

# The FailoverServices: (name, [(cluster, priority, weight)]). Priorities
# given explicitly; equal ones share traffic by weight.
FAILOVER_SERVICES = [
    ("checkout", [("west", 0, 1), ("east", 1, 1)]),
    ("cart", [("east", 0, 1), ("north", 1, 1), ("south", 2, 1)]),
    ("search", [("west", 0, 1), ("north", 0, 3), ("south", 1, 1)]),
    ("pay", [("south", 0, 1), ("west", 1, 1), ("east", 1, 1)]),
]


def backends(fos_name):
    return next(b for n, b in FAILOVER_SERVICES if n == fos_name)


def backend_service(fos_name, cluster, consumer):
    """The service name a consumer's TrafficSplit uses for a backend (rule 6)."""
    return fos_name if cluster == consumer else f"{fos_name}-{cluster}"


def pod_addresses(fos_name, cluster):
    i = [n for n, _ in FAILOVER_SERVICES].index(fos_name)
    j = MEMBERS.index(cluster)
    return [f"10.{i + 1}.{j + 1}.1", f"10.{i + 1}.{j + 1}.2"]


class ChaosFleet(fl.Fleet):
    def __init__(self, workdir=None, keep_workdir=False):
        super().__init__(members=MEMBERS, workdir=workdir, keep_workdir=keep_workdir, report_interval="1s")
        for member in MEMBERS:
            self.cluster_args[member] = ["--test-fault-disarmed"] + [
                arg for spec in NET_FAULTS for arg in ("--test-fault", spec)]
        self.hubs = {}            # replica name -> Process
        self.hub_ports = {}       # replica name -> (agent API port, metrics port)
        self.hub_service = None

    # --- start --------------------------------------------------------------
    def start_all(self):
        self.start(hub=False, agents=False)
        for replica in ("hub-a", "hub-b"):
            self.hub_ports[replica] = (fl.free_port(), fl.free_port())
        self.hub_service = HubService(self.hub_ports.values())
        self.hub_url = f"https://127.0.0.1:{self.hub_service.port}"
        self.start_replica("hub-a")
        fl.wait_for("hub-a to lead", lambda: self.leader() == "hub-a", timeout=30)
        self.start_replica("hub-b")
        for member in MEMBERS:
            self.start_agent(member)
        self.deploy_workload()
        return self

    def start_replica(self, replica):
        cert, key = self._hub_certificate()
        api_port, metrics_port = self.hub_ports[replica]
        process = self._spawn(replica, [
            self._binary("switchyard-hub"), "--kubeconfig", self.clusters["mgmt"].kubeconfig,
            "--namespace", fl.SYSTEM_NAMESPACE, "--listen", f"127.0.0.1:{api_port}",
            "--tls-cert", cert, "--tls-key", key, "--metrics-listen", f"127.0.0.1:{metrics_port}",
            "--cluster-timeout", self.cluster_timeout, "--leader-elect", "--leader-elect-identity", replica,
            "--leader-elect-lease-duration", f"{LEASE_S}s", "--leader-elect-renew-deadline", "2s",
            "--leader-elect-retry-period", "500ms"])
        self.hubs[replica] = process
        return process

    def leader(self):
        """The replica whose /readyz is 200, or None."""
        for replica, (_, metrics_port) in self.hub_ports.items():
            process = self.hubs.get(replica)
            if process is not None and process.running() and ready(metrics_port, timeout=0.3):
                return replica
        return None

    def deploy_workload(self):
        """Each FailoverService's backing services (two ready endpoints) and,
        in every member, the mirrors of every remote backend (one ready gateway
        endpoint: mirrors stay reachable through the run)."""
        per_cluster = {m: [fl.namespace(NS)] for m in MEMBERS}
        for fos_name, members in FAILOVER_SERVICES:
            for cluster, _, _ in members:
                per_cluster[cluster] += [fl.service(NS, fos_name),
                                         fl.endpoint_slice(NS, fos_name, pod_addresses(fos_name, cluster))]
                for consumer in MEMBERS:
                    if consumer != cluster:
                        mirror = backend_service(fos_name, cluster, consumer)
                        per_cluster[consumer] += [fl.service(NS, mirror), fl.endpoint_slice(NS, mirror, [GATEWAY])]
        for cluster, objects in per_cluster.items():
            self.apply(cluster, objects)
        self.apply("mgmt", fl.namespace(NS))
        self.apply("mgmt", [self.failover_service(name) for name, _ in FAILOVER_SERVICES])

    @staticmethod
    def failover_service(fos_name):
        return {"apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
                "metadata": {"name": fos_name, "namespace": NS},
                "spec": {"backingServices": [{"cluster": c, "namespace": NS, "name": fos_name, "priority": p,
                                              "weight": w} for c, p, w in backends(fos_name)],
                         "consumers": list(MEMBERS),
                         "failback": {"delaySeconds": FAILBACK_DELAY_S},
                         "health": {"unknownAfterSeconds": UNKNOWN_AFTER_S,
                                    "silentFailoverSeconds": SILENT_FAILOVER_S}}}

    # --- faults' primitives -------------------------------------------------
    def signal_process(self, process, sig):
        if process.running():
            os.killpg(process.popen.pid, sig)

    def kill_agent(self, member):
        self.agents[member].kill()

    def restart_agent(self, member):
        self.start_agent(member)

    def restart_member_api(self, member, down_s):
        """SIGTERM (the store is saved to --data-dir), down for down_s, then the
        same port and data again."""
        started = time.monotonic()
        code = self.clusters[member].process.stop()
        if code != 0:
            print(f"chaos: devcluster {member} exited {code} on SIGTERM after {time.monotonic() - started:.1f}s "
                  "(0 expected)", flush=True)
        time.sleep(down_s)
        self.start_cluster(member)

    def arm_net_faults(self, member, armed):
        self.signal_process(self.clusters[member].process, signal.SIGUSR1 if armed else signal.SIGUSR2)

    def stop(self):
        if self.hub_service is not None:
            self.hub_service.close()
        # A SIGSTOPped process ignores SIGTERM until continued.
        for process in self._processes:
            if process.running():
                try:
                    os.killpg(process.popen.pid, signal.SIGCONT)
                except ProcessLookupError:
                    pass
        super().stop()
