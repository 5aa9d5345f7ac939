"""Watches what Switchyard writes, with python3-kubernetes, and records every
version with the time it arrived: each member's TrafficSplits and the
management cluster's FailoverServices. Also which hub replica leads, polled.

A watch that breaks (an API server restarting or dropping requests) lists
again and records every object whose resourceVersion moved meanwhile, marked
as seen late; the checker widens its windows over such gaps.
"""

import threading
import time

from kubernetes import client as kclient
from kubernetes import config as kconfig
from kubernetes import watch as kwatch

from chaos_fleet import MEMBERS

TS = ("split.smi-spec.io", "v1alpha2", "trafficsplits")
FOS = ("switchyard.io", "v1alpha1", "failoverservices")


def split_weights(obj):
    backends = (obj.get("spec") or {}).get("backends") or []
    return {b["service"]: float(b.get("weight") or 0) for b in backends}


def fos_summary(obj):
    status = obj.get("status") or {}
    return {"state": status.get("state"),
            "active": sorted((a.get("cluster"), float(a.get("weight") or 0)) for a in status.get("active") or [])}


class Record:
    """The versions seen: versions[(cluster, kind, name)] = [(t, rv, value, late)]."""

    def __init__(self):
        self.lock = threading.Lock()
        self.versions = {}
        self.gaps = {}               # cluster -> [(start, end)] while its watch was broken
        self.leaders = []            # (t, replica or None), on change
        self.errors = []

    def add(self, key, t, rv, value, late):
        with self.lock:
            history = self.versions.setdefault(key, [])
            if history and history[-1][1] == rv:
                return
            history.append((t, rv, value, late))

    def snapshot(self):
        with self.lock:
            return {k: list(v) for k, v in self.versions.items()}, {k: list(v) for k, v in self.gaps.items()}, \
                list(self.leaders)


class Recorder:
    def __init__(self, fleet, t0):
        self.fleet, self.t0 = fleet, t0
        self.record = Record()
        self._stopped = False
        self._threads = []

    def now(self):
        return time.monotonic() - self.t0

    def start(self):
        targets = [(m, TS, split_weights) for m in MEMBERS] + [("mgmt", FOS, fos_summary)]
        for cluster, resource, summarize in targets:
            thread = threading.Thread(target=self._watch, args=(cluster, resource, summarize), daemon=True)
            thread.start()
            self._threads.append(thread)
        threading.Thread(target=self._leaders, daemon=True).start()

    def stop(self):
        self._stopped = True

    def _leaders(self):
        last = object()
        while not self._stopped:
            leader = self.fleet.leader()
            if leader != last:
                with self.record.lock:
                    self.record.leaders.append((self.now(), leader))
                last = leader
            time.sleep(0.1)

    def _watch(self, cluster, resource, summarize):
        group, version, plural = resource
        kind = plural
        api = kclient.CustomObjectsApi(kconfig.new_client_from_config(
            config_file=self.fleet.clusters[cluster].kubeconfig))
        gap_start = None
        while not self._stopped:
            try:
                listed = api.list_cluster_custom_object(group, version, plural, _request_timeout=(2, 10))
                late = gap_start is not None
                for obj in listed.get("items", []):
                    meta = obj["metadata"]
                    self.record.add((cluster, kind, f"{meta['namespace']}/{meta['name']}"), self.now(),
                                    meta["resourceVersion"], summarize(obj), late)
                if gap_start is not None:
                    with self.record.lock:
                        self.record.gaps.setdefault(cluster, []).append((gap_start, self.now()))
                    gap_start = None
                rv = listed["metadata"]["resourceVersion"]
                stream = kwatch.Watch().stream(api.list_cluster_custom_object, group, version, plural,
                                               resource_version=rv, timeout_seconds=30,
                                               _request_timeout=(2, 40))
                for event in stream:
                    if self._stopped:
                        return
                    obj = event["object"]
                    if event["type"] == "ERROR":
                        break
                    meta = obj["metadata"]
                    value = None if event["type"] == "DELETED" else summarize(obj)
                    self.record.add((cluster, kind, f"{meta['namespace']}/{meta['name']}"), self.now(),
                                    meta["resourceVersion"], value, False)
            except Exception as e:  # noqa: BLE001 - a broken watch lists again
                if gap_start is None:
                    gap_start = self.now()
                    with self.record.lock:
                        self.record.errors.append((self.now(), cluster, type(e).__name__))
                time.sleep(0.2)
