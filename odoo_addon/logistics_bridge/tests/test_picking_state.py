"""The pure state machine of a picking (lib/picking_state.py): the rules warehouse users rely on."""
from datetime import datetime, timedelta

from odoo.tests import BaseCase

from ..lib import picking_state as ps

T0 = datetime(2026, 12, 1, 8, 0, 0)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def run(state, *facts):
    """Apply facts in order: ('ok', step, minute), ('fail', step, minute), ('carrier', status, minute)."""
    for kind, value, minute in facts:
        fn = {'ok': ps.step_succeeded, 'fail': ps.step_failed, 'carrier': ps.carrier_status}[kind]
        state = fn(state, value, at(minute)).state
    return state


class TestPickingState(BaseCase):

    def test_steps_advance_in_order(self):
        state = run(ps.PickingState(), ('ok', 'released', 0), ('ok', 'picked', 1), ('ok', 'packed', 2),
                    ('ok', 'sorted', 3), ('ok', 'shipped', 4))
        self.assertEqual(ps.shown(state), 'shipped')
        self.assertEqual(state.progress_time, at(4))

    def test_late_sorter_event_does_not_undo_a_dispatch(self):
        # The dock dispatched at minute 10; a sorter on another stream reports a sort of minute 8 afterwards.
        shipped = run(ps.PickingState(), ('ok', 'packed', 5), ('ok', 'shipped', 10))._replace(closed=True)
        outcome = ps.step_succeeded(shipped, 'sorted', at(8))
        self.assertFalse(outcome.changed)
        self.assertEqual(ps.shown(outcome.state), 'shipped')
        self.assertIn('closed', outcome.note)

    def test_lower_step_never_goes_back_even_with_a_newer_time(self):
        sorted_ = run(ps.PickingState(), ('ok', 'sorted', 5))
        outcome = ps.step_succeeded(sorted_, 'packed', at(9))
        self.assertFalse(outcome.changed)
        self.assertEqual(outcome.state.progress, 'sorted')

    def test_same_step_older_time_is_kept_out(self):
        state = run(ps.PickingState(), ('ok', 'picked', 5))
        self.assertFalse(ps.step_succeeded(state, 'picked', at(3)).changed)
        self.assertEqual(ps.step_succeeded(state, 'picked', at(6)).state.progress_time, at(6))

    def test_exception_survives_an_unrelated_later_update(self):
        failed = run(ps.PickingState(), ('ok', 'picked', 1), ('fail', 'sorted', 5))
        self.assertEqual(ps.shown(failed), 'exception')
        # A label printed later (packed ranks before sorted) does not clear a sorting failure.
        outcome = ps.step_succeeded(failed, 'packed', at(7))
        self.assertEqual(ps.shown(outcome.state), 'exception')
        self.assertFalse(outcome.cleared)
        self.assertEqual(outcome.state.progress, 'packed')

    def test_exception_cleared_by_a_later_success_of_the_failed_step(self):
        failed = run(ps.PickingState(), ('ok', 'packed', 1), ('fail', 'sorted', 5))
        before = ps.step_succeeded(failed, 'sorted', at(4))  # a success older than the failure
        self.assertEqual(ps.shown(before.state), 'exception')
        after = ps.step_succeeded(failed, 'sorted', at(6))
        self.assertTrue(after.cleared)
        self.assertEqual(ps.shown(after.state), 'sorted')

    def test_exception_cleared_by_a_later_step(self):
        failed = run(ps.PickingState(), ('fail', 'picked', 5))
        outcome = ps.step_succeeded(failed, 'shipped', at(9))
        self.assertTrue(outcome.cleared)
        self.assertEqual(ps.shown(outcome.state), 'shipped')

    def test_manager_resolution_clears(self):
        failed = run(ps.PickingState(), ('ok', 'picked', 1), ('fail', 'packed', 5))
        outcome = ps.resolved_by_manager(failed)
        self.assertTrue(outcome.cleared)
        self.assertEqual(ps.shown(outcome.state), 'picked')
        self.assertFalse(ps.resolved_by_manager(outcome.state).cleared)

    def test_failure_on_a_closed_picking_is_recorded_not_shown(self):
        shipped = run(ps.PickingState(), ('ok', 'shipped', 5))._replace(closed=True)
        outcome = ps.step_failed(shipped, 'sorted', at(6))
        self.assertFalse(outcome.changed)
        self.assertTrue(outcome.activity)
        self.assertEqual(ps.shown(outcome.state), 'shipped')

    def test_older_failure_does_not_replace_a_newer_one(self):
        failed = run(ps.PickingState(), ('fail', 'sorted', 5))
        outcome = ps.step_failed(failed, 'picked', at(2))
        self.assertEqual(outcome.state.exception_step, 'sorted')

    def test_delivery_moves_forward_only(self):
        state = run(ps.PickingState(closed=True), ('carrier', 'pre_transit', 1), ('carrier', 'in_transit', 2),
                    ('carrier', 'out_for_delivery', 3))
        self.assertFalse(ps.carrier_status(state, 'in_transit', at(4)).changed)
        self.assertFalse(ps.carrier_status(state, 'pre_transit', at(5)).changed)
        delivered = ps.carrier_status(state, 'delivered', at(6)).state
        self.assertEqual(delivered.delivery, 'delivered')
        self.assertFalse(ps.carrier_status(delivered, 'out_for_delivery', at(7)).changed)
        self.assertFalse(ps.carrier_status(delivered, 'failed_attempt', at(8)).changed)
        self.assertEqual(ps.carrier_status(delivered, 'returned', at(9)).state.delivery, 'returned')

    def test_setback_is_followed_by_newer_events(self):
        state = run(ps.PickingState(closed=True), ('carrier', 'out_for_delivery', 1))
        setback = ps.carrier_status(state, 'failed_attempt', at(2))
        self.assertTrue(setback.activity)
        back = ps.carrier_status(setback.state, 'in_transit', at(3)).state
        self.assertEqual(back.delivery, 'in_transit')
        self.assertEqual(ps.carrier_status(back, 'delivered', at(5)).state.delivery, 'delivered')

    def test_older_carrier_event_is_ignored(self):
        state = run(ps.PickingState(closed=True), ('carrier', 'delivered', 10))
        outcome = ps.carrier_status(state, 'in_transit', at(2))
        self.assertFalse(outcome.changed)
        self.assertIn('older', outcome.note)

    def test_acknowledgement_is_a_step_and_a_refusal_its_failure(self):
        released = run(ps.PickingState(), ('ok', 'released', 0))
        refused = ps.step_failed(released, 'acknowledged', at(1))
        self.assertEqual(ps.shown(refused.state), 'exception')
        self.assertTrue(refused.activity)
        acknowledged = ps.step_succeeded(refused.state, 'acknowledged', at(2))
        self.assertTrue(acknowledged.cleared)
        self.assertEqual(ps.shown(acknowledged.state), 'acknowledged')
        # An acknowledgement arriving after the picking was picked changes nothing.
        picked = run(acknowledged.state, ('ok', 'picked', 3))
        self.assertFalse(ps.step_succeeded(picked, 'acknowledged', at(4)).changed)

    def test_next_step_is_the_one_being_worked_on(self):
        self.assertEqual(ps.next_step(ps.PickingState()), 'released')
        self.assertEqual(ps.next_step(run(ps.PickingState(), ('ok', 'packed', 1))), 'sorted')
        self.assertEqual(ps.next_step(run(ps.PickingState(), ('ok', 'shipped', 1))), 'shipped')

    def test_a_failure_older_than_the_success_that_overcame_it_opens_nothing(self):
        # The sorter reports at minute 9 a pack failure of minute 3; the packing station packed at minute 5.
        packed = run(ps.PickingState(), ('ok', 'packed', 5))
        outcome = ps.step_failed(packed, 'packed', at(3))
        self.assertFalse(outcome.changed)
        self.assertFalse(outcome.activity)
        self.assertIn('overcome', outcome.note)
        self.assertEqual(ps.shown(ps.step_failed(packed, 'packed', at(6)).state), 'exception', 'a newer failure opens one')
        self.assertEqual(ps.shown(ps.step_failed(packed, 'sorted', at(3)).state), 'exception', 'a later step had not succeeded')

    def test_withdrawn_work_starts_again_and_keeps_the_carrier(self):
        state = run(ps.PickingState(), ('ok', 'picked', 1), ('fail', 'packed', 2), ('carrier', 'pre_transit', 3))
        outcome = ps.withdrawn(state)
        self.assertTrue(outcome.cleared)
        self.assertEqual((ps.shown(outcome.state), outcome.state.delivery), (None, 'pre_transit'))

    def test_leaving_a_delivery_setback_clears_it(self):
        state = run(ps.PickingState(closed=True), ('carrier', 'in_transit', 1), ('carrier', 'failed_attempt', 2))
        self.assertTrue(ps.carrier_status(state, 'out_for_delivery', at(3)).cleared)
        self.assertFalse(ps.carrier_status(state, 'exception', at(3)).cleared, 'another setback clears nothing')
        self.assertFalse(ps.carrier_status(state, 'in_transit', at(1)).cleared, 'an older event clears nothing')

    def test_unknown_names_are_refused(self):
        with self.assertRaises(ValueError):
            ps.step_succeeded(ps.PickingState(), 'teleported', at(0))
        with self.assertRaises(ValueError):
            ps.carrier_status(ps.PickingState(), 'lost_in_space', at(0))

    def test_an_sla_breach_is_cleared_by_the_step_it_waited_for(self):
        released = run(ps.PickingState(), ('ok', 'released', 0))
        late = ps.step_failed(released, 'not_acknowledged', at(15))
        self.assertEqual(ps.shown(late.state), 'exception')
        # The warehouse's answer, even one stamped before the breach was found, proves the acknowledgement.
        acked = ps.step_succeeded(late.state, 'in_progress', at(14))
        self.assertTrue(acked.cleared)
        self.assertEqual(ps.shown(acked.state), 'in_progress')

    def test_not_dispatched_stays_until_the_dispatch(self):
        packed = run(ps.PickingState(), ('ok', 'packed', 0), ('fail', 'not_dispatched', 60))
        sorted_ = ps.step_succeeded(packed, 'sorted', at(70))
        self.assertFalse(sorted_.cleared, 'sorting is not the dispatch the breach waits for')
        self.assertEqual(ps.shown(sorted_.state), 'exception')
        shipped = ps.step_succeeded(sorted_.state, 'shipped', at(80))
        self.assertTrue(shipped.cleared)
        self.assertEqual(ps.shown(shipped.state), 'shipped')
