#!/usr/bin/python3
"""Data-plane detection and evaluation cost (issue 15 item 7).

detection: real processes on loopback, as test/e2e/test_data_plane.py runs
  them: devclusters (mgmt, west, east), the hub, an agent per member with
  --prometheus-url and --data-plane-interval, one real Prometheus per member
  (Debian's 2.42, scraping every second) and one stand-in Linkerd proxy per
  member (test/support/fake_linkerd_proxy.py) for shop/checkout's pod. Both
  members consume checkout; traffic is on west. Each run: west's stand-in
  starts failing --failure-ratio of its requests (its pod stays Ready); the
  time from that control request to the moment a kubectl watch in every
  consumer cluster has seen its TrafficSplit move to east; then the errors
  stop and traffic returns (failback delay 0) before the next run, which
  starts once the window holds no failure.

  floor = scrape interval + evaluation interval + crossing
          + (failureThreshold - 1) x evaluation interval,
  crossing = window x (1 - minimum) / failure ratio: the success rate over
  the window is 1 - f x t / W a time t after the failures start (t < W), below
  the minimum once t > W (1 - m) / f. The failures start at a random phase of
  the scrapes and evaluations: the mean floor counts half of each.

evaluation: one Prometheus scraping --workloads workloads' proxy series from
  --exporters stand-in exporter processes (bench/dataplane/workload_exporter.py)
  every --eval-scrape-interval (linkerd-viz's 10 s), and --rounds rounds of the
  agent's batched evaluation over all of them (dataplane_evaluation_cost):
  per round the wall time, each query's latency and the agent thread's CPU,
  and Prometheus's CPU per round from /proc (over the rounds, less its CPU
  over as long a stretch without queries); once with the success-rate check
  alone, once with the latency check too, measured as the share of requests
  within --latency-maximum-ms (the maximum passed as the hub passes it;
  --quantile-rounds adds rounds of the histogram_quantile path). Each query
  is also timed on Prometheus itself (stats=all, no timeout), since the
  agent gives up at 5 s, and the round's queries sent together as the agent
  sends them (query_all).

  bench/dataplane/dataplane_bench.py [--parts detection,evaluation] [--runs 20] [--window 5s]
                                     [--workloads 10000] [--rounds 10] [--json FILE]
"""

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(REPO, "test", "e2e"))
sys.path.insert(0, os.path.join(REPO, "test", "support"))
import fleet as fl  # noqa: E402
import prometheus_harness as ph  # noqa: E402
from test_data_plane import pod_slice  # noqa: E402
from test_scenarios import all_on, backing, fos, NS, GATEWAY  # noqa: E402

MEMBERS = ("west", "east")
EXPORTER = os.path.join(HERE, "workload_exporter.py")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def percentiles(samples):
    ordered = sorted(samples)

    def at(q):
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
    return {"n": len(ordered), "p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "min": ordered[0], "max": ordered[-1],
            "mean": statistics.fmean(ordered)}


def load():
    return os.getloadavg()[0]


def seconds(duration):
    return ph._seconds(duration)


# --- detection ----------------------------------------------------------------

class DetectionFleet:
    """The fleet, the planes and the watches of one detection run."""

    def __init__(self, args):
        self.args = args
        self.planes, self.web, self.watches = {}, {}, {}
        self.fleet = None

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def _start(self):
        args = self.args
        for member in MEMBERS:
            plane = ph.DataPlane()
            self.planes[member] = plane
            self.web[member] = plane.add_pod(NS, "web", rps=args.rps)
            plane.start_prometheus()
        self.fleet = fl.Fleet(members=MEMBERS, persist=False)
        for member in MEMBERS:
            self.fleet.agent_args[member] = ["--prometheus-url", self.planes[member].url, "--data-plane-interval",
                                             args.interval, "--data-plane-window", args.window]
        self.fleet.start()
        self.fleet.apply("mgmt", fl.namespace(NS))
        for number, member in enumerate(MEMBERS, start=1):
            remote = [m for m in MEMBERS if m != member][0]
            self.fleet.apply(member, [fl.namespace(NS), fl.service(NS, "checkout"),
                                      pod_slice("checkout", self.web[member].pod, f"10.{number}.0.1"),
                                      fl.service(NS, f"checkout-{remote}"),
                                      fl.endpoint_slice(NS, f"checkout-{remote}", [GATEWAY])])
        spec = fos("checkout", [backing(m) for m in MEMBERS], delay=0)
        spec["spec"]["health"].update(
            {"successRate": {"minimum": args.minimum, "window": args.window, "minRequestsPerSecond": 1},
             "failureThreshold": args.failure_threshold, "successThreshold": args.success_threshold})
        self.fleet.apply("mgmt", spec)
        self.watches = {m: fl.split_watch(self.fleet, m, NS, "checkout") for m in MEMBERS}
        for watch in self.watches.values():
            watch.wait_started()
        self.wait_on(ON_WEST, time.monotonic() - 3600, timeout=60)
        fl.wait_for("west's data-plane evidence to pass",
                    lambda: self.west_evidence().get("lastEvaluation") == "Pass", timeout=60)

    def west_evidence(self):
        for entry in self.fleet.fos_status(NS, "checkout").get("backingServices", []):
            if entry["cluster"] == "west":
                return entry.get("dataPlane", {})
        return {}

    def wait_on(self, expected, after, timeout):
        """Arrival time, per consumer, of its split's first version after `after` in the expected state."""
        return {m: self.watches[m].wait_until(expected[m], after, timeout=timeout)[0] for m in MEMBERS}

    def stop(self):
        for watch in self.watches.values():
            watch.stop()
        if self.fleet is not None:
            self.fleet.stop()
        for plane in self.planes.values():
            plane.stop()


ON_WEST = {"west": all_on("checkout"), "east": all_on("checkout-west")}
ON_EAST = {"west": all_on("checkout-east"), "east": all_on("checkout")}


def floor_of(args):
    """The floor with each wait at its full length, and its mean: the
    failures start at a random phase of the scrape and evaluation cycles, so
    on average the next scrape and the next evaluation come half an interval
    later; failureThreshold - 1 more evaluations take whole intervals."""
    crossing = seconds(args.window) * (1 - args.minimum) / args.failure_ratio
    scrape, interval = 1.0, seconds(args.interval)
    extra = (args.failure_threshold - 1) * interval
    return {"crossing_s": crossing, "scrape_interval_s": scrape, "evaluation_interval_s": interval,
            "failure_threshold": args.failure_threshold,
            "floor_s": scrape + interval + extra + crossing,
            "mean_floor_s": scrape / 2 + interval / 2 + extra + crossing}


def run_detection(args):
    floor = floor_of(args)
    print(f"detection floor: scrape {floor['scrape_interval_s']:.1f} s + evaluation interval "
          f"{floor['evaluation_interval_s']:.1f} s + {args.failure_threshold - 1} more evaluation(s) (failureThreshold "
          f"{args.failure_threshold}) + crossing {floor['crossing_s']:.3f} s (window {args.window} x (1 - "
          f"{args.minimum}) / {args.failure_ratio}) = {floor['floor_s']:.2f} s; mean floor (half a scrape and half an "
          f"evaluation interval on average) {floor['mean_floor_s']:.2f} s", flush=True)
    all_consumers, by_consumer, loads, rates_seen = [], {m: [] for m in MEMBERS}, [], []
    phases = random.Random(args.seed)
    with DetectionFleet(args) as bench:
        web = bench.web["west"]
        for run in range(args.runs):
            # The window must hold no failure of the last run: the rate would
            # start low and cross the minimum sooner than from a clean start.
            # The random part spreads the start over the scrape and evaluation
            # cycles: the failback that ended the last run came right after an
            # evaluation, so a fixed pause would start every run at the same
            # phase (each then measured 2.00 s).
            time.sleep(seconds(args.window) + 2 + phases.uniform(0, max(1.0, seconds(args.interval))))
            loads.append(load())
            started = time.monotonic()
            web.control(failure_ratio=args.failure_ratio)
            seen = bench.wait_on(ON_EAST, started, timeout=60)
            for member, at in seen.items():
                by_consumer[member].append(at - started)
            all_consumers.append(max(seen.values()) - started)
            rates_seen.append(bench.west_evidence().get("successRate"))
            web.control(failure_ratio=0.0)
            bench.wait_on(ON_WEST, time.monotonic(), timeout=seconds(args.window) + 60)
            print(f"run {run + 1}/{args.runs}: every consumer moved {all_consumers[-1]:.2f} s after the first "
                  f"failing request (west {by_consumer['west'][-1]:.2f} s, east {by_consumer['east'][-1]:.2f} s; "
                  f"success rate seen {rates_seen[-1]}; load {loads[-1]:.1f})", flush=True)
    result = {"floor": floor, "all_consumers_s": percentiles(all_consumers),
              "by_consumer_s": {m: percentiles(v) for m, v in by_consumer.items()},
              "load": percentiles(loads), "success_rates_seen": rates_seen}
    every = result["all_consumers_s"]
    print(f"detection over {every['n']} runs: p50 {every['p50']:.2f} s, p99 {every['p99']:.2f} s, min "
          f"{every['min']:.2f} s, max {every['max']:.2f} s; floor {floor['floor_s']:.2f} s, mean floor "
          f"{floor['mean_floor_s']:.2f} s (p50 {every['p50'] / floor['mean_floor_s']:.2f}x mean floor); load "
          f"{result['load']['min']:.1f}..{result['load']['max']:.1f}",
          flush=True)
    return result


# --- evaluation cost ----------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def evaluation_cost(url, args, rounds, pause_ms, quantile, print_queries=False, maximum_ms=0):
    """maximum_ms: the latency check's maximum, passed with every workload
    as the hub does (0: none, the agent measures the quantile)."""
    argv = [os.path.join(args.bin, "dataplane_evaluation_cost"), "--prometheus-url", url,
            "--workloads", str(args.workloads), "--namespaces", str(args.namespaces), "--rounds", str(rounds),
            "--pause-ms", str(pause_ms), "--window", str(int(seconds(args.eval_window))), "--quantile", str(quantile),
            "--latency-maximum-ms", str(maximum_ms)]
    done = subprocess.run(argv + (["--print-queries"] if print_queries else []), capture_output=True, text=True,
                          timeout=rounds * (pause_ms / 1000 + 30) + 30)
    if done.returncode != 0:
        raise fl.FleetError(f"dataplane_evaluation_cost exited {done.returncode}: {done.stderr}")
    return done.stdout.splitlines() if print_queries else [json.loads(line) for line in done.stdout.splitlines()]


def timed_on_prometheus(url, promql, repeats):
    """The query's latency on Prometheus without the agent's 5 s timeout, and
    where Prometheus spent it (stats=all: preparation selects the series and
    loads their chunks, inner evaluation runs rate, sum and the quantile)."""
    runs = []
    for _ in range(repeats):
        data = urllib.parse.urlencode({"query": promql, "stats": "all"}).encode()
        started = time.perf_counter()
        with urllib.request.urlopen(url + "/api/v1/query", data=data, timeout=300) as response:
            body = json.load(response)
        timings = body["data"]["stats"]["timings"]
        runs.append({"ms": (time.perf_counter() - started) * 1000,
                     "preparation_ms": timings["queryPreparationTime"] * 1000,
                     "inner_eval_ms": timings["innerEvalTime"] * 1000,
                     "samples": body["data"]["stats"]["samples"]["totalQueryableSamples"],
                     "series": len(body["data"]["result"]), "load": load()})
    return runs


def timed_together(url, queries, repeats):
    """The wall time of `queries` sent at once (Prometheus runs concurrent
    queries on its cores), against the sum of their times one by one."""
    import threading
    runs = []
    for _ in range(repeats):
        results = [None] * len(queries)

        def one(i):
            results[i] = timed_on_prometheus(url, queries[i], 1)[0]["ms"]
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(queries))]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        runs.append({"ms": (time.perf_counter() - started) * 1000, "each_ms": results, "load": load()})
    return runs


def agent_rounds(plane, args, quantile, pause_ms, maximum_ms=0):
    """The agent's rounds with one check configuration, and Prometheus's CPU
    for them (less what it spends scraping over as long)."""
    pid = plane.prometheus.popen.pid
    # Whole scrape intervals, so that the idle share counts the scrapes.
    idle_seconds = max(args.rounds * pause_ms / 1000, 3 * seconds(args.eval_scrape_interval))
    idle_started, idle_cpu = time.monotonic(), cpu_seconds(pid)
    time.sleep(idle_seconds)
    idle_rate = (cpu_seconds(pid) - idle_cpu) / (time.monotonic() - idle_started)
    load_before = load()
    busy_started, busy_cpu = time.monotonic(), cpu_seconds(pid)
    rounds = evaluation_cost(plane.url, args, args.rounds, pause_ms, quantile, maximum_ms=maximum_ms)
    prometheus_cpu = cpu_seconds(pid) - busy_cpu - idle_rate * (time.monotonic() - busy_started)
    result = {"quantile": quantile if quantile >= 0 else None, "latency_maximum_ms": maximum_ms or None,
              "wall_ms": percentiles([r["wall_ms"] for r in rounds]),
              "each_round_wall_ms": [round(r["wall_ms"]) for r in rounds],
              "agent_cpu_ms": percentiles([r["cpu_ms"] for r in rounds]),
              "query_ms": [percentiles([r["queries"][i]["ms"] for r in rounds]) for i in range(len(rounds[0]["queries"]))],
              "with_values": percentiles([r["with_values"] for r in rounds]),
              "query_errors": sorted({q["error"] for r in rounds for q in r["queries"] if q["error"]}),
              "prometheus_cpu_ms_per_round": prometheus_cpu * 1000 / len(rounds),
              "prometheus_idle_cpu_share": idle_rate, "load": [load_before, load()]}
    wall, cpu = result["wall_ms"], result["agent_cpu_ms"]
    checks = "success rate" + (f" and latency p{quantile * 100:g}" if quantile >= 0 else " only")
    if quantile >= 0:
        checks += f" as the share within {maximum_ms} ms" if maximum_ms else " as histogram_quantile"
    verdict = "met" if wall["max"] < 1000 and result["with_values"]["min"] == args.workloads else "MISSED"
    print(f"  agent rounds, {checks}: wall p50 {wall['p50']:.0f} ms p90 {wall['p90']:.0f} ms max {wall['max']:.0f} ms "
          f"(queries p50 "
          f"{[round(q['p50']) for q in result['query_ms']]} ms); agent thread CPU p50 {cpu['p50']:.0f} ms max "
          f"{cpu['max']:.0f} ms; services with numbers {result['with_values']['min']:.0f}..{result['with_values']['max']:.0f}"
          f" of {args.workloads}; errors {result['query_errors'] or 'none'}; Prometheus CPU "
          f"{result['prometheus_cpu_ms_per_round']:.0f} ms a round (scraping alone: {idle_rate * 100:.0f}% of a core); "
          f"load {result['load'][0]:.1f} -> {result['load'][1]:.1f}; target 1 s: {verdict}", flush=True)
    result["target"] = verdict
    return result


def scrape_health(plane):
    """Whether every scrape of the exporters succeeded, and the longest: a
    failed scrape leaves series without the samples rate() needs, which the
    evaluation would report as missing data rather than cost."""
    def value(promql):
        _, body = plane.query(promql)
        result = json.loads(body)["data"]["result"]
        return float(result[0]["value"][1]) if result else float("nan")
    job = '{job="linkerd-proxy-exporters"}'
    return {"min_up": value(f"min(min_over_time(up{job}[30m]))"),
            "max_seconds": value(f"max(max_over_time(scrape_duration_seconds{job}[30m]))")}


def run_evaluation(args):
    per_exporter = -(-args.workloads // args.exporters)
    with ph.DataPlane(scrape_interval=args.eval_scrape_interval) as plane:
        for first in range(0, args.workloads, per_exporter):
            count = min(per_exporter, args.workloads - first)
            plane.add_exporter([sys.executable, EXPORTER, "--first", str(first), "--workloads", str(count),
                                "--namespaces", str(args.namespaces)], f"exporter-{first}")
        plane.start_prometheus()
        # rate() over the window needs two scrapes of every series in it.
        fl.wait_for(f"every one of {args.workloads} workloads measured",
                    lambda: evaluation_cost(plane.url, args, 1, 0, -1)[0]["with_values"] == args.workloads,
                    timeout=10 * seconds(args.eval_scrape_interval) + 120, interval=seconds(args.eval_scrape_interval))
        # Prometheus does not scrape itself here: its TSDB status page counts the series.
        with urllib.request.urlopen(plane.url + "/api/v1/status/tsdb", timeout=10) as response:
            head_series = json.load(response)["data"]["headStats"]["numSeries"]
        print(f"evaluation of {args.workloads} workloads in {args.namespaces} namespaces ({head_series} series in "
              f"Prometheus from {args.exporters} exporters, scraped every {args.eval_scrape_interval}, window "
              f"{args.eval_window}, {args.rounds} rounds {args.eval_pause} apart):", flush=True)
        queries = evaluation_cost(plane.url, args, 1, 0, args.quantile, print_queries=True)
        # With the maximum: rates and the bucket within it; the agent divides
        # the bucket by the request rate of the rates query (same window).
        _, numerator = evaluation_cost(plane.url, args, 1, 0, args.quantile, print_queries=True,
                                       maximum_ms=args.latency_maximum_ms)
        # The count query the agent asks instead when the latency window is
        # not the rates' (and asked always before c5cb541), for comparison.
        denominator = re.sub(r', le=~"[^"]*"', "", numerator.replace("response_latency_ms_bucket{",
                                                                      "response_latency_ms_count{"))
        named = [("rates", queries[0]), ("share numerator (one bucket)", numerator),
                 ("share denominator (_count), when the windows differ", denominator),
                 ("share as one division query, for comparison", f"{numerator} / {denominator}")]
        if args.quantile_rounds:
            named.append(("latency quantile", queries[1]))
        on_prometheus = {}
        for name, promql in named:
            runs = timed_on_prometheus(plane.url, promql, args.query_repeats)
            on_prometheus[name] = {"query_bytes": len(promql), "runs": runs}
            print(f"  {name} query ({len(promql)} bytes) on Prometheus, no timeout: "
                  + "; ".join(f"{r['ms']:.0f} ms (preparation {r['preparation_ms']:.0f}, inner evaluation "
                              f"{r['inner_eval_ms']:.0f}; {r['samples']} samples, {r['series']} series out; load "
                              f"{r['load']:.1f})" for r in runs), flush=True)
        for name, sent in (("rates and bucket", [queries[0], numerator]),
                           ("rates, bucket and count", [queries[0], numerator, denominator])):
            together = timed_together(plane.url, sent, args.query_repeats)
            on_prometheus[name + " at once"] = {"runs": together}
            print(f"  {name} queries sent at once (as the agent sends them): " + "; ".join(
                f"{r['ms']:.0f} ms (each {', '.join(f'{ms:.0f}' for ms in r['each_ms'])} ms; load {r['load']:.1f})"
                for r in together), flush=True)
        pause_ms = int(seconds(args.eval_pause) * 1000)
        rates_only = agent_rounds(plane, args, -1, pause_ms)
        with_latency = agent_rounds(plane, args, args.quantile, pause_ms, maximum_ms=args.latency_maximum_ms)
        with_quantile = agent_rounds(plane, args, args.quantile, pause_ms) if args.quantile_rounds else None
        rss = rss_mib(plane.prometheus.popen.pid)
        scrapes = scrape_health(plane)
        print(f"  scrapes of the exporters over the run: up at least {scrapes['min_up']:.0f}, longest "
              f"{scrapes['max_seconds']:.1f} s (of {args.eval_scrape_interval}); Prometheus resident {rss:.0f} MiB",
              flush=True)
    return {"workloads": args.workloads, "namespaces": args.namespaces, "exporters": args.exporters,
            "scrape_interval": args.eval_scrape_interval, "window": args.eval_window, "head_series": head_series,
            "prometheus_rss_mib": rss, "scrapes": scrapes, "queries_on_prometheus": on_prometheus,
            "agent_success_rate_only": rates_only, "agent_with_latency_share": with_latency,
            "agent_with_latency_quantile": with_quantile}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="detection,evaluation")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--window", default="5s", help="successRate.window (and the agents' --data-plane-window)")
    parser.add_argument("--interval", default="1s", help="the agents' --data-plane-interval")
    parser.add_argument("--minimum", type=float, default=0.95, help="successRate.minimum")
    parser.add_argument("--failure-ratio", type=float, default=0.6)
    parser.add_argument("--failure-threshold", type=int, default=2)
    parser.add_argument("--success-threshold", type=int, default=1)
    parser.add_argument("--rps", type=float, default=20.0, help="the stand-in pods' request rate")
    parser.add_argument("--seed", type=int, default=15, help="of the random start phases")
    parser.add_argument("--workloads", type=int, default=10000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--exporters", type=int, default=8)
    parser.add_argument("--eval-scrape-interval", default="10s")
    parser.add_argument("--eval-window", default="30s")
    parser.add_argument("--eval-pause", default="5s", help="time between evaluation rounds (--data-plane-interval)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quantile", type=float, default=0.99, help="the latency check's quantile")
    parser.add_argument("--latency-maximum-ms", type=int, default=500,
                        help="the latency check's maximum, a bucket bound of Linkerd's histogram (the share path)")
    parser.add_argument("--quantile-rounds", action="store_true",
                        help="also time the histogram_quantile path (a maximum the hub does not send; slow at 10,000)")
    parser.add_argument("--query-repeats", type=int, default=3, help="times each query is timed on Prometheus")
    parser.add_argument("--bin", default=os.environ.get("SWITCHYARD_BIN", os.path.join(REPO, "build", "bin")))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    parts = args.parts.split(",")
    unknown = set(parts) - {"detection", "evaluation"}
    if unknown:
        parser.error(f"--parts: unknown {', '.join(sorted(unknown))} (known: detection, evaluation)")

    results = {"machine": f"{os.cpu_count()} cores, load {load():.1f} at start"}
    print(results["machine"], flush=True)
    if "detection" in parts:
        results["detection"] = run_detection(args)
    if "evaluation" in parts:
        results["evaluation"] = run_evaluation(args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
