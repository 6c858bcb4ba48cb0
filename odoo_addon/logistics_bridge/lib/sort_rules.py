"""Where a parcel goes on the sorter: the admin's rules (carrier, route, destination country, priority ->
chute and lane), matched for one picking. Pure code: the sort-rule model hands its rules in as plain
tuples and the work builder puts the answer into the sort plan.

A rule matches when each of its criteria is empty or equal to the picking's value (compared without
case). Among matching rules the most specific wins (the most criteria set); ties go to the lower
sequence, then the lower id, so the answer never depends on database order.
"""
from collections import namedtuple

SortRule = namedtuple('SortRule', ['id', 'sequence', 'carrier', 'route', 'country', 'priority', 'chute', 'lane'])
Destination = namedtuple('Destination', ['chute', 'lane', 'rule_id'])

CRITERIA = ('carrier', 'route', 'country', 'priority')


def _norm(value):
    return str(value).strip().casefold() if value not in (None, False, '') else None


def destination(rules, carrier=None, route=None, country=None, priority=None):
    """The chute and lane for a picking with these values, or None when no rule matches."""
    facts = {'carrier': _norm(carrier), 'route': _norm(route), 'country': _norm(country), 'priority': _norm(priority)}
    best = None
    for rule in rules:
        wanted = {c: _norm(getattr(rule, c)) for c in CRITERIA}
        if any(v is not None and v != facts[c] for c, v in wanted.items()):
            continue
        rank = (-sum(v is not None for v in wanted.values()), rule.sequence, rule.id)
        if best is None or rank < best[0]:
            best = (rank, rule)
    if best is None:
        return None
    rule = best[1]
    return Destination(rule.chute, rule.lane or None, rule.id)
