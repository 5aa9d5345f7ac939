#!/usr/bin/python3
"""End-to-end failover latency against its floor (issue 8 items 1 and 3).

Real processes on loopback: three devclusters as member clusters (west, east,
north) plus one as the management cluster, the hub, and an agent per member.
One FailoverService, `bench/bench-svc`, is backed by west (primary), east and
north, consumed by all three; failback delay 0. With 1, 1,000 and 10,000
FailoverServices present (the others over services of their own in the same
three clusters), it measures:

  failover: from the API write that takes west's last ready endpoint away to
            the moment a watcher in every consumer cluster has seen its
            TrafficSplit move to east;
  failback: from the write that makes it ready again to every consumer's
            TrafficSplit back on west.

The floor, measured in the same run with the same client: one API hop (a
write in a devcluster to the event at a watcher of it) and one agent-API
round trip (an HTTPS request to the hub). The design needs two of each:
EndpointSlice write -> agent's watch, agent -> hub report, hub -> agent
assignment (long poll answer), agent's TrafficSplit write -> consumer's watch.
floor = 2 x hop + 2 x round trip (p50s).

Writes: resourceVersion deltas of each devcluster (one monotonic counter per
cluster, as etcd's revision) over one failover, and over 60 s of steady state.

With --quiet-seconds 60 it also measures a few failovers and failbacks each
after 60 s without a write, as after a quiet period in production: the
pooled keep-alive connections of the hub and agents have outlived the
devcluster's 30 s idle timeout by then.

  bench/failover/failover_bench.py [--sizes 1,1000,10000] [--iterations 200] [--steady-seconds 60]
                                   [--quiet-seconds 60 [--quiet-iterations 3]]
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "e2e"))
import fleet as fl  # noqa: E402

from kubernetes import client as kclient, config as kconfig, watch as kwatch  # noqa: E402

MEMBERS = ("west", "east", "north")
NS = "bench"
SVC = "bench-svc"
GROUP, VERSION = "switchyard.io", "v1alpha1"
TS_GROUP, TS_VERSION = "split.smi-spec.io", "v1alpha2"


def percentiles(samples):
    ordered = sorted(samples)
    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"n": len(ordered), "p50": at(0.50), "p99": at(0.99), "max": ordered[-1]}


class Api:
    """The Python Kubernetes client for one devcluster of the fleet."""

    def __init__(self, fleet, context):
        self.api_client = kconfig.new_client_from_config(config_file=fleet.kubeconfig, context=context)
        self.core = kclient.CoreV1Api(self.api_client)
        self.discovery = kclient.DiscoveryV1Api(self.api_client)
        self.custom = kclient.CustomObjectsApi(self.api_client)

    def revision(self):
        """The cluster's current resourceVersion (every write moves it by one)."""
        return int(self.core.list_namespace(limit=1).metadata.resource_version)


class SplitWatch(threading.Thread):
    """Records each version of one TrafficSplit's weights with its arrival time."""

    def __init__(self, api, cluster):
        super().__init__(daemon=True)
        self.api, self.cluster = api, cluster
        self.events = []
        self.cond = threading.Condition()
        self.watch = kwatch.Watch()

    def run(self):
        for event in self.watch.stream(self.api.custom.list_namespaced_custom_object, TS_GROUP, TS_VERSION, NS,
                                       "trafficsplits", field_selector=f"metadata.name={SVC}",
                                       timeout_seconds=3600):
            arrived = time.perf_counter()
            backends = event["object"].get("spec", {}).get("backends", [])
            weights = {b["service"]: b.get("weight", 0) for b in backends}
            with self.cond:
                self.events.append((arrived, weights))
                self.cond.notify_all()

    def wait_for(self, predicate, after, timeout=30):
        deadline = time.perf_counter() + timeout
        with self.cond:
            while True:
                for at, weights in reversed(self.events):
                    if at < after:
                        break
                    if predicate(weights):
                        return at
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise fl.FleetError(f"{self.cluster}: TrafficSplit did not change within {timeout}s "
                                        f"(last: {self.events[-1][1] if self.events else None})")
                self.cond.wait(remaining)


def all_on(backend):
    return lambda w: w.get(backend, 0) > 0 and all(v == 0 for k, v in w.items() if k != backend)


def mirror(name, cluster):
    return f"{name}-{cluster}"


def fos_object(name, service_name, delay=0):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "FailoverService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"service": service_name,
                     "backingServices": [{"cluster": m, "namespace": NS, "name": service_name} for m in MEMBERS],
                     "failback": {"delaySeconds": delay},
                     "output": {"kind": "TrafficSplit", "apiVersion": f"{TS_GROUP}/{TS_VERSION}"}}}


def deploy_service(apis, service_name, index):
    """The service with two ready endpoints in every member, and the mirrors
    of the other members' copies (one ready gateway endpoint each)."""
    for n, member in enumerate(MEMBERS):
        objects = [(service_name, [f"10.{n}.{index // 250}.{index % 250 + 1}", f"10.{n + 100}.{index // 250}.{index % 250 + 1}"])]
        objects += [(mirror(service_name, remote), [f"172.18.0.{k + 1}"]) for k, remote in enumerate(MEMBERS)
                    if remote != member]
        for name, addresses in objects:
            apis[member].core.create_namespaced_service(NS, fl.service(NS, name))
            apis[member].discovery.create_namespaced_endpoint_slice(NS, fl.endpoint_slice(NS, name, addresses))


def set_primary_ready(api, ready):
    """One JSON patch of west's EndpointSlice: every endpoint ready or not."""
    patch = [{"op": "replace", "path": f"/endpoints/{i}/conditions/ready", "value": ready} for i in range(2)]
    api.discovery.patch_namespaced_endpoint_slice(f"{SVC}-slice", NS, patch)


BACKGROUND_SERVICES = 100


def add_background(fleet, apis, first, count):
    """FailoverServices bg-first..bg-(first+count-1) over BACKGROUND_SERVICES
    services (as a fleet where many virtual services share backends), so that
    the member clusters hold the TrafficSplits of every FailoverService but
    only a few hundred services."""
    def service_for(i):
        return f"bg-{i % BACKGROUND_SERVICES}"

    def deploy(j):
        deploy_service(apis, f"bg-{j}", j + 1)

    def create(i):
        apis["mgmt"].custom.create_namespaced_custom_object(GROUP, VERSION, NS, "failoverservices",
                                                            fos_object(f"fos-{i}", service_for(i), delay=30))
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        existing = min(first - 1, BACKGROUND_SERVICES)
        list(pool.map(deploy, range(existing, min(first - 1 + count, BACKGROUND_SERVICES))))
        list(pool.map(create, range(first, first + count)))


def wait_settled(fleet, apis, total):
    """Every FailoverService has a status and every member has all its TrafficSplits."""
    def settled():
        listed = apis["mgmt"].custom.list_namespaced_custom_object(GROUP, VERSION, NS, "failoverservices")
        with_status = sum(1 for item in listed["items"] if item.get("status", {}).get("state") == "Primary")
        if with_status < total:
            return False
        for member in MEMBERS:
            splits = apis[member].custom.list_namespaced_custom_object(TS_GROUP, TS_VERSION, NS, "trafficsplits")
            if len(splits["items"]) < total:
                return False
        return True
    fl.wait_for(f"{total} FailoverServices decided and applied", settled, timeout=900, interval=1.0)


def measure_floor(fleet, apis, iterations):
    """One API hop (write -> watch event) on a member devcluster, and one
    HTTPS round trip to the hub's agent API."""
    api = apis["east"]
    events = []
    cond = threading.Condition()
    w = kwatch.Watch()

    def run():
        for event in w.stream(api.core.list_namespaced_config_map, NS, timeout_seconds=600):
            with cond:
                events.append((time.perf_counter(), event["object"].metadata.name, event["type"]))
                cond.notify_all()
    threading.Thread(target=run, daemon=True).start()
    time.sleep(0.5)
    hops = []
    for i in range(iterations):
        name = f"floor-{i}"
        time.sleep(QUIET_SECONDS)
        sent = time.perf_counter()
        api.core.create_namespaced_config_map(NS, {"metadata": {"name": name}, "data": {"k": "v"}})
        with cond:
            while not any(n == name for _, n, _ in events[-5:]):
                cond.wait(5)
            arrived = next(at for at, n, _ in reversed(events) if n == name)
        hops.append((arrived - sent) * 1000)
    w.stop()

    host, port = fleet.hub_url.split("//", 1)[1].rsplit(":", 1)
    import ssl
    context = ssl.create_default_context(cafile=os.path.join(fleet.workdir, "hub.crt"))
    connection = http.client.HTTPSConnection(host, int(port), context=context)
    round_trips = []
    for _ in range(iterations):
        time.sleep(QUIET_SECONDS)
        sent = time.perf_counter()
        # An unauthenticated report: the hub checks the token and answers 401
        # at once, the shortest request on the agent API's real path.
        connection.request("PUT", "/v1/clusters/east/report", body=b"{}",
                           headers={"Authorization": "Bearer x", "Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        round_trips.append((time.perf_counter() - sent) * 1000)
    connection.close()
    return percentiles(hops), percentiles(round_trips)


# Each measured write starts from quiet watch streams, as a real failover does:
# devcluster sends the events of a stream that wrote less than 3 ms before
# together, 3 ms after its last write (ServerOptions::watch_coalesce), which
# back-to-back iterations would measure instead of the path.
QUIET_SECONDS = 0.02


def run_failovers(apis, watches, iterations, quiet_seconds=None):
    """Failovers and failbacks in turn, each after `quiet_seconds` without a
    write (the usual short quiet by default)."""
    quiet_seconds = QUIET_SECONDS if quiet_seconds is None else quiet_seconds
    failovers, failbacks = [], []
    for _ in range(iterations):
        for ready, sink, expected in ((False, failovers, {"west": all_on(mirror(SVC, "east")), "east": all_on(SVC),
                                                          "north": all_on(mirror(SVC, "east"))}),
                                      (True, failbacks, {"west": all_on(SVC), "east": all_on(mirror(SVC, "west")),
                                                         "north": all_on(mirror(SVC, "west"))})):
            time.sleep(quiet_seconds)
            sent = time.perf_counter()
            set_primary_ready(apis["west"], ready)
            seen = max(watches[m].wait_for(expected[m], sent) for m in MEMBERS)
            sink.append((seen - sent) * 1000)
    return percentiles(failovers), percentiles(failbacks)


class WriteTally:
    """Watches the management cluster from one resourceVersion and counts the
    writes it sees by kind: Events, FailoverServices (the hub writes only
    their status), MemberClusters; the rest of the revision delta is
    "other"."""

    KINDS = {"Event": None, "FailoverService": "failoverservices", "MemberCluster": "memberclusters"}

    def __init__(self, api, revision, seconds):
        self.counts = {kind: 0 for kind in self.KINDS}
        self.lock = threading.Lock()
        self.threads = []
        for kind, plural in self.KINDS.items():
            if plural is None:
                lister, kwargs = api.core.list_event_for_all_namespaces, {}
            else:
                lister = api.custom.list_cluster_custom_object
                kwargs = {"group": GROUP, "version": VERSION, "plural": plural}
            thread = threading.Thread(target=self._count, args=(kind, lister, revision, seconds, kwargs), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _count(self, kind, lister, revision, seconds, kwargs):
        for _ in kwatch.Watch().stream(lister, resource_version=str(revision), timeout_seconds=int(seconds),
                                       allow_watch_bookmarks=False, **kwargs):
            with self.lock:
                self.counts[kind] += 1

    def result(self, total):
        for thread in self.threads:
            thread.join()
        counts = dict(self.counts)
        counts["other"] = total - sum(counts.values())
        return counts


def count_writes(apis, action, settle_seconds=2.0, quiet_seconds=2.0):
    """API writes per cluster over `action` and `settle_seconds` after it,
    and the management cluster's by kind. Starts after `quiet_seconds`, so
    that what an earlier action set off (confirmations, Events) has landed."""
    time.sleep(quiet_seconds)
    before = {name: api.revision() for name, api in apis.items()}
    tally = WriteTally(apis["mgmt"], before["mgmt"], settle_seconds + 1)
    action()
    time.sleep(settle_seconds)
    writes = {name: api.revision() - before[name] for name, api in apis.items()}
    return writes, tally.result(writes["mgmt"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1,1000,10000")
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--steady-seconds", type=int, default=60)
    parser.add_argument("--quiet-seconds", type=int, default=0,
                        help="also measure --quiet-iterations failovers and failbacks, each after this many "
                             "seconds without a write (kept-alive connections the servers closed meanwhile)")
    parser.add_argument("--quiet-iterations", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    results = {"machine": f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", "sizes": {}}
    with fl.Fleet(members=MEMBERS, report_interval="5s", persist=False) as fleet:
        fleet.start()
        apis = {name: Api(fleet, name) for name in ("mgmt", *MEMBERS)}
        for name in apis:
            fleet.apply(name, fl.namespace(NS))
        deploy_service(apis, SVC, 0)
        apis["mgmt"].custom.create_namespaced_custom_object(GROUP, VERSION, NS, "failoverservices",
                                                            fos_object(SVC, SVC))
        wait_settled(fleet, apis, 1)
        watches = {m: SplitWatch(apis[m], m) for m in MEMBERS}
        for w in watches.values():
            w.start()

        hop, round_trip = measure_floor(fleet, apis, args.iterations)
        floor = 2 * hop["p50"] + 2 * round_trip["p50"]
        results["floor"] = {"api_hop_ms": hop, "agent_api_round_trip_ms": round_trip, "floor_ms": floor}
        print(f"floor: API hop p50 {hop['p50']:.2f} ms p99 {hop['p99']:.2f} ms; agent API round trip "
              f"p50 {round_trip['p50']:.2f} ms; floor = 2 x hop + 2 x round trip = {floor:.2f} ms", flush=True)

        present = 1
        for size in sizes:
            if size > present:
                started = time.monotonic()
                add_background(fleet, apis, present, size - present)
                wait_settled(fleet, apis, size)
                present = size
                print(f"{size} FailoverServices present (added and settled in {time.monotonic() - started:.0f} s)",
                      flush=True)
            failover, failback = run_failovers(apis, watches, args.iterations)
            writes, mgmt_writes = count_writes(apis, lambda: set_primary_ready(apis["west"], False))
            count_writes(apis, lambda: set_primary_ready(apis["west"], True))
            results["sizes"][size] = {"failover_ms": failover, "failback_ms": failback,
                                      "writes_per_failover": writes, "mgmt_writes_by_kind": mgmt_writes}
            print(f"{size:>6} FailoverServices: failover p50 {failover['p50']:.1f} ms p99 {failover['p99']:.1f} ms "
                  f"max {failover['max']:.1f} ms ({failover['p99'] / floor:.1f}x floor); failback p50 "
                  f"{failback['p50']:.1f} ms p99 {failback['p99']:.1f} ms max {failback['max']:.1f} ms; "
                  f"writes in one failover {writes} (west includes the EndpointSlice write itself; "
                  f"mgmt by kind {mgmt_writes})", flush=True)

        if args.quiet_seconds > 0:
            failover, failback = run_failovers(apis, watches, args.quiet_iterations, args.quiet_seconds)
            results["after_quiet"] = {"quiet_seconds": args.quiet_seconds, "failover_ms": failover,
                                      "failback_ms": failback}
            print(f"after {args.quiet_seconds} s of quiet ({present} FailoverServices): failover p50 "
                  f"{failover['p50']:.1f} ms max {failover['max']:.1f} ms; failback p50 {failback['p50']:.1f} ms "
                  f"max {failback['max']:.1f} ms ({failover['n']} of each)", flush=True)

        steady, steady_mgmt = count_writes(apis, lambda: None, settle_seconds=args.steady_seconds)
        results["steady_state_writes"] = {"seconds": args.steady_seconds, "writes": steady,
                                          "mgmt_by_kind": steady_mgmt}
        print(f"steady state: API writes over {args.steady_seconds} s: {steady} (mgmt by kind {steady_mgmt})",
              flush=True)
        for w in watches.values():
            w.watch.stop()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
