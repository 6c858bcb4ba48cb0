"""Service levels of a picking: the breaches a warehouse manager wants raised, not found by chance.

Pure code, no ORM: the SLA cron hands it what it knows of each picking and the configured thresholds,
and raises an exception (with an activity) for each breach it answers. A threshold of 0 turns a rule off.

- ``not_acknowledged``: released to the warehouse and nothing (an acknowledgement by the WMS or any
  device or partner update) came back within ``ack_minutes``.
- ``not_dispatched``: packed (or further, short of shipped) and still not dispatched
  ``dispatch_grace_minutes`` after its scheduled date.
- ``no_tracking``: dispatched, not yet delivered or returned, and no carrier event for ``tracking_hours``
  (counted from the last carrier event, or from the dispatch when there was none).
"""
from collections import namedtuple
from datetime import timedelta

from .picking_state import DELIVERY_FINAL, STEP_RANK

RULES = ('not_acknowledged', 'not_dispatched', 'no_tracking')

Thresholds = namedtuple('Thresholds', ['ack_minutes', 'dispatch_grace_minutes', 'tracking_hours'])

SlaFacts = namedtuple('SlaFacts', [
    'released_at',       # when the picking was released (its stock.picking.ready)
    'acknowledged_at',   # first acknowledgement or update that came back, or None
    'progress',          # last automation step reached (lib.picking_state.STEPS) or None
    'scheduled_date',    # the picking's scheduled date
    'shipped_at',        # when it was dispatched, or None
    'delivery',          # delivery state or None
    'last_tracking_at',  # time of the last carrier event, or None
])

# rule: one of RULES; basis: the fact time the rule counts from (release, scheduled date, last carrier
# event or dispatch), which names the breach: the same rule missed from the same basis is the same breach
# however often it is found, or the thresholds changed; since: when the service level was missed;
# age: now - since.
Breach = namedtuple('Breach', ['rule', 'basis', 'since', 'age'])


def breaches(facts, thresholds, now):
    """The service levels ``facts`` miss at ``now``, oldest first."""
    found = []

    def missed(rule, basis, delay):
        since = basis + delay
        if since <= now:
            found.append(Breach(rule, basis, since, now - since))

    if thresholds.ack_minutes and facts.released_at and not facts.acknowledged_at and not facts.shipped_at:
        missed('not_acknowledged', facts.released_at, timedelta(minutes=thresholds.ack_minutes))
    rank = STEP_RANK.get(facts.progress, -1)
    if (thresholds.dispatch_grace_minutes and facts.scheduled_date and not facts.shipped_at
            and STEP_RANK['packed'] <= rank < STEP_RANK['shipped']):
        missed('not_dispatched', facts.scheduled_date, timedelta(minutes=thresholds.dispatch_grace_minutes))
    if thresholds.tracking_hours and facts.shipped_at and facts.delivery not in DELIVERY_FINAL:
        last = max(t for t in (facts.shipped_at, facts.last_tracking_at) if t)
        missed('no_tracking', last, timedelta(hours=thresholds.tracking_hours))
    return sorted(found, key=lambda b: b.since)


def human_duration(seconds):
    """A duration as a warehouse manager reads it on a dashboard: '45 s', '3 min', '2 h 5 min', '3 d 4 h'."""
    seconds = int(max(0, seconds))
    if seconds < 60:
        return f'{seconds} s'
    minutes = seconds // 60
    if minutes < 60:
        return f'{minutes} min'
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f'{hours} h {minutes} min' if minutes else f'{hours} h'
    days, hours = divmod(hours, 24)
    return f'{days} d {hours} h' if hours else f'{days} d'
