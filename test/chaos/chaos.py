#!/usr/bin/python3
"""Chaos with invariants (issue 19, item 10): a seeded random schedule of
faults over a real fleet (a management devcluster, four member devclusters,
two hub replicas with leader election, four agents), checked against the
invariants in invariants.py from python3-kubernetes watches.

  test/chaos/chaos.py [--seed N] [--duration 60] [--quiet 10] [--all-faults]

Phases: start the fleet and wait until every TrafficSplit shows the
expected weights; inject faults for --duration seconds; restore every
process and disarm every fault; wait for convergence (invariant 4); count
writes over --quiet seconds (invariant 5); check invariants 1-3 over the
whole record. The seed is printed first and with any failure: rerun with
--seed N to replay the same schedule (process timing still varies).
Exit 0 when no invariant was violated, 1 otherwise, 2 on a setup failure.
"""

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chaos_fleet as cf  # noqa: E402
import schedule  # noqa: E402
from injector import GroundTruth, Injector  # noqa: E402
from invariants import FAILOVER_BOUND_S, Checker  # noqa: E402
from model import Model  # noqa: E402
from recorder import Recorder  # noqa: E402

# Invariant 4's bound after the faults stop: a killed hub's successor leads
# after the lease, agents report at once, a failback waits its delay, and
# then the failover bound; plus 5 s for processes to start.
CONVERGENCE_BOUND_S = cf.LEASE_S + cf.FAILBACK_DELAY_S + FAILOVER_BOUND_S + 5
SETTLE_S = 3.0   # status confirmations trailing the last TrafficSplit write


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of faults")
    parser.add_argument("--quiet", type=float, default=10.0, help="seconds of steady state counted for writes")
    parser.add_argument("--mean-gap", type=float, default=2.5, help="mean seconds between faults")
    parser.add_argument("--all-faults", action="store_true",
                        help="also the fault kinds that wait for a fix (schedule.FAULT_KINDS)")
    parser.add_argument("--faults", default=None, help="comma-separated fault kinds (default: those passing on main)")
    parser.add_argument("--keep", action="store_true", help="keep the fleet's work directory (logs)")
    parser.add_argument("--dump", default=None, help="write both records (ground truth, versions seen) to FILE as JSON")
    parser.add_argument("--recheck", default=None, metavar="FILE",
                        help="no fleet: check invariants 1-3 and 5 again over a --dump FILE (after a checker change)")
    args = parser.parse_args()
    if args.recheck:
        return recheck(args.recheck)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    kinds = (args.faults.split(",") if args.faults else
             sorted(schedule.FAULT_KINDS) if args.all_faults else schedule.kinds_passing_on_main())
    unknown = [k for k in kinds if k not in schedule.FAULT_KINDS]
    if unknown:
        parser.error(f"--faults: unknown kind(s) {', '.join(unknown)}; known: {', '.join(schedule.FAULT_KINDS)}")
    replay = f"test/chaos/chaos.py --seed {seed} --duration {args.duration:g} --faults {','.join(kinds)}"
    print(f"chaos: seed {seed}; replay with: {replay}", flush=True)

    actions = schedule.plan(seed, args.duration, kinds, args.mean_gap)
    t0 = time.monotonic()

    def log(text):
        print(text, flush=True)

    with cf.ChaosFleet(keep_workdir=args.keep) as fleet:
        try:
            fleet.start_all()
        except Exception as e:  # noqa: BLE001
            print(f"chaos: the fleet did not start: {e}", flush=True)
            return 2
        log(f"chaos: fleet up in {time.monotonic() - t0:.1f}s, work directory {fleet.workdir}")
        truth = GroundTruth()
        recorder = Recorder(fleet, t0)
        recorder.start()
        now = lambda: time.monotonic() - t0  # noqa: E731

        def checker():
            snapshot = recorder.record.snapshot()
            return Checker(truth, snapshot, Model(truth, snapshot[2]), chaos_start, now())

        chaos_start = now()
        if not wait_converged(checker, now, 60):
            _, mismatches = checker().converged(now())
            print("chaos: the fleet never reached its initial weights:\n  " + "\n  ".join(mismatches))
            return 2
        chaos_start = now()
        log(f"chaos: initial weights in place at {chaos_start:.1f}s; {len(actions)} faults over "
            f"{args.duration:g}s: {schedule.describe(actions)}")
        for a in actions:
            a.at += chaos_start
        injector = Injector(fleet, truth, t0, log)
        injector.run(actions)
        remaining = chaos_start + args.duration - now()
        if remaining > 0:
            time.sleep(remaining)
        injector.restore()
        faults_end = now()
        log(f"chaos: faults stopped at {faults_end:.1f}s; waiting for convergence")
        converged_at = wait_converged(checker, now, CONVERGENCE_BOUND_S + 30)
        time.sleep(SETTLE_S)
        quiet_start = now()
        time.sleep(args.quiet)
        quiet_end = now()
        recorder.stop()

        final = checker()
        if args.dump:
            dump(args.dump, truth, final, {"chaos_start": chaos_start, "faults_end": faults_end,
                                           "quiet_start": quiet_start, "quiet_end": quiet_end})
        violations = final.violations
        if converged_at is None or converged_at - faults_end > CONVERGENCE_BOUND_S:
            _, mismatches = final.converged(quiet_end)
            took = "never" if converged_at is None else f"after {converged_at - faults_end:.1f}s"
            violations.append((4, faults_end, f"converged {took} (bound {CONVERGENCE_BOUND_S:g}s)" +
                               "".join(f"\n      {m}" for m in mismatches)))
        final._count(4)
        writes = final.writes_between(quiet_start, quiet_end)
        final._count(5)
        if writes:
            violations.append((5, quiet_start, f"{sum(writes.values())} writes in {args.quiet:g}s of steady "
                                             f"state: {writes}"))
        final.check_no_weight_on_unusable(chaos_start, quiet_end)
        final.check_changes_explained(quiet_start, quiet_end)

        print(f"chaos: faults injected {dict(sorted(truth.injected.items()))}; skipped "
              f"{dict(sorted(truth.skipped.items()))}")
        print(f"chaos: checks made {dict((str(k), v) for k, v in sorted(final.checks.items(), key=str))}; "
              f"failover bound {FAILOVER_BOUND_S:g}s; convergence "
              f"{'never' if converged_at is None else f'{converged_at - faults_end:.1f}s'} "
              f"(bound {CONVERGENCE_BOUND_S:g}s); writes in steady state {sum(writes.values())}; "
              f"watch breaks {len(recorder.record.errors)}")
        if violations:
            by_kind = {}
            for invariant, _, _ in violations:
                by_kind[str(invariant)] = by_kind.get(str(invariant), 0) + 1
            print(f"chaos: {len(violations)} violation(s) {by_kind}:")
            for invariant, t, what in sorted(violations, key=lambda v: v[1])[:40]:
                print(f"  [{invariant}] {t:7.2f}s {what}")
            print(f"chaos: FAILED with seed {seed}; replay with: {replay} --keep")
            fleet.keep_workdir = args.keep
            return 1
        print(f"chaos: passed, 0 violations (seed {seed})")
        return 0


def dump(path, truth, checker, phases):
    with open(path, "w") as f:
        json.dump({"phases": phases, "ready": {"/".join(k): v for k, v in truth.ready.items()}, "agent_silent": truth.agent_silent,
                   "api_down": truth.api_down, "net": truth.net, "restarts": truth.restarts,
                   "leaders": checker.leaders, "gaps": checker.gaps,
                   "versions": {" ".join(k): v for k, v in checker.versions.items()}}, f, indent=1, default=str)


def recheck(path):
    """Invariants 1, 2, 3 and 5 over a dump; the phases default to those of
    the first long run's dump, which did not record them."""
    with open(path) as f:
        d = json.load(f)
    truth = GroundTruth()
    truth.ready = {tuple(k.split("/")): [tuple(x) for x in v] for k, v in d["ready"].items()}
    truth.agent_silent, truth.api_down, truth.net = d["agent_silent"], d["api_down"], d["net"]
    truth.restarts = [tuple(r) for r in d["restarts"]]
    versions = {tuple(k.split(" ")): [tuple(x) for x in v] for k, v in d["versions"].items()}
    leaders = [tuple(x) for x in d["leaders"]]
    phases = d.get("phases") or {"chaos_start": 25.5, "quiet_start": 1831.7, "quiet_end": 1891.7}
    end = phases["quiet_end"]
    checker = Checker(truth, (versions, d["gaps"], leaders), Model(truth, leaders), phases["chaos_start"], end)
    writes = checker.writes_between(phases["quiet_start"], end)
    checker.check_no_weight_on_unusable(phases["chaos_start"], end)
    checker.check_changes_explained(phases["quiet_start"], end)
    print(f"chaos: rechecked {path}: checks made {dict((str(k), v) for k, v in checker.checks.items())}; "
          f"writes in steady state {sum(writes.values())}; {len(checker.violations)} violation(s)")
    for invariant, t, what in sorted(checker.violations, key=lambda v: v[1]):
        print(f"  [{invariant}] {t:7.2f}s {what}")
    return 1 if checker.violations or writes else 0


def wait_converged(checker, now, timeout):
    """The time every TrafficSplit first showed the weights the rules give,
    or None after timeout."""
    deadline = now() + timeout
    while now() < deadline:
        t = now()
        ok, _ = checker().converged(t)
        if ok:
            return t
        time.sleep(0.2)
    return None


if __name__ == "__main__":
    sys.exit(main())
