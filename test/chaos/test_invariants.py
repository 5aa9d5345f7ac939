"""The invariant checker on made-up records: each invariant flags the
behaviour it exists for and lets the legitimate one pass. No processes.

Run: /usr/bin/python3 -m unittest -v test_invariants (from test/chaos).
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chaos_fleet import FAILBACK_DELAY_S, MEMBERS, SILENT_FAILOVER_S  # noqa: E402
from injector import GroundTruth  # noqa: E402
from invariants import FAILOVER_BOUND_S, Checker  # noqa: E402
from model import Model  # noqa: E402

PRIMARY = {"checkout": 1.0, "checkout-east": 0.0}        # in west: checkout is west's own
FAILED_OVER = {"checkout": 0.0, "checkout-east": 1.0}
END = 60.0


class Records:
    """A ground truth and the versions seen, every split steady from t=1."""

    def __init__(self):
        self.truth = GroundTruth()
        self.versions = {}
        self.rv = 0
        for fos in ("checkout", "cart", "search", "pay"):
            for member in MEMBERS:
                self.seen(member, fos, 1.0, None)

    def seen(self, member, fos, t, weights):
        self.rv += 1
        key = (member, "trafficsplits", f"shop/{fos}")
        if weights is None:  # the steady value the model expects with everything ready
            weights = Checker(self.truth, ({}, {}, [(0.0, "hub-a")]), Model(self.truth, [(0.0, "hub-a")]),
                              0, END).expected_final(0.5)[(member, fos)]
        self.versions.setdefault(key, []).append((t, str(self.rv), weights, False))

    def settle(self, t, at, only=None):
        """Every consumer (or `only`) shows at time `at` the weights the
        ground truth gives at time t."""
        for (member, fos), weights in self.checker().expected_final(t).items():
            if only is None or member in only:
                self.seen(member, fos, at, weights)

    def checker(self):
        leaders = [(0.0, "hub-a")]
        return Checker(self.truth, (self.versions, {}, leaders), Model(self.truth, leaders), 5.0, END)


class InvariantTests(unittest.TestCase):
    def test_failover_within_the_bound_passes_and_beyond_it_fails(self):
        # One violation per consumer of checkout when late, lasting the 3 s past the bound.
        for delay, violations in ((FAILOVER_BOUND_S - 1, 0), (FAILOVER_BOUND_S + 3, 4)):
            with self.subTest(delay=delay):
                r = Records()
                r.truth.ready[("checkout", "west")].append((10.0, False))
                r.settle(11.0, 10.0 + delay)
                c = r.checker()
                c.check_no_weight_on_unusable(5.0, END)
                self.assertEqual(violations, len([v for v in c.violations if v[0] == 1]), c.violations)
                self.assertGreater(c.checks[1], 100)
                for v in c.violations:
                    self.assertRegex(v[2], r"for 3\.[0-9]s")

    def test_a_change_without_cause_after_a_hub_restart_is_a_restart_flip(self):
        r = Records()
        r.truth.restarts.append((20.0, "hub_kill hub-a"))
        r.seen("west", "checkout", 21.0, FAILED_OVER)
        c = r.checker()
        c.check_changes_explained(50.0, END)
        self.assertEqual([3], [v[0] for v in c.violations], c.violations)

    def test_a_change_caused_by_an_endpoint_flip_is_explained(self):
        r = Records()
        r.truth.restarts.append((20.0, "hub_kill hub-a"))
        r.truth.ready[("checkout", "west")].append((20.5, False))
        r.seen("west", "checkout", 21.0, FAILED_OVER)
        c = r.checker()
        c.check_changes_explained(50.0, END)
        self.assertEqual([], c.violations)

    def test_a_returning_agent_moving_its_own_traffic_is_rule_1b(self):
        r = Records()
        r.truth.agent_silent["west"].append([10.0, 10.0 + SILENT_FAILOVER_S + 4])
        back = 10.0 + SILENT_FAILOVER_S + 4
        r.seen("west", "checkout", back + 0.1, FAILED_OVER)
        r.seen("west", "checkout", back + 0.1 + FAILBACK_DELAY_S, PRIMARY)
        c = r.checker()
        c.check_changes_explained(50.0, END)
        self.assertEqual([2], [v[0] for v in c.violations], c.violations)
        self.assertIn("undone after", c.violations[0][2])

    def test_another_clusters_presumed_death_moves_traffic_legitimately(self):
        r = Records()
        r.truth.agent_silent["west"].append([10.0, 40.0])
        # The others' splits leave west after silentFailoverSeconds, and
        # return the failback delay after it reports again.
        r.settle(30.0, 10.0 + SILENT_FAILOVER_S + 1, only=("east", "north", "south"))
        r.settle(50.0, 40.0 + FAILBACK_DELAY_S + 0.5, only=("east", "north", "south"))
        c = r.checker()
        c.check_changes_explained(50.0, END)
        c.check_no_weight_on_unusable(5.0, 39.0)
        self.assertEqual([], c.violations)
        # A failback before the delay has passed has no cause.
        r = Records()
        r.truth.agent_silent["west"].append([10.0, 40.0])
        r.settle(30.0, 10.0 + SILENT_FAILOVER_S + 1, only=("north",))
        r.settle(50.0, 41.0, only=("north",))
        c = r.checker()
        c.check_changes_explained(50.0, END)
        self.assertEqual([("unexplained", 41.0)], [v[:2] for v in c.violations if "checkout" in v[2]])
        # Left on the dead cluster, they would break invariant 1.
        r = Records()
        r.truth.agent_silent["west"].append([10.0, 40.0])
        c = r.checker()
        c.check_no_weight_on_unusable(5.0, 39.0)
        self.assertEqual({"east", "north", "south"}, {v[2].split(":")[0] for v in c.violations if v[0] == 1})

    def test_a_move_up_because_the_active_group_failed_needs_no_delay(self):
        r = Records()
        r.truth.ready[("checkout", "west")].append((10.0, False))
        r.settle(10.5, 11.0)
        r.truth.ready[("checkout", "west")].append((20.0, True))
        r.truth.ready[("checkout", "east")].append((21.0, False))
        r.settle(21.5, 21.5)
        c = r.checker()
        c.check_changes_explained(50.0, END)
        c.check_no_weight_on_unusable(5.0, END)
        self.assertEqual([], c.violations)

    def test_a_watch_may_see_a_flip_before_the_injector_records_it(self):
        r = Records()
        r.truth.ready[("checkout", "west")].append((10.0, False))
        r.settle(10.5, 9.8)
        c = r.checker()
        c.check_changes_explained(50.0, END)
        self.assertEqual([], c.violations)

    def test_a_backend_may_get_weight_just_before_the_injector_records_it_ready(self):
        # The long run (seed 2026) saw south weigh search-west at 1593.80 and
        # the injector record it ready at 1593.82, after its write returned.
        r = Records()
        r.truth.ready[("search", "west")].append((10.0, False))
        r.settle(10.5, 11.0)
        r.truth.ready[("search", "west")].append((29.85, True))
        r.settle(30.0, 29.8)
        c = r.checker()
        c.check_no_weight_on_unusable(5.0, END)
        self.assertEqual([], c.violations)
        # Shown a second early it still counts.
        r = Records()
        r.truth.ready[("search", "west")].append((10.0, False))
        r.settle(10.5, 11.0)
        r.truth.ready[("search", "west")].append((31.0, True))
        r.settle(31.5, 29.8)
        c = r.checker()
        c.check_no_weight_on_unusable(5.0, END)
        self.assertTrue(any(v[0] == 1 and "search-west" in v[2] for v in c.violations), c.violations)

    def test_two_flips_between_two_samples_explain_a_blip(self):
        r = Records()
        r.truth.ready[("checkout", "west")].append((10.12, False))
        r.truth.ready[("checkout", "west")].append((10.18, True))
        r.settle(10.15, 10.2)
        r.settle(10.3, 10.4)
        c = r.checker()
        c.check_changes_explained(50.0, END)
        self.assertEqual([], c.violations)

    def test_any_decision_while_a_presumed_death_cannot_be_timed(self):
        # A hub started at 14 s: west (silent from 10 s) may be presumed down
        # anywhere up to 14 + silentFailover + unknownAfter + 1.
        r = Records()
        r.truth.agent_silent["west"].append([10.0, 40.0])
        leaders = [(0.0, "hub-a"), (13.0, None), (14.0, "hub-b")]
        r.settle(30.0, 10.0 + SILENT_FAILOVER_S + 6, only=("east", "north", "south"))
        c = Checker(r.truth, (r.versions, {}, leaders), Model(r.truth, leaders), 5.0, END)
        c.check_changes_explained(50.0, END)
        self.assertEqual([], c.violations)

    def test_writes_in_the_quiet_period_are_counted(self):
        r = Records()
        r.seen("west", "checkout", 55.0, PRIMARY)
        c = r.checker()
        self.assertEqual({"west trafficsplits shop/checkout": 1}, c.writes_between(50.0, END))
        self.assertEqual({}, c.writes_between(40.0, 50.0))

    def test_convergence_compares_shares_not_raw_weights(self):
        r = Records()
        c = r.checker()
        self.assertTrue(c.converged(END)[0])
        r.seen("north", "search", 30.0, {"search-west": 1.0, "search": 1.0, "search-south": 0.0})
        ok, mismatches = r.checker().converged(END)
        self.assertFalse(ok)
        self.assertIn("north search", mismatches[0])


if __name__ == "__main__":
    unittest.main()
