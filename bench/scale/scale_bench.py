#!/usr/bin/python3
"""Hub at scale (issue 8 item 2): one real switchyard-hub, its management
cluster a real switchyard-devcluster, and many simulated member clusters
(bench/scale/hub_scale_loadgen: the real agent's hub client, reporter and
poller without a Kubernetes API behind them).

This driver starts the management devcluster (test/e2e/fleet.py), applies the
CRDs, creates the MemberClusters with their token Secrets and the
FailoverServices through the Python Kubernetes client (a bounded pool of
concurrent requests; kubectl would take minutes for 11,000 objects), then
runs the load generator, which starts, kills and restarts the hub itself and
prints the figures. Everything it started is stopped on exit.

The fleet (deterministic, seeded):
  wake-I   one per cluster I: primary `global-svc` in the trigger cluster
           (the first), backup `wake-backup` in cluster I+1, consumed by
           cluster I only, failback delay 0. The trigger cluster's
           global-svc going down or up changes every cluster's assignment.
  fos-K    the rest: its own service `svc-K` in 3 distinct random clusters,
           consumed by those 3 (so every cluster reports its local copies
           and the mirrors of the other two).

  bench/scale/scale_bench.py [--clusters 1000] [--services 10000] [--json out.json]
  bench/scale/scale_bench.py --smoke      # 5 clusters, 20 FailoverServices, seconds
"""

import argparse
import base64
import concurrent.futures
import json
import os
import random
import secrets
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "e2e"))
import fleet as fl  # noqa: E402

from kubernetes import client as kclient, config as kconfig  # noqa: E402

NS = "scale"
GROUP, VERSION = "switchyard.io", "v1alpha1"
TS_API = "split.smi-spec.io/v1alpha2"


def cluster_name(i):
    return f"c{i:04d}"


def wake_fos(i, clusters):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "FailoverService",
            "metadata": {"name": f"wake-{i}", "namespace": NS},
            "spec": {"service": f"wake-{i}",
                     "backingServices": [
                         {"cluster": cluster_name(0), "namespace": NS, "name": "global-svc"},
                         {"cluster": cluster_name((i + 1) % clusters), "namespace": NS, "name": "wake-backup"}],
                     "consumers": [cluster_name(i)],
                     "failback": {"delaySeconds": 0},
                     "output": {"kind": "TrafficSplit", "apiVersion": TS_API}}}


def plain_fos(k, members):
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "FailoverService",
            "metadata": {"name": f"fos-{k}", "namespace": NS},
            "spec": {"service": f"svc-{k}",
                     "backingServices": [{"cluster": m, "namespace": NS, "name": f"svc-{k}"} for m in members],
                     "output": {"kind": "TrafficSplit", "apiVersion": TS_API}}}


def deployed_hub_environment():
    """The environment deploy/hub/deployment.yaml gives the hub container, so
    that the hub measured here runs as it is deployed."""
    import yaml
    with open(os.path.join(fl.REPO, "deploy", "hub", "deployment.yaml")) as f:
        deployment = yaml.safe_load(f)
    containers = deployment["spec"]["template"]["spec"]["containers"]
    hub = next(c for c in containers if c["name"] == "hub")
    return {item["name"]: item["value"] for item in hub.get("env", [])}


def create_all(what, calls, workers=8):
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for future in concurrent.futures.as_completed([pool.submit(call) for call in calls]):
            future.result()
    elapsed = time.monotonic() - started
    print(f"created {len(calls)} {what} in {elapsed:.1f} s ({len(calls) / elapsed:.0f}/s)", flush=True)


def ec_certificate(workdir, rsa):
    cert, key = os.path.join(workdir, "hub.crt"), os.path.join(workdir, "hub.key")
    algorithm = ["-newkey", "rsa:2048"] if rsa else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    subprocess.run(["openssl", "req", "-x509", *algorithm, "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clusters", type=int, default=1000)
    parser.add_argument("--services", type=int, default=10000, help="FailoverServices in all (wake-* included)")
    parser.add_argument("--steady-seconds", type=int, default=20)
    parser.add_argument("--wake-iterations", type=int, default=3)
    parser.add_argument("--report-interval-ms", type=int, default=5000)
    parser.add_argument("--rsa", action="store_true", help="an RSA-2048 hub certificate instead of ECDSA P-256")
    parser.add_argument("--smoke", action="store_true", help="5 clusters, 20 FailoverServices, short phases")
    parser.add_argument("--no-handover", action="store_true",
                        help="one hub replica without leader election (no handover phase)")
    parser.add_argument("--lease-seconds", type=int, default=10, help="the leader-election Lease's duration")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    parser.add_argument("--no-deployed-env", action="store_true",
                        help="run the hub without the environment deploy/hub/deployment.yaml sets")
    args = parser.parse_args()
    if args.smoke:
        args.clusters, args.services, args.steady_seconds, args.wake_iterations = 5, 20, 2, 1
        args.report_interval_ms = 1000
    if args.services < args.clusters:
        parser.error("--services must be at least --clusters (one wake-I per cluster)")

    bin_dir = os.environ.get("SWITCHYARD_BIN", os.path.join(fl.REPO, "build", "bin"))
    loadgen = os.path.join(bin_dir, "hub_scale_loadgen")
    if not os.access(loadgen, os.X_OK):
        sys.exit(f"{loadgen} is missing: build it first (cmake --build <dir> --target hub_scale_loadgen)")

    with fl.Fleet(members=[], bin_dir=bin_dir, persist=False, keep_workdir=args.keep) as fleet:
        print(f"work directory {fleet.workdir}", flush=True)
        mgmt = fleet.start_cluster("mgmt")
        fleet.kubectl("mgmt", "apply", "-f", os.path.join(fl.REPO, "crds"))
        fleet.apply("mgmt", [fl.namespace(fl.SYSTEM_NAMESPACE), fl.namespace(NS)])

        configuration = kclient.Configuration()
        kconfig.load_kube_config(config_file=mgmt.kubeconfig, context="mgmt", client_configuration=configuration)
        configuration.connection_pool_maxsize = 16
        api_client = kclient.ApiClient(configuration)
        core = kclient.CoreV1Api(api_client)
        custom = kclient.CustomObjectsApi(api_client)

        names = [cluster_name(i) for i in range(args.clusters)]
        tokens = {name: secrets.token_hex(32) for name in names}
        create_all("token Secrets", [
            (lambda n=name: core.create_namespaced_secret(fl.SYSTEM_NAMESPACE, {
                "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": f"agent-{n}", "namespace": fl.SYSTEM_NAMESPACE},
                "data": {"token": base64.b64encode(tokens[n].encode()).decode()}})) for name in names])
        create_all("MemberClusters", [
            (lambda n=name: custom.create_cluster_custom_object(GROUP, VERSION, "memberclusters", {
                "apiVersion": f"{GROUP}/{VERSION}", "kind": "MemberCluster", "metadata": {"name": n},
                "spec": {"tokenSecretRef": {"namespace": fl.SYSTEM_NAMESPACE, "name": f"agent-{n}",
                                            "key": "token"}}})) for name in names])
        rng = random.Random(8)
        objects = [wake_fos(i, args.clusters) for i in range(args.clusters)]
        objects += [plain_fos(k, rng.sample(names, min(3, len(names)))) for k in range(args.services - args.clusters)]
        create_all("FailoverServices", [
            (lambda o=obj: custom.create_namespaced_custom_object(GROUP, VERSION, NS, "failoverservices", o))
            for obj in objects])

        tokens_file = os.path.join(fleet.workdir, "tokens")
        with open(tokens_file, "w") as f:
            for name in names:
                f.write(f"{name} {tokens[name]}\n")
        cert, key = ec_certificate(fleet.workdir, args.rsa)
        # env(1) execs the hub: the load generator's pid for it stays the hub's.
        hub_env = {} if args.no_deployed_env else deployed_hub_environment()
        print("hub environment: " + (" ".join(f"{k}={v}" for k, v in hub_env.items()) or "(inherited only)") +
              ("" if args.no_deployed_env else " (as deploy/hub/deployment.yaml)"), flush=True)
        port, metrics_port = fl.free_port(), fl.free_port()
        hub_log = os.path.join(fleet.workdir, "hub.log")
        json_out = args.json or os.path.join(fleet.workdir, "figures.json")
        # Two replicas with leader election, as deployed and as test/chaos runs
        # them; the load generator puts each replica's ports and identity in
        # place of {port}, {metrics_port} and {identity}.
        second = [] if args.no_handover else ["--second-hub-port", str(fl.free_port()),
                                              "--second-metrics-port", str(fl.free_port())]
        election = [] if args.no_handover else [
            "--leader-elect", "--leader-elect-identity", "{identity}",
            "--leader-elect-lease-duration", f"{args.lease_seconds}s", "--leader-elect-renew-deadline",
            f"{max(1, args.lease_seconds // 2)}s", "--leader-elect-retry-period", "500ms"]
        argv = [loadgen, "--hub-port", str(port), "--metrics-port", str(metrics_port), *second,
                "--ca-file", cert, "--tokens", tokens_file,
                "--hub-log", hub_log, "--json", json_out,
                "--report-interval-ms", str(args.report_interval_ms), "--steady-seconds", str(args.steady_seconds),
                "--wake-iterations", str(args.wake_iterations), "--trigger-cluster", names[0],
                "--", "/usr/bin/env", *[f"{k}={v}" for k, v in hub_env.items()],
                os.path.join(bin_dir, "switchyard-hub"), "--kubeconfig", mgmt.kubeconfig,
                "--namespace", fl.SYSTEM_NAMESPACE, "--listen", "127.0.0.1:{port}", "--tls-cert", cert,
                "--tls-key", key, "--metrics-listen", "127.0.0.1:{metrics_port}", *election]
        code = subprocess.run(argv).returncode
        if code != 0:
            print(f"hub_scale_loadgen failed ({code}); hub log tail:", file=sys.stderr)
            try:
                with open(hub_log, errors="replace") as f:
                    sys.stderr.write("".join(f.readlines()[-30:]))
            except OSError:
                pass
            return code
        with open(json_out) as f:
            figures = json.load(f)
        figures["fleet"] = {"clusters": args.clusters, "failoverservices": args.services,
                            "certificate": "rsa-2048" if args.rsa else "ecdsa-p256",
                            "replicas": 1 if args.no_handover else 2,
                            "hub_environment": hub_env}
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
        print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
