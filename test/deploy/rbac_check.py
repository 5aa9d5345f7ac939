"""The hub's and the agent's RBAC roles (deploy/hub/rbac.yaml,
deploy/agent/rbac.yaml) against what the binaries really do.

A fleet of real processes (devclusters started with --audit-log, the hub with
--leader-elect, two agents) goes through the scenarios that reach every code
path that talks to the Kubernetes API: leader election on the Lease; agents
connecting (MemberCluster status, ClusterConnected events); an invalid spec
(status, warning event); a FailoverService failing over and back twice
(TrafficSplits created and patched, status writes, the same event twice so
the recorder aggregates it with a patch); deleting the FailoverService
(agents delete their TrafficSplits), and the same with HTTPRoute and
LinkerdHTTPRoute outputs (the released CRDs installed in the members). The audit logs give every
(verb, group, resource[/subresource], namespace) each binary used, told
apart by User-Agent. The check fails if a request is not granted by the
binary's roles, or if a role grants something no request used; both lists
are printed. Usage: rbac_check.py BIN_DIR
"""

import json
import os
import sys
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "test", "e2e"))

import fleet as fl  # noqa: E402

NS = "shop"
GATEWAY = "172.18.0.1"
ROLE_FILES = {"switchyard-hub": "deploy/hub/rbac.yaml", "switchyard-agent": "deploy/agent/rbac.yaml"}


class AuditedFleet(fl.Fleet):
    """A Fleet whose devclusters each write an audit log next to their data."""

    def _spawn(self, name, argv):
        if name.startswith("devcluster-"):
            argv = [*argv, "--audit-log", os.path.join(self.workdir, f"{name}.audit")]
        return super()._spawn(name, argv)

    def audit_records(self):
        records = []
        for entry in sorted(os.listdir(self.workdir)):
            if entry.endswith(".audit"):
                with open(os.path.join(self.workdir, entry)) as f:
                    records += [json.loads(line) for line in f if line.strip()]
        return records


# --- what the roles grant ----------------------------------------------------

def grants(binary):
    """(verb, group, resource, namespace) the binary's roles grant; namespace
    None for a ClusterRole (every namespace and cluster scope)."""
    with open(os.path.join(REPO, ROLE_FILES[binary])) as f:
        documents = [d for d in yaml.safe_load_all(f) if d]
    granted = set()
    for role in documents:
        if role["kind"] not in ("ClusterRole", "Role") or role["metadata"]["name"] != binary:
            continue
        scope = role["metadata"].get("namespace") if role["kind"] == "Role" else None
        for rule in role.get("rules", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        granted.add((verb, group, resource, scope))
    return granted


def used(records, binary):
    """(verb, group, resource[/subresource], namespace) the binary requested."""
    result = set()
    for record in records:
        if not record["userAgent"].startswith(binary + "/"):
            continue
        resource = record["resource"] + ("/" + record["subresource"] if record["subresource"] else "")
        result.add((record["verb"], record["group"], resource, record["namespace"]))
    return result


def covers(grant, request):
    verb, group, resource, scope = grant
    return (verb, group, resource) == request[:3] and (scope is None or scope == request[3])


def compare(binary, granted, requested):
    """Problems: requests no grant covers, grants no request used."""
    problems = []
    for request in sorted(requested):
        if not any(covers(g, request) for g in granted):
            problems.append(f"{binary} used {request} which its roles do not grant")
    for grant in sorted(granted, key=str):
        if not any(covers(grant, r) for r in requested):
            problems.append(f"{binary}'s role grants {grant} which it never used")
    return problems


# --- the scenarios -------------------------------------------------------------

def fos(backing_clusters, delay=1, name="checkout", output=None):
    spec = {"backingServices": [{"cluster": c, "namespace": NS, "name": "checkout"} for c in backing_clusters],
            "failback": {"delaySeconds": delay},
            "health": {"unknownAfterSeconds": 40, "silentFailoverSeconds": 120}}
    if output is not None:
        spec["output"] = output
    return {"apiVersion": "switchyard.io/v1alpha1", "kind": "FailoverService",
            "metadata": {"name": name, "namespace": NS}, "spec": spec}


CRDS = [os.path.join(REPO, "crds", "third_party", f) for f in
        ("gateway.networking.k8s.io_httproutes.yaml", "policy.linkerd.io_httproutes.yaml")]
# FailoverServices written as HTTPRoutes, and the resource each one's route is.
ROUTE_OUTPUTS = {"cart": ({"kind": "HTTPRoute", "port": 8080}, "httproutes.gateway.networking.k8s.io"),
                 "pay": ({"kind": "LinkerdHTTPRoute", "port": 8080}, "httproutes.policy.linkerd.io")}


def route_weights(fleet, cluster, resource, name):
    result = fleet.kubectl(cluster, "get", resource, "-n", NS, name, "-o", "json", check=False)
    if result.returncode != 0:
        return None
    refs = json.loads(result.stdout)["spec"]["rules"][0]["backendRefs"]
    return {ref["name"]: ref.get("weight", 1) for ref in refs}


def all_on(*backends):
    wanted = set(backends)
    return lambda w: w is not None and all((w.get(b, 0) > 0) == (b in wanted) for b in set(w) | wanted)


def run_scenarios(fleet):
    members = fleet.members
    fleet.start(hub=False, agents=False)
    fleet.start_hub(extra_args=("--leader-elect", "--leader-elect-retry-period", "1s",
                                "--leader-elect-renew-deadline", "3s", "--leader-elect-lease-duration", "5s"))
    for member in members:
        for crd in CRDS:   # before the agents start: they discover what is served at start
            fleet.kubectl(member, "apply", "-f", crd)
        fleet.start_agent(member)
    fl.wait_for("both MemberClusters connected", lambda: all(
        fleet.get_json("mgmt", "memberclusters.switchyard.io", m).get("status", {}).get("connected")
        for m in members), timeout=30)
    fleet.apply("mgmt", fl.namespace(NS))
    addresses = {"west": ["10.1.0.1"], "east": ["10.2.0.1"]}
    for member in members:
        other = next(m for m in members if m != member)
        fleet.apply(member, [fl.namespace(NS), fl.service(NS, "checkout"),
                             fl.endpoint_slice(NS, "checkout", addresses[member]),
                             fl.service(NS, f"checkout-{other}"), fl.endpoint_slice(NS, f"checkout-{other}", [GATEWAY])])

    def state(wanted):
        fl.wait_for(f"state {wanted}", lambda: fleet.fos_status(NS, "checkout").get("state") == wanted, timeout=30)

    def split(cluster, predicate):
        fl.wait_for(f"the TrafficSplit in {cluster}",
                    lambda: predicate(fleet.traffic_split(cluster, NS, "checkout")), timeout=30)

    def route(cluster, name, predicate):
        resource = ROUTE_OUTPUTS[name][1]
        fl.wait_for(f"the {resource} {name} in {cluster}",
                    lambda: predicate(route_weights(fleet, cluster, resource, name)), timeout=30)

    fleet.apply("mgmt", fos(["west", "eest"]))   # invalid: unknown cluster
    state("Invalid")
    fleet.apply("mgmt", fos(["west", "east"]))
    for name, (output, _) in ROUTE_OUTPUTS.items():
        fleet.apply("mgmt", fos(["west", "east"], name=name, output=output))
    state("Primary")
    split("west", all_on("checkout"))
    split("east", all_on("checkout-west"))
    for name in ROUTE_OUTPUTS:
        route("west", name, all_on("checkout"))
    for _ in range(2):   # twice: the second round's events repeat the first's
        fleet.apply("west", fl.endpoint_slice(NS, "checkout", addresses["west"], ready=False))
        split("west", all_on("checkout-east"))
        for name in ROUTE_OUTPUTS:
            route("west", name, all_on("checkout-east"))
        state("FailedOver")
        fleet.apply("west", fl.endpoint_slice(NS, "checkout", addresses["west"], ready=True))
        split("west", all_on("checkout"))
        for name in ROUTE_OUTPUTS:
            route("west", name, all_on("checkout"))
        state("Primary")
    fleet.kubectl("mgmt", "delete", "failoverservices.switchyard.io", "-n", NS, "checkout", *ROUTE_OUTPUTS)
    for member in members:
        split(member, lambda w: w is None)
        for name in ROUTE_OUTPUTS:
            route(member, name, lambda w: w is None)


def main(bin_dir):
    fleet = AuditedFleet(members=("west", "east"), bin_dir=bin_dir)
    try:
        run_scenarios(fleet)
        # The Lease is renewed every retry period: wait for one renewal at least.
        fl.wait_for("a Lease renewal", lambda: any(
            r["verb"] == "update" and r["resource"] == "leases" for r in fleet.audit_records()), timeout=15)
        records = fleet.audit_records()
    except Exception:
        for process in fleet._processes:
            print(f"--- {process.name}:\n{process.log_tail(40)}")
        raise
    finally:
        fleet.stop()

    problems = []
    for binary in ROLE_FILES:
        requested = used(records, binary)
        # The comparison itself must see a grant taken away and one added.
        granted = grants(binary)
        if granted and requested:
            some = sorted(granted, key=str)[0]
            extra = ("deletecollection", "", "pods", None)
            if not compare(binary, granted - {some}, requested) or not compare(binary, granted | {extra}, requested):
                problems.append(f"the comparison for {binary} misses a removed or an added grant")
        if not requested:
            problems.append(f"no request from {binary} in the audit logs (User-Agent not set?)")
        print(f"--- {binary}: requests made (verb, group, resource, namespace)")
        for request in sorted(requested):
            print(f"  {request}")
        print(f"--- {binary}: granted by {ROLE_FILES[binary]} (namespace None = ClusterRole)")
        for grant in sorted(granted, key=str):
            print(f"  {grant}")
        problems += compare(binary, granted, requested)
    if problems:
        print("FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("the roles grant exactly what the hub and the agent use")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
