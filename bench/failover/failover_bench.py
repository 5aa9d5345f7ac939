#!/usr/bin/python3
"""End-to-end failover latency against its floor (issue 8 items 1 and 3), per
output kind (issue 16 item 8).

Real processes on loopback: three devclusters as member clusters (west, east,
north) plus one as the management cluster, the hub, and an agent per member.
One FailoverService, `bench/bench-svc`, is backed by west (primary), east and
north, consumed by all three; failback delay 0. With 1, 1,000 and 10,000
FailoverServices present (the others over services of their own in the same
three clusters), it measures:

  failover: from the API write that takes west's last ready endpoint away to
            the moment a watcher in every consumer cluster has seen its
            route (TrafficSplit or HTTPRoute) move to east;
  failback: from the write that makes it ready again to every consumer's
            route back on west.

With --outputs trafficsplit,httproute (the default) it runs one fleet per
output kind side by side: every FailoverService of a fleet names that kind
in spec.output, and the HTTPRoute fleet's members hold the released Gateway
API CRD (crds/third_party), so devcluster validates every route against the
real schema. Each size is reached in both fleets before it is measured, and
the failovers alternate between the fleets round by round, so that both
kinds meet the same machine load; the run reports each kind's p99 over the
first kind's at every size.

The floor, measured in the same run with the same client: one API hop (a
write in a devcluster to the event at a watcher of it) and one agent-API
round trip (an HTTPS request to the hub). The design needs two of each:
EndpointSlice write -> agent's watch, agent -> hub report, hub -> agent
assignment (long poll answer), agent's TrafficSplit write -> consumer's watch.
floor = 2 x hop + 2 x round trip (p50s).

Writes: resourceVersion deltas of each devcluster (one monotonic counter per
cluster, as etcd's revision) over one failover, and over 60 s of steady state,
with each agent's CPU time meanwhile (its periodic full pass falls in it).

With --quiet-seconds 60 it also measures a few failovers and failbacks each
after 60 s without a write, as after a quiet period in production: the
pooled keep-alive connections of the hub and agents have outlived the
devcluster's 30 s idle timeout by then.

  bench/failover/failover_bench.py [--sizes 1,1000,10000] [--iterations 200] [--steady-seconds 60]
                                   [--outputs trafficsplit,httproute]
                                   [--quiet-seconds 60 [--quiet-iterations 3]]
"""

import argparse
import concurrent.futures
import contextlib
import http.client
import json
import os
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


class Output:
    """One output kind as the benchmark sees it: what each FailoverService
    names in spec.output, the CRDs its members need beyond the fleet's SMI
    one, and the route object each consumer's watcher reads weights from."""

    def __init__(self, name, spec, group, version, plural, crds, weights):
        self.name, self.spec, self.crds = name, spec, crds
        self.group, self.version, self.plural = group, version, plural
        self.weights = weights


def split_weights(split):
    return {b["service"]: b.get("weight", 0) for b in split.get("spec", {}).get("backends", [])}


def route_weights(route):
    """backendRefs' weights of the route's one rule (the Gateway API's default weight is 1)."""
    rules = route.get("spec", {}).get("rules", [])
    return {ref["name"]: ref.get("weight", 1) for ref in (rules[0].get("backendRefs", []) if rules else [])}


OUTPUTS = {
    "trafficsplit": Output("TrafficSplit", {"kind": "TrafficSplit", "apiVersion": "split.smi-spec.io/v1alpha2"},
                           "split.smi-spec.io", "v1alpha2", "trafficsplits", [], split_weights),
    "httproute": Output("HTTPRoute", {"kind": "HTTPRoute", "port": 8080},
                        "gateway.networking.k8s.io", "v1", "httproutes", [fl.GATEWAY_CRD], route_weights),
}


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


class RouteWatch(threading.Thread):
    """Records each version of one consumer's route weights (the bench
    FailoverService's TrafficSplit or HTTPRoute) with its arrival time."""

    def __init__(self, api, cluster, output):
        super().__init__(daemon=True)
        self.api, self.cluster, self.output = api, cluster, output
        self.events = []
        self.cond = threading.Condition()
        self.watch = kwatch.Watch()
        self.stopping = False

    def run(self):
        output = self.output
        try:
            for event in self.watch.stream(self.api.custom.list_namespaced_custom_object, output.group,
                                           output.version, NS, output.plural, field_selector=f"metadata.name={SVC}",
                                           timeout_seconds=3600):
                arrived = time.perf_counter()
                weights = output.weights(event["object"])
                with self.cond:
                    self.events.append((arrived, weights))
                    self.cond.notify_all()
        except Exception:
            # The stream blocks in a read that the devcluster's exit breaks.
            if not self.stopping:
                raise

    def stop(self):
        self.stopping = True
        self.watch.stop()

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
                    raise fl.FleetError(f"{self.cluster}: {self.output.name} {NS}/{SVC} did not change "
                                        f"within {timeout}s "
                                        f"(last: {self.events[-1][1] if self.events else None})")
                self.cond.wait(remaining)


def all_on(backend):
    return lambda w: w.get(backend, 0) > 0 and all(v == 0 for k, v in w.items() if k != backend)


def mirror(name, cluster):
    return f"{name}-{cluster}"


def fos_object(name, service_name, output, delay=0):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "FailoverService",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"service": service_name,
                     "backingServices": [{"cluster": m, "namespace": NS, "name": service_name} for m in MEMBERS],
                     "failback": {"delaySeconds": delay},
                     "output": dict(output.spec)}}


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


class OutputFleet:
    """A fleet whose FailoverServices all name one output kind: its
    processes, its clients, the watchers of the bench FailoverService's route
    in every consumer, and how many FailoverServices it holds."""

    def __init__(self, output):
        self.output = output
        self.fleet = fl.Fleet(members=MEMBERS, report_interval="5s", persist=False)
        self.apis = {}
        self.watches = {}
        self.present = 0

    def start(self):
        fleet = self.fleet
        fleet.start(agents=False)
        # Before the agents: an agent discovers the route APIs its cluster
        # serves when it starts (and then only every --discovery-interval).
        for member in MEMBERS:
            for crd in self.output.crds:
                fleet.kubectl(member, "apply", "-f", crd)
            fleet.start_agent(member)
        self.apis = {name: Api(fleet, name) for name in ("mgmt", *MEMBERS)}
        for name in self.apis:
            fleet.apply(name, fl.namespace(NS))
        deploy_service(self.apis, SVC, 0)
        self.apis["mgmt"].custom.create_namespaced_custom_object(GROUP, VERSION, NS, "failoverservices",
                                                                 fos_object(SVC, SVC, self.output))
        self.present = 1
        self.wait_settled()
        self.watches = {m: RouteWatch(self.apis[m], m, self.output) for m in MEMBERS}
        for w in self.watches.values():
            w.start()

    def stop(self):
        for w in self.watches.values():
            w.stop()
        self.fleet.stop()

    def grow_to(self, size):
        """FailoverServices fos-present..fos-(size-1) over BACKGROUND_SERVICES
        services (as a fleet where many virtual services share backends), so
        that the member clusters hold the routes of every FailoverService but
        only a few hundred services."""
        first, count = self.present, size - self.present

        def service_for(i):
            return f"bg-{i % BACKGROUND_SERVICES}"

        def deploy(j):
            deploy_service(self.apis, f"bg-{j}", j + 1)

        def create(i):
            self.apis["mgmt"].custom.create_namespaced_custom_object(
                GROUP, VERSION, NS, "failoverservices", fos_object(f"fos-{i}", service_for(i), self.output, delay=30))
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            existing = min(first - 1, BACKGROUND_SERVICES)
            list(pool.map(deploy, range(existing, min(first - 1 + count, BACKGROUND_SERVICES))))
            list(pool.map(create, range(first, first + count)))
        self.present = size
        self.wait_settled()

    def wait_settled(self):
        """Every FailoverService has a status and every member holds all their routes."""
        total, output = self.present, self.output

        def settled():
            listed = self.apis["mgmt"].custom.list_namespaced_custom_object(GROUP, VERSION, NS, "failoverservices")
            with_status = sum(1 for item in listed["items"] if item.get("status", {}).get("state") == "Primary")
            if with_status < total:
                return False
            for member in MEMBERS:
                routes = self.apis[member].custom.list_namespaced_custom_object(output.group, output.version, NS,
                                                                               output.plural)
                if len(routes["items"]) < total:
                    return False
            return True
        fl.wait_for(f"{total} FailoverServices with {output.name} output decided and applied", settled,
                    timeout=900, interval=1.0)


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


def run_failovers(benches, iterations, quiet_seconds=None):
    """Failovers and failbacks in turn, each after `quiet_seconds` without a
    write (the usual short quiet by default); {output name: (failover
    percentiles, failback percentiles)}. The fleets take turns round by
    round, so that a burst of load on the shared machine meets every output
    kind alike and their ratio holds even when the absolute figures do not."""
    quiet_seconds = QUIET_SECONDS if quiet_seconds is None else quiet_seconds
    samples = {b.output.name: ([], []) for b in benches}
    east, west = {"west": all_on(mirror(SVC, "east")), "east": all_on(SVC), "north": all_on(mirror(SVC, "east"))}, \
        {"west": all_on(SVC), "east": all_on(mirror(SVC, "west")), "north": all_on(mirror(SVC, "west"))}
    for _ in range(iterations):
        for bench in benches:
            failovers, failbacks = samples[bench.output.name]
            for ready, sink, expected in ((False, failovers, east), (True, failbacks, west)):
                time.sleep(quiet_seconds)
                sent = time.perf_counter()
                set_primary_ready(bench.apis["west"], ready)
                seen = max(bench.watches[m].wait_for(expected[m], sent) for m in MEMBERS)
                sink.append((seen - sent) * 1000)
    return {name: (percentiles(fo), percentiles(fb)) for name, (fo, fb) in samples.items()}


def route_writes_per_consumer(writes):
    """The route writes in each consumer cluster over one failover: its
    revision delta, less the EndpointSlice write in west that set it off."""
    return {m: writes[m] - (1 if m == "west" else 0) for m in MEMBERS}


# Issue 16 item 8: failover p99 with HTTPRoute output within 10 % of the
# TrafficSplit figure at 10,000 FailoverServices, in the same run.
P99_RATIO_TARGET = 1.10


def load():
    return os.getloadavg()[0]


def cpu_seconds(process):
    """User and system CPU time a child process has used so far (/proc/PID/stat)."""
    with open(f"/proc/{process.popen.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    parser.add_argument("--outputs", default="trafficsplit,httproute",
                        help=f"the output kinds to measure side by side, the first as the reference "
                             f"({', '.join(OUTPUTS)})")
    parser.add_argument("--quiet-seconds", type=int, default=0,
                        help="also measure --quiet-iterations failovers and failbacks, each after this many "
                             "seconds without a write (kept-alive connections the servers closed meanwhile)")
    parser.add_argument("--quiet-iterations", type=int, default=3)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    try:
        outputs = [OUTPUTS[name] for name in args.outputs.split(",")]
    except KeyError as e:
        parser.error(f"--outputs: unknown output kind {e} (known: {', '.join(OUTPUTS)})")
    reference = outputs[0].name

    results = {"machine": f"{os.cpu_count()} cores, load {load():.1f}", "outputs": [o.name for o in outputs],
               "sizes": {}}
    with contextlib.ExitStack() as stack:
        benches = []
        for output in outputs:
            bench = OutputFleet(output)
            stack.callback(bench.stop)
            bench.start()
            benches.append(bench)

        hop, round_trip = measure_floor(benches[0].fleet, benches[0].apis, args.iterations)
        floor = 2 * hop["p50"] + 2 * round_trip["p50"]
        results["floor"] = {"api_hop_ms": hop, "agent_api_round_trip_ms": round_trip, "floor_ms": floor}
        print(f"floor: API hop p50 {hop['p50']:.2f} ms p99 {hop['p99']:.2f} ms; agent API round trip "
              f"p50 {round_trip['p50']:.2f} ms; floor = 2 x hop + 2 x round trip = {floor:.2f} ms", flush=True)

        for size in sizes:
            for bench in benches:
                if size > bench.present:
                    started = time.monotonic()
                    bench.grow_to(size)
                    print(f"{size} FailoverServices with {bench.output.name} output present (added and settled "
                          f"in {time.monotonic() - started:.0f} s)", flush=True)
            load_before = load()
            measured = run_failovers(benches, args.iterations)
            load_after = load()
            entry = results["sizes"][size] = {"load": [load_before, load_after]}
            for bench in benches:
                name = bench.output.name
                failover, failback = measured[name]
                writes, mgmt_writes = count_writes(bench.apis, lambda: set_primary_ready(bench.apis["west"], False))
                count_writes(bench.apis, lambda: set_primary_ready(bench.apis["west"], True))
                per_consumer = route_writes_per_consumer(writes)
                entry[name] = {"failover_ms": failover, "failback_ms": failback, "writes_per_failover": writes,
                               "route_writes_per_consumer": per_consumer, "mgmt_writes_by_kind": mgmt_writes}
                print(f"{size:>6} FailoverServices, {name}: failover p50 {failover['p50']:.1f} ms p99 "
                      f"{failover['p99']:.1f} ms max {failover['max']:.1f} ms ({failover['p99'] / floor:.1f}x floor); "
                      f"failback p50 {failback['p50']:.1f} ms p99 {failback['p99']:.1f} ms max "
                      f"{failback['max']:.1f} ms; {name} writes per consumer in one failover {per_consumer}"
                      f"{'' if set(per_consumer.values()) == {1} else ' (NOT 1)'} (mgmt by kind {mgmt_writes})",
                      flush=True)
            for name in [o.name for o in outputs[1:]]:
                # p99 of 200 is the second slowest: one stall moves it; the
                # p50 ratio says whether the path itself differs.
                ratios = {q: entry[name]["failover_ms"][q] / entry[reference]["failover_ms"][q] for q in ("p50", "p99")}
                entry.setdefault("ratio", {})[name] = ratios
                verdict = "within" if ratios["p99"] <= P99_RATIO_TARGET else "NOT within"
                print(f"{size:>6} FailoverServices: failover {name} / {reference}: p99 {ratios['p99']:.2f} ({verdict} "
                      f"{P99_RATIO_TARGET:.2f}), p50 {ratios['p50']:.2f}; load {load_before:.1f} -> {load_after:.1f}",
                      flush=True)

        if args.quiet_seconds > 0:
            measured = run_failovers(benches, args.quiet_iterations, args.quiet_seconds)
            results["after_quiet"] = {"quiet_seconds": args.quiet_seconds}
            for bench in benches:
                failover, failback = measured[bench.output.name]
                results["after_quiet"][bench.output.name] = {"failover_ms": failover, "failback_ms": failback}
                print(f"after {args.quiet_seconds} s of quiet ({bench.present} FailoverServices, "
                      f"{bench.output.name}): failover p50 {failover['p50']:.1f} ms max {failover['max']:.1f} ms; "
                      f"failback p50 {failback['p50']:.1f} ms max {failback['max']:.1f} ms "
                      f"({failover['n']} of each)", flush=True)

        # Each agent's periodic full pass (every 60 s: list and plan every
        # route it manages) falls in a steady state of 60 s or more: its CPU
        # time is most of what an idle agent spends.
        cpu_before = [{m: cpu_seconds(b.fleet.agents[m]) for m in MEMBERS} for b in benches]
        with concurrent.futures.ThreadPoolExecutor(len(benches)) as pool:
            steady = list(pool.map(lambda b: count_writes(b.apis, lambda: None, settle_seconds=args.steady_seconds),
                                   benches))
        results["steady_state_writes"] = {"seconds": args.steady_seconds}
        for bench, (writes, mgmt), before in zip(benches, steady, cpu_before):
            cpu = {m: round(cpu_seconds(bench.fleet.agents[m]) - before[m], 2) for m in MEMBERS}
            results["steady_state_writes"][bench.output.name] = {"writes": writes, "mgmt_by_kind": mgmt,
                                                                 "agent_cpu_seconds": cpu}
            print(f"steady state, {bench.output.name}: API writes over {args.steady_seconds} s: {writes} "
                  f"(mgmt by kind {mgmt}); agents' CPU seconds {cpu}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
