"""The state of a picking as the bridge sees it: automation progress, exceptions, delivery after dispatch.

Pure code, no ORM: the inbox hands it the picking's current ``PickingState`` and one fact (a step
succeeded, a step failed, a carrier status, a manager's resolution, an SLA breach) and stores the
``Outcome`` it answers. The rules (DESIGN.md, "State of a picking"):

- Automation steps advance by rank and event time and never go backwards: a late sorter event does
  not undo a dispatch, whatever order the streams deliver them in. ``acknowledged`` is the warehouse
  system's acceptance of a released picking (``order.acknowledged``); its refusal fails that step.
- An exception is cleared only by a later (by event time) success of the step that failed, or of a
  step after it (a dispatch proves the pick that failed before was overcome), or by a manager.
  Any other update leaves it standing. A failure older than a success of its step (or a later one)
  was overcome before it arrived: it is recorded, and opens no exception.
- A done or cancelled picking no longer changes its automation state; after dispatch only the
  delivery state moves, forward: pre-transit, in transit, out for delivery, delivered, returned.
  A failed attempt or a carrier exception is a setback that a newer carrier event may follow; the
  carrier event that follows it clears it (``cleared``).
- A rejected update or a failure about a done picking is recorded and raises an activity, but does
  not put the picking back into exception.
"""
from collections import namedtuple

STEPS = ('released', 'acknowledged', 'in_progress', 'picked', 'packed', 'sorted', 'shipped')
STEP_RANK = {step: rank for rank, step in enumerate(STEPS)}
EXCEPTION = 'exception'

DELIVERY_STATES = ('pre_transit', 'in_transit', 'out_for_delivery', 'failed_attempt', 'exception',
                   'delivered', 'returned')
DELIVERY_RANK = {'pre_transit': 1, 'in_transit': 2, 'exception': 2, 'out_for_delivery': 3,
                 'failed_attempt': 3, 'delivered': 4, 'returned': 5}
DELIVERY_SETBACKS = frozenset({'failed_attempt', 'exception'})
DELIVERY_FINAL = frozenset({'delivered', 'returned'})

# An SLA breach (lib/sla.RULES) is a step that did not come: the success of that step (or of one after
# it) clears it, whatever its event time, since it proves the awaited step happened. ``no_tracking``
# concerns dispatched, closed pickings only, so it never opens an exception (see ``step_failed``).
SLA_AWAITS = {'not_acknowledged': 'acknowledged', 'not_dispatched': 'shipped', 'no_tracking': 'shipped'}

PickingState = namedtuple('PickingState', [
    'progress',         # last automation step reached (one of STEPS) or None
    'progress_time',    # event time of that step
    'exception_step',   # the step (or SLA rule) whose failure is open, or None
    'exception_time',   # event time of that failure
    'delivery',         # one of DELIVERY_STATES or None
    'delivery_time',    # event time of that carrier event
    'closed',           # the picking is done or cancelled in Odoo
])
PickingState.__new__.__defaults__ = (None,) * 6 + (False,)

# state: the new PickingState; changed: it differs from the old one; cleared: an open exception (for
# ``carrier_status``: a delivery setback) was closed, so its activities can be marked done; activity: the fact needs a person (failure, setback);
# note: why a fact changed nothing, for the inbox row and the timeline.
Outcome = namedtuple('Outcome', ['state', 'changed', 'cleared', 'activity', 'note'])


def shown(state):
    """The automation state warehouse users see: an open exception wins over progress."""
    return EXCEPTION if state.exception_step else state.progress


def _outcome(old, new, cleared=False, activity=False, note=None):
    return Outcome(new, new != old, cleared, activity, note)


def _later(time, than):
    return than is None or time is None or time >= than


def next_step(state):
    """The step a picking is working on: the one after its progress (a failure reported without a step,
    ``task.failed``, is the failure of this one)."""
    rank = STEP_RANK.get(state.progress, -1)
    return STEPS[min(rank + 1, len(STEPS) - 1)]


def step_succeeded(state, step, event_time):
    """A device or partner confirms that ``step`` (one of STEPS) was done at ``event_time``."""
    if step not in STEP_RANK:
        raise ValueError(f'unknown step {step!r}')
    new = state
    cleared = False
    if state.exception_step and _clears(state, step, event_time):
        new = new._replace(exception_step=None, exception_time=None)
        cleared = True
    if state.closed and step != 'shipped':
        return _outcome(state, new, cleared, note=f'{step} arrived after the picking was closed: state kept')
    current = STEP_RANK.get(state.progress, -1)
    if STEP_RANK[step] < current or (STEP_RANK[step] == current and not _later(event_time, state.progress_time)):
        return _outcome(state, new, cleared, note=f'{step} is behind {state.progress}: state kept')
    new = new._replace(progress=step, progress_time=event_time)
    return _outcome(state, new, cleared)


def _clears(state, step, event_time):
    awaited = SLA_AWAITS.get(state.exception_step)
    if awaited:
        return STEP_RANK[step] >= STEP_RANK[awaited]
    failed = STEP_RANK.get(state.exception_step)
    return failed is not None and STEP_RANK[step] >= failed and _later(event_time, state.exception_time)


def step_failed(state, step, event_time):
    """``step`` (one of STEPS, or an SLA rule name) failed at ``event_time``: the picking needs a person."""
    if state.closed:
        return _outcome(state, state, activity=True, note=f'{step} failed after the picking was closed: recorded only')
    if state.exception_step and not _later(event_time, state.exception_time):
        return _outcome(state, state, activity=True, note='an exception of a later time is already open')
    if (step in STEP_RANK and STEP_RANK.get(state.progress, -1) >= STEP_RANK[step]
            and state.progress_time and event_time and event_time < state.progress_time):
        return _outcome(state, state, note=f'{step} failed before {state.progress} succeeded: overcome, recorded only')
    return _outcome(state, state._replace(exception_step=step, exception_time=event_time), activity=True)


def resolved_by_manager(state):
    """A manager closed the exception by hand."""
    return _outcome(state, state._replace(exception_step=None, exception_time=None), cleared=bool(state.exception_step))


def withdrawn(state):
    """The picking's released work is void (back to draft, unreserved): it starts again as a new work item,
    with its failures; what the carrier said stays."""
    return _outcome(state, state._replace(progress=None, progress_time=None, exception_step=None, exception_time=None),
                    cleared=bool(state.exception_step))


def carrier_status(state, status, event_time):
    """A normalised carrier tracking status (one of DELIVERY_STATES) at ``event_time``."""
    if status not in DELIVERY_RANK:
        raise ValueError(f'unknown delivery status {status!r}')
    current = state.delivery
    if current and not _later(event_time, state.delivery_time):
        return _outcome(state, state, note=f'{status} is older than {current}: state kept')
    if current in DELIVERY_FINAL and not (current == 'delivered' and status == 'returned'):
        return _outcome(state, state, note=f'{status} after {current}: state kept')
    if current and current not in DELIVERY_SETBACKS and DELIVERY_RANK[status] < DELIVERY_RANK[current]:
        return _outcome(state, state, note=f'{status} is behind {current}: state kept')
    new = state._replace(delivery=status, delivery_time=event_time)
    return _outcome(state, new, cleared=current in DELIVERY_SETBACKS and status not in DELIVERY_SETBACKS,
                    activity=status in DELIVERY_SETBACKS or status == 'returned')
