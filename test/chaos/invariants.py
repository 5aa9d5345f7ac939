"""The invariants, checked after the run over the two records: the ground
truth (injector.GroundTruth) and the versions the watches saw
(recorder.Record). Each check counts what it examined and returns its
violations; none of them looks at the schedule.

FAILOVER_BOUND_S = DETECTION_S + PROPAGATION_S: how long after a backend's
usability changes its consumers' TrafficSplits may still show the old
weights. Detection: the agent's informer sees the EndpointSlice and its next
report (at most --report-interval 1 s) reaches the hub; propagation: the
decision, the long poll's answer, the agent's write, and our watch.
Time during which a component on the path is down (hub without a leader,
the consumer's or backend's API server down or dropping requests, the
consumer's agent silent, our watch broken) does not count against the bound.
"""

from chaos_fleet import FAILBACK_DELAY_S, MEMBERS, NS, backend_service
from model import all_fos, backends, expected_weights, interval_at, priority_of, same_shares

DETECTION_S = 2.0
PROPAGATION_S = 2.0
FAILOVER_BOUND_S = DETECTION_S + PROPAGATION_S
STEP_S = 0.2
WRITE_SLACK_S = 0.5


def _ts_key(member, fos_name):
    return (member, "trafficsplits", f"{NS}/{fos_name}")


def _closed(intervals, end_of_run):
    return [(s, e if e is not None else end_of_run) for s, e in intervals]


class Checker:
    def __init__(self, truth, record_snapshot, model, chaos_start, end_of_run):
        self.truth, self.model = truth, model
        self.versions, self.gaps, self.leaders = record_snapshot
        self.chaos_start, self.end = chaos_start, end_of_run
        self.checks = {}
        self.violations = []
        self._disturbances = {}

    def _violation(self, invariant, t, what):
        self.violations.append((invariant, t, what))

    def _count(self, invariant, n=1):
        self.checks[invariant] = self.checks.get(invariant, 0) + n

    # --- windows ------------------------------------------------------------------
    def leaderless(self):
        """Intervals without a leading hub, and each change of leader as a point."""
        out, start, previous = [], None, None
        for at, leader in self.leaders:
            if leader is None and start is None:
                start = at
            elif leader is not None:
                if start is not None:
                    out.append((start, at))
                    start = None
                elif previous is not None and leader != previous:
                    out.append((at, at))
            previous = leader
        if start is not None:
            out.append((start, self.end))
        return out

    def disturbances(self, fos_name, consumer):
        """Intervals during which the path from fos_name's backends to
        consumer's TrafficSplit is (partly) down."""
        key = (fos_name, consumer)
        if key not in self._disturbances:
            spans = list(self.leaderless())
            spans += _closed(self.truth.agent_silent[consumer], self.end)
            spans += _closed(self.gaps.get(consumer, []), self.end)
            for cluster in {consumer} | {c for c, _, _ in backends(fos_name)}:
                spans += _closed(self.truth.api_down[cluster], self.end)
                spans += _closed(self.truth.net[cluster], self.end)
            self._disturbances[key] = sorted(spans)
        return self._disturbances[key]

    def disturbed(self, fos_name, consumer, t):
        return any(s <= t <= e + FAILOVER_BOUND_S for s, e in self.disturbances(fos_name, consumer))

    def effective(self, fos_name, consumer, start, end):
        """end - start, less the time in disturbances."""
        covered, cursor = 0.0, start
        for s, e in self.disturbances(fos_name, consumer):
            s, e = max(s, cursor), min(e, end)
            if e > s:
                covered += e - s
                cursor = e
        return (end - start) - covered

    def split_at(self, member, fos_name, t):
        value = None
        for at, _, weights, _ in self.versions.get(_ts_key(member, fos_name), []):
            if at > t:
                break
            value = weights
        return value

    @staticmethod
    def grid(start, end):
        """start, start + STEP_S, ... up to end, on a fixed lattice (k * STEP_S)
        so that repeated instants hit the model's memo."""
        k = int(start / STEP_S + 0.999999)
        while k * STEP_S <= end:
            yield round(k * STEP_S, 3)
            k += 1

    # --- (1) no weight on an unusable backend once the bound has passed ---------------
    def check_no_weight_on_unusable(self, start, end):
        for fos_name in all_fos():
            for consumer in MEMBERS:
                episode = None
                for t in self.grid(start, end):
                    bad = self._unusable_with_weight(fos_name, consumer, t)
                    if bad and episode is None:
                        episode = (t, bad)
                    elif not bad and episode is not None:
                        self._report_episode(fos_name, consumer, episode, t)
                        episode = None
                if episode is not None:
                    self._report_episode(fos_name, consumer, episode, end)

    def _report_episode(self, fos_name, consumer, episode, until):
        t, (bad, split) = episode
        self._violation(1, t, f"{consumer}: TrafficSplit {NS}/{fos_name} weighs {', '.join(sorted(bad))} "
                              f"(unusable, a usable backend exists) for {until - t:.1f}s: {split}")

    def _unusable_with_weight(self, fos_name, consumer, t):
        if self.disturbed(fos_name, consumer, t):
            return None
        now = self.model.usable_set(fos_name, consumer, t)
        if any(v is None for v in now.values()):
            return None
        for t_back in self.grid(t - FAILOVER_BOUND_S, t):
            if self.model.usable_set(fos_name, consumer, t_back) != now:
                return None
        # The injector records a flip when its write returns; a watch may
        # show the hub's answer to it before that (by up to WRITE_SLACK_S).
        if self.model.usable_set(fos_name, consumer, t + WRITE_SLACK_S) != now:
            return None
        split = self.split_at(consumer, fos_name, t)
        if not split:
            return None
        self._count(1)
        if not any(now.values()):
            return None
        bad = {backend_service(fos_name, c, consumer) for c, ok in now.items() if not ok}
        weighted = {s for s, w in split.items() if w > 0}
        return (weighted & bad, split) if weighted & bad else None

    # --- (2), (3) and (5): every change has a cause -----------------------------------
    def check_changes_explained(self, quiet_start, quiet_end):
        for fos_name in all_fos():
            for consumer in MEMBERS:
                history = self.versions.get(_ts_key(consumer, fos_name), [])
                previous = None
                self._last_unexplained = None
                for at, _, weights, late in history:
                    if previous is not None and at >= self.chaos_start and not same_shares(previous, weights):
                        self._count("change")
                        if self._undoes_last(weights, at):
                            pass
                        elif not self._explained(fos_name, consumer, previous, weights, at):
                            self._classify(fos_name, consumer, previous, weights, at, quiet_start, quiet_end)
                    previous = weights

    def _usable_or_unknown(self, fos_name, consumer, cluster, t):
        return self.model.usable(fos_name, cluster, consumer, t) is not False

    def _explained(self, fos_name, consumer, before, after, t):
        if after is None:
            return False
        p_before = priority_of(fos_name, consumer, before or {})
        p_after = priority_of(fos_name, consumer, after)
        if p_before is not None and p_after is not None and p_after < p_before:
            # A failback: its group usable (or possibly so) for the whole delay.
            group = [c for c, p, _ in backends(fos_name) if p == p_after]
            if all(any(self._usable_or_unknown(fos_name, consumer, c, t2) for c in group)
                   for t2 in self.grid(t - FAILBACK_DELAY_S + 0.5, t)):
                return True
            # Before the delay only when the group it leaves has failed.
            leaving = [c for c, _, _ in backends(fos_name)
                       if (before or {}).get(backend_service(fos_name, c, consumer), 0) > 0]
            if any(self.model.usable(fos_name, c, consumer, t) for c in leaving):
                return False
        # While the model cannot tell (a silent cluster around its presumed
        # death), any decision may come.
        if any(v is None for t2 in self.grid(t - FAILOVER_BOUND_S, t + WRITE_SLACK_S)
               for v in self.model.usable_set(fos_name, consumer, t2).values()):
            return True
        # An endpoint flip or an agent's silence starting or ending within the
        # bound, timed exactly (two flips 0.15 s apart fall between two
        # samples of the lattice below).
        for cluster in {c for c, _, _ in backends(fos_name)}:
            moments = [at for at, _ in self.truth.ready[(fos_name, cluster)][1:]]
            if cluster != consumer:  # rule 1b: its own silence explains nothing
                moments += [m for span in self.truth.agent_silent[cluster] for m in span if m is not None]
            # ... and only when the new weights are what the rules give just after it.
            if any(c <= t + WRITE_SLACK_S and self.effective(fos_name, consumer, c, t) <= FAILOVER_BOUND_S + 0.5
                   and same_shares(after, expected_weights(fos_name, consumer,
                                                           self.model.usable_set(fos_name, consumer, c + 0.001)))
                   for c in moments):
                return True
        # Otherwise (or a move up because the active group failed) a change
        # of usability within the bound, less the disturbed time. The ground
        # truth's times are taken when the write was answered: the watch may
        # see its effect first, hence the slack.
        start = t + WRITE_SLACK_S
        previous = self.model.usable_set(fos_name, consumer, start)
        for back in self.grid(0, start - self.chaos_start + 10):
            c = start - back
            current = self.model.usable_set(fos_name, consumer, c)
            if current != previous:
                return True
            if self.effective(fos_name, consumer, c, t) > FAILOVER_BOUND_S + 0.5:
                return False
            previous = current
        return False

    def _undoes_last(self, after, t):
        """An unexplained change undone soon after is one episode: its length noted."""
        last = self._last_unexplained
        self._last_unexplained = None
        if last is None or not same_shares(last[1], after) or t - last[0] > FAILOVER_BOUND_S + FAILBACK_DELAY_S + 1:
            return False
        invariant, at, what = self.violations[last[2]]
        self.violations[last[2]] = (invariant, at, what + f"; undone after {t - at:.2f}s")
        return True

    def _classify(self, fos_name, consumer, before, after, t, quiet_start, quiet_end):
        self._last_unexplained = (t, before, len(self.violations))
        what = f"{consumer}: TrafficSplit {NS}/{fos_name} changed {before} -> {after} with no change of usability"
        window = FAILOVER_BOUND_S + 2
        silence = [(s, e) for s, e in _closed(self.truth.agent_silent[consumer], self.end)
                   if s <= t and t <= e + window]
        restarts = [w for at, w in self.truth.restarts if t - window - 4 <= at <= t]
        if silence:
            self._violation(2, t, what + f" (its agent silent {silence[-1][0]:.1f}-{silence[-1][1]:.1f}s)")
        elif restarts:
            self._violation(3, t, what + f" (after {', '.join(restarts)})")
        elif quiet_start <= t <= quiet_end:
            self._violation(5, t, what + " (in the quiet period)")
        else:
            self._violation("unexplained", t, what)

    # --- (4) convergence ----------------------------------------------------------------
    def expected_final(self, t):
        out = {}
        for fos_name in all_fos():
            for consumer in MEMBERS:
                out[(consumer, fos_name)] = expected_weights(fos_name, consumer,
                                                             self.model.usable_set(fos_name, consumer, t))
        return out

    def converged(self, t):
        """(all match, mismatches) for the splits in force at t."""
        mismatches = []
        for (consumer, fos_name), want in self.expected_final(t).items():
            have = self.split_at(consumer, fos_name, t)
            if not same_shares(want, have):
                mismatches.append(f"{consumer} {fos_name}: have {have}, want {want}")
        return not mismatches, mismatches

    # --- (5) quiet ------------------------------------------------------------------------
    def writes_between(self, start, end):
        writes = {}
        for (cluster, kind, name), history in self.versions.items():
            n = sum(1 for at, _, _, _ in history if start <= at <= end)
            if n:
                writes[f"{cluster} {kind} {name}"] = n
        return writes


def in_interval(intervals, t):
    return interval_at(intervals, t) is not None
