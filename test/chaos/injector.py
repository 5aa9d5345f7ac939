"""Carries out a schedule.plan() against a ChaosFleet and records the
ground truth: when each backend's endpoints became (not) ready, when each
agent was silent, when each member API server was down or dropping
requests, and when a hub was killed. The invariant checker reads only this
record and the watches' record, never the schedule.
"""

import heapq
import signal
import threading
import time

from kubernetes import client as kclient
from kubernetes import config as kconfig

from chaos_fleet import FAILOVER_SERVICES, MEMBERS, NS


class GroundTruth:
    """Append-only, monotonic timestamps. `ready[(fos, cluster)]` is a list of
    (t, ready); the others lists of (start, end) intervals (end None while
    open)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ready = {(n, c): [(0.0, True)] for n, ms in FAILOVER_SERVICES for c, _, _ in ms}
        self.agent_silent = {m: [] for m in MEMBERS}
        self.api_down = {m: [] for m in MEMBERS}
        self.net = {m: [] for m in MEMBERS}
        self.restarts = []           # (t, what): hub, agent and API server (re)starts and kills
        self.injected = {}           # kind -> count
        self.skipped = {}            # kind -> count (target unreachable at the time)

    def open(self, intervals, t):
        """Opens an interval; returns it, for close()."""
        interval = [t, None]
        with self.lock:
            intervals.append(interval)
        return interval

    def close(self, interval, t):
        with self.lock:
            if interval[1] is None:
                interval[1] = t

    def close_all(self, intervals, t):
        for interval in intervals:
            self.close(interval, t)

    def count(self, kind, skipped=False):
        with self.lock:
            table = self.skipped if skipped else self.injected
            table[kind] = table.get(kind, 0) + 1


def _clock():
    return time.monotonic()


class Injector:
    def __init__(self, fleet, truth, t0, log):
        self.fleet, self.truth, self.t0, self.log = fleet, truth, t0, log
        self._apis = {}
        self._ready = {k: True for k in truth.ready}
        # What a fault holds until it ends: a member, "hub", or "silent" (one
        # silent agent at a time). The plan keeps faults apart in time; this
        # keeps them apart when a step ran late.
        self._held = set()
        self._threads = []

    def now(self):
        return _clock() - self.t0

    def _discovery(self, member):
        api = self._apis.get(member)
        if api is None:
            api = kclient.DiscoveryV1Api(kconfig.new_client_from_config(
                config_file=self.fleet.clusters[member].kubeconfig))
            self._apis[member] = api
        return api

    # --- running a plan ------------------------------------------------------
    def run(self, actions):
        """Runs the actions at their times (relative to t0); an action's end
        step is queued at its start plus its duration."""
        queue = [(a.at, i, self._start, a) for i, a in enumerate(actions)]
        heapq.heapify(queue)
        serial = len(queue)
        while queue:
            at, _, step, action = heapq.heappop(queue)
            delay = at - self.now()
            if delay > 0:
                time.sleep(delay)
            end = step(action)
            if end is not None:
                serial += 1
                heapq.heappush(queue, (self.now() + action.duration, serial, end, action))

    def _start(self, a):
        holds = self._holds(a)
        if holds & self._held:
            self.log(f"{self.now():7.2f}s fault {a.kind} {a.target} skipped: {', '.join(sorted(holds & self._held))} busy")
            self.truth.count(a.kind, skipped=True)
            return None
        self.log(f"{self.now():7.2f}s fault {a.kind} {a.target} {a.duration:.1f}s")
        end = getattr(self, f"_start_{a.kind}")(a)
        if end is None:
            return None
        self._held |= holds

        def release(action):
            try:
                end(action)
            finally:
                self._held -= holds
        return release

    @staticmethod
    def _holds(a):
        if a.kind.startswith("agent"):
            return {a.target, "silent"}
        if a.kind.startswith("hub"):
            return {"hub"}
        if a.kind in ("api_restart", "net"):
            return {a.target}
        return set()

    def wait(self):
        """Waits for the steps still running in the background."""
        for thread in self._threads:
            thread.join()

    # --- the faults ------------------------------------------------------------
    def _start_flip(self, a):
        fos_name, cluster = a.target.split("/")
        self.set_ready(fos_name, cluster, not self._ready[(fos_name, cluster)], "flip")

    def set_ready(self, fos_name, cluster, ready, kind):
        """Read-modify-write of the backend's EndpointSlice; a few tries (the
        API server may be dropping requests). The ground truth changes when
        the write has been answered."""
        if cluster in self._held and any(e is None for _, e in self.truth.api_down[cluster]):
            self.truth.count(kind, skipped=True)
            return
        api = self._discovery(cluster)
        for _ in range(5):
            try:
                eps = api.read_namespaced_endpoint_slice(fos_name + "-slice", NS, _request_timeout=5)
                for endpoint in eps.endpoints:
                    endpoint.conditions.ready = ready
                api.replace_namespaced_endpoint_slice(fos_name + "-slice", NS, eps, _request_timeout=5)
                with self.truth.lock:
                    self.truth.ready[(fos_name, cluster)].append((self.now(), ready))
                self._ready[(fos_name, cluster)] = ready
                self.truth.count(kind)
                return
            except Exception:  # noqa: BLE001 - any failure is retried, then the flip is skipped
                time.sleep(0.2)
        self.truth.count(kind, skipped=True)

    def _silence(self, a, stop):
        agent = self.fleet.agents[a.target]
        silent = self.truth.open(self.truth.agent_silent[a.target], self.now())
        if stop:
            self.fleet.signal_process(agent, signal.SIGSTOP)
        else:
            self.fleet.kill_agent(a.target)
            self.truth.restarts.append((self.now(), f"agent {a.target}"))
        self.truth.count(a.kind)

        def end(_):
            if stop:
                self.fleet.signal_process(agent, signal.SIGCONT)
            else:
                self.fleet.restart_agent(a.target)
                self.truth.restarts.append((self.now(), f"agent {a.target}"))
            self.truth.close(silent, self.now())
        return end

    def _start_agent_kill(self, a):
        return self._silence(a, stop=False)

    _start_agent_kill_long = _start_agent_kill

    def _start_agent_stop(self, a):
        return self._silence(a, stop=True)

    _start_agent_stop_long = _start_agent_stop

    def _hub_fault(self, a, kill):
        leader = self.fleet.leader()
        if leader is None:
            self.truth.count(a.kind, skipped=True)
            return None
        self.truth.restarts.append((self.now(), f"{a.kind} {leader}"))
        process = self.fleet.hubs[leader]
        # SIGTERM does not wait for the exit: a stopping hub flushes its
        # writes for up to 2 s each, and the schedule goes on meanwhile.
        self.fleet.signal_process(process, signal.SIGKILL if kill else signal.SIGTERM)
        self.truth.count(a.kind)

        def end(_):
            code = process.stop()
            if not kill and code != 0:
                self.log(f"{self.now():7.2f}s {leader} exited {code} on SIGTERM (0 expected)")
            self.fleet.start_replica(leader)
            self.truth.restarts.append((self.now(), f"{leader} restarted"))
        return end

    def _start_hub_kill(self, a):
        return self._hub_fault(a, kill=True)

    def _start_hub_handover(self, a):
        return self._hub_fault(a, kill=False)

    def _start_api_restart(self, a):
        """Stopped and started in the background (a devcluster may take
        seconds to stop); the member is held, and down, until it answers."""
        down = self.truth.open(self.truth.api_down[a.target], self.now())
        self.truth.restarts.append((self.now(), f"api {a.target}"))
        self.truth.count(a.kind)
        self._held.add(a.target)

        def restart():
            try:
                self.fleet.restart_member_api(a.target, a.duration)
            finally:
                # Our pooled connections went with the old process.
                self._apis.pop(a.target, None)
                self.truth.close(down, self.now())
                self._held.discard(a.target)
        thread = threading.Thread(target=restart, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _start_net(self, a):
        armed = self.truth.open(self.truth.net[a.target], self.now())
        self.fleet.arm_net_faults(a.target, True)
        self.truth.count(a.kind)

        def end(_):
            self.fleet.arm_net_faults(a.target, False)
            self.truth.close(armed, self.now())
        return end

    # --- the end of the faults -------------------------------------------------
    def restore(self):
        """Every process running, no fault armed, and every FailoverService
        with at least one ready backend (so that the weights it converges to
        are defined: with none, it keeps its last weights, rule 3)."""
        self.wait()
        for member in MEMBERS:
            self.fleet.arm_net_faults(member, False)
            agent = self.fleet.agents[member]
            if agent.running():
                self.fleet.signal_process(agent, signal.SIGCONT)
            else:
                self.fleet.restart_agent(member)
            self.truth.close_all(self.truth.agent_silent[member], self.now())
            self.truth.close_all(self.truth.net[member], self.now())
        for replica, process in self.fleet.hubs.items():
            if not process.running():
                self.fleet.start_replica(replica)
        for fos_name, members in FAILOVER_SERVICES:
            if not any(self._ready[(fos_name, c)] for c, _, _ in members):
                self.set_ready(fos_name, members[-1][0], True, "restore")
