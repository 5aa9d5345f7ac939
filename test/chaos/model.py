"""What the rules of /work/shared/design/api.md say a consumer should see,
computed from the ground truth the schedule set (injector.GroundTruth) and
which hub led when (recorder.Record.leaders). Pure functions, no I/O.

A backend's usability from consumer C at time t is True, False or None
(cannot be told: the hub may or may not have acted yet):
- its cluster K's agent reports: the EndpointSlice's readiness now;
- K's agent silent (killed or stopped): the readiness when it fell silent
  (rule 1: unknown keeps the last known health), then, from K != C only,
  presumed down after silentFailoverSeconds. When exactly is blurred by a
  hub restart during the silence (start-up grace): None in between.
- from C itself, C's silence counts for nothing (rule 1b).
Mirrors stay ready through the run, so rule 2's mirror condition holds.
"""

import math

from chaos_fleet import FAILOVER_SERVICES, SILENT_FAILOVER_S, UNKNOWN_AFTER_S, backend_service, backends

INF = math.inf


def value_at(history, t):
    """history: [(t, value)] sorted; the value in force at t."""
    value = history[0][1]
    for at, v in history:
        if at > t:
            break
        value = v
    return value


def interval_at(intervals, t):
    """The (start, end) interval containing t, else None (end None = open)."""
    for start, end in intervals:
        if start <= t and (end is None or t <= end):
            return start, end
    return None


def leader_starts(leaders):
    """Times a replica started leading."""
    starts, previous = [], None
    for at, leader in leaders:
        if leader is not None and leader != previous:
            starts.append(at)
        previous = leader
    return starts


class Model:
    def __init__(self, truth, leaders):
        self.truth = truth
        self.hub_starts = leader_starts(leaders)
        self._memo = {}  # the checker asks for the same instants many times (30-minute runs)

    def usable(self, fos_name, cluster, consumer, t):
        ready = self.truth.ready[(fos_name, cluster)]
        silence = interval_at(self.truth.agent_silent[cluster], t)
        if silence is None:
            return value_at(ready, t)
        since = silence[0]
        last_known = value_at(ready, since)
        if cluster == consumer:
            return last_known
        earliest = since + SILENT_FAILOVER_S - 1
        started = max([since] + [s for s in self.hub_starts if s <= t])
        latest = started + SILENT_FAILOVER_S + UNKNOWN_AFTER_S + 1
        if t < earliest:
            return last_known
        if t >= latest:
            return False
        return None

    def usable_set(self, fos_name, consumer, t):
        """{cluster: True/False/None} for the FailoverService's backends."""
        key = (fos_name, consumer, round(t, 3))
        if key not in self._memo:
            self._memo[key] = {c: self.usable(fos_name, c, consumer, t) for c, _, _ in backends(fos_name)}
        return self._memo[key]


def expected_weights(fos_name, consumer, usable):
    """Rule 3 and 5 without the failback delay: the highest-priority group with
    a usable member, weight shared by `weight` among its usable members, as
    {service name in consumer: share}. None when no backend is usable (fail
    static: the last weights stay)."""
    members = backends(fos_name)
    groups = sorted({p for c, p, _ in members if usable.get(c)})
    if not groups:
        return None
    active = [(c, w) for c, p, w in members if p == groups[0] and usable.get(c)]
    total = sum(w for _, w in active)
    shares = {backend_service(fos_name, c, consumer): 0.0 for c, _, _ in members}
    for c, w in active:
        shares[backend_service(fos_name, c, consumer)] = w / total
    return shares


def normalize(weights):
    total = sum(weights.values())
    return {k: (v / total if total else 0.0) for k, v in weights.items()}


def same_shares(a, b, tolerance=0.01):
    if a is None or b is None:
        return a is b
    keys = set(a) | set(b)
    na, nb = normalize(a), normalize(b)
    return all(abs(na.get(k, 0) - nb.get(k, 0)) <= tolerance for k in keys)


def priority_of(fos_name, consumer, weights):
    """The best priority among the backends with weight in `weights`."""
    by_service = {backend_service(fos_name, c, consumer): p for c, p, _ in backends(fos_name)}
    carrying = [by_service[s] for s, w in weights.items() if w > 0 and s in by_service]
    return min(carrying) if carrying else None


def all_fos():
    return [name for name, _ in FAILOVER_SERVICES]
