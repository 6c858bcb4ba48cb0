"""Service-level rules (lib/sla.py): which pickings a manager is told about, and since when."""
from datetime import datetime, timedelta

from odoo.tests import BaseCase

from ..lib import sla

NOW = datetime(2026, 12, 1, 12, 0, 0)
LIMITS = sla.Thresholds(ack_minutes=15, dispatch_grace_minutes=60, tracking_hours=24)


def facts(**kw):
    base = dict(released_at=None, acknowledged_at=None, progress=None, scheduled_date=None, shipped_at=None,
                delivery=None, last_tracking_at=None)
    base.update(kw)
    return sla.SlaFacts(**base)


def rules(f, limits=LIMITS, now=NOW):
    return [(b.rule, b.since, b.age) for b in sla.breaches(f, limits, now)]


def bases(f, limits=LIMITS, now=NOW):
    return [(b.rule, b.basis) for b in sla.breaches(f, limits, now)]


class TestSla(BaseCase):

    def test_released_and_never_acknowledged(self):
        f = facts(released_at=NOW - timedelta(minutes=40), progress='released')
        self.assertEqual(rules(f), [('not_acknowledged', NOW - timedelta(minutes=25), timedelta(minutes=25))])
        self.assertEqual(rules(f._replace(acknowledged_at=NOW - timedelta(minutes=39))), [])
        self.assertEqual(rules(f._replace(released_at=NOW - timedelta(minutes=10))), [])

    def test_packed_but_not_dispatched_after_its_scheduled_date(self):
        f = facts(released_at=NOW - timedelta(hours=5), acknowledged_at=NOW - timedelta(hours=5), progress='packed',
                  scheduled_date=NOW - timedelta(hours=2))
        self.assertEqual(rules(f), [('not_dispatched', NOW - timedelta(hours=1), timedelta(hours=1))])
        self.assertEqual(rules(f._replace(progress='picked')), [], 'not packed yet: the rule does not apply')
        self.assertEqual(rules(f._replace(scheduled_date=NOW - timedelta(minutes=30))), [], 'within the grace')

    def test_shipped_without_tracking_for_too_long(self):
        f = facts(progress='shipped', shipped_at=NOW - timedelta(hours=30), delivery='in_transit',
                  last_tracking_at=NOW - timedelta(hours=26))
        self.assertEqual(rules(f), [('no_tracking', NOW - timedelta(hours=2), timedelta(hours=2))])
        self.assertEqual(rules(f._replace(last_tracking_at=NOW - timedelta(hours=3))), [])
        self.assertEqual(rules(f._replace(delivery='delivered')), [], 'delivered parcels need no tracking')
        self.assertEqual(rules(f._replace(delivery=None, last_tracking_at=None)),
                         [('no_tracking', NOW - timedelta(hours=6), timedelta(hours=6))], 'counted from the dispatch')

    def test_a_zero_threshold_turns_its_rule_off(self):
        f = facts(released_at=NOW - timedelta(hours=40), progress='packed', scheduled_date=NOW - timedelta(days=1))
        self.assertEqual([r for r, _s, _a in rules(f)], ['not_acknowledged', 'not_dispatched'])
        self.assertEqual(rules(f, sla.Thresholds(0, 0, 0)), [])

    def test_a_breach_is_named_by_what_it_counts_from_not_by_the_threshold(self):
        # The cron keys a breach on (picking, rule, basis): a changed threshold finds the same breach again,
        # a new tracking event (a new basis) a new one.
        f = facts(released_at=NOW - timedelta(hours=3), progress='released')
        self.assertEqual(bases(f), [('not_acknowledged', NOW - timedelta(hours=3))])
        self.assertEqual(bases(f, sla.Thresholds(60, 0, 0)), bases(f))
        shipped = facts(progress='shipped', shipped_at=NOW - timedelta(hours=50), last_tracking_at=NOW - timedelta(hours=30))
        self.assertEqual(bases(shipped), [('no_tracking', NOW - timedelta(hours=30))])

    def test_durations_read_like_a_person_says_them(self):
        self.assertEqual([sla.human_duration(s) for s in (0, 59.9, 60, 185, 3600, 3900, 86400, 97200, -5)],
                         ['0 s', '59 s', '1 min', '3 min', '1 h', '1 h 5 min', '1 d', '1 d 3 h', '0 s'])
