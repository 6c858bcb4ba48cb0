"""The picking's state as the inbox writes it (lib/picking_state.py wired into ``_lb_record_update``):
what a warehouse user sees on the picking and its sale order when streams arrive late or fail."""
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LogisticsBridgeCase

SSCC = '106141411234567897'


def at(minute):
    return f'2026-12-01T10:{minute:02d}:00Z'


@tagged('post_install', '-at_install')
class TestPickingFlow(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls.confirmed_sale(cls, qty=5)
        cls.picking = cls.order.picking_ids
        cls.ref = {'id': cls.picking.id}
        cls.exception_type = cls.env.ref('logistics_bridge.mail_activity_type_exception')

    def step(self, update_type, payload, minute, **envelope):
        result = self.apply(update_type, dict({'picking': self.ref}, **payload), key=f'{update_type}@{minute}',
                            event_time=at(minute), **envelope)
        return result

    def pick_and_pack(self, minute=1):
        self.assertEqual(self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 5}]},
                                   minute)['status'], 'applied')
        self.assertEqual(self.step('pack.completed', {'sscc': SSCC}, minute + 1)['status'], 'applied')

    def open_exception_activities(self):
        return self.picking.activity_ids.filtered(lambda a: a.activity_type_id == self.exception_type)

    def test_a_late_sorter_event_leaves_the_picking_and_its_order_shipped(self):
        self.pick_and_pack()
        self.assertEqual(self.step('shipment.dispatched', {}, 10, device_id='dock-1')['status'], 'applied')
        self.assertEqual((self.picking.lb_automation_state, self.order.lb_automation_state), ('shipped', 'shipped'))
        # The sorter (another stream) reports a sort of minute 8 after the dock's dispatch of minute 10.
        late = self.apply('parcel.sorted', {'sscc': SSCC, 'chute': 'C3'}, key='late-sort', event_time=at(8),
                          device_id='sorter-2')
        self.assertEqual(late['status'], 'applied', late)
        self.picking.invalidate_recordset()
        self.assertEqual(self.picking.lb_automation_state, 'shipped')
        self.assertEqual(self.order.lb_automation_state, 'shipped')
        self.assertEqual(self.picking.lb_progress_at.isoformat(), '2026-12-01T10:10:00')
        # The last update shown is still the newest one, and the inbox row says why nothing changed.
        self.assertEqual((self.picking.lb_last_update_type, self.picking.lb_last_device), ('shipment.dispatched', 'dock-1'))
        self.assertIn('state kept', self.Update.browse(late['update_id']).note)

    def test_an_exception_survives_an_unrelated_later_update(self):
        self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 5}]}, 1)
        self.assertEqual(self.step('task.failed', {'reason': 'carton erector jammed'}, 3)['status'], 'applied')
        self.assertEqual((self.picking.lb_automation_state, self.picking.lb_exception_step), ('exception', 'packed'))
        self.assertEqual(self.order.lb_automation_state, 'exception')
        # A later pick correction is about an earlier step: the packing failure stays open.
        self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 5}]}, 4)
        self.assertEqual(self.picking.lb_automation_state, 'exception')
        self.assertIn('carton erector jammed', self.picking.lb_last_exception)
        self.assertEqual(len(self.open_exception_activities()), 1)

    def test_an_exception_is_cleared_by_a_later_success_of_the_failed_step_only(self):
        self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 5}]}, 1)
        self.step('task.failed', {'reason': 'carton erector jammed'}, 5)
        # A pack reported with an older time than the failure does not prove the failure overcome.
        self.step('pack.completed', {'sscc': SSCC}, 4)
        self.assertEqual(self.picking.lb_automation_state, 'exception')
        self.step('shipment.labelled', {'carrier': 'DHL', 'tracking_number': 'JD0001'}, 6)
        self.assertEqual(self.picking.lb_automation_state, 'packed')
        self.assertFalse(self.picking.lb_last_exception)
        self.assertFalse(self.open_exception_activities(), 'the activity of the overcome failure is done')
        self.assertEqual(self.order.lb_automation_state, 'packed')

    def test_a_manager_resolves_an_exception(self):
        self.step('task.failed', {'reason': 'picker called in sick'}, 2)
        self.assertEqual(self.picking.lb_automation_state, 'exception')
        manager = new_test_user(self.env, login='lb_flow_manager', groups='logistics_bridge.logistics_bridge_group_manager')
        self.picking.with_user(manager).action_lb_resolve_exception()
        self.assertEqual(self.picking.lb_automation_state, 'released')
        self.assertFalse(self.open_exception_activities())
        with self.assertRaises(AccessError):
            self.picking.with_user(self.stock_user).action_lb_resolve_exception()

    def test_a_rejected_update_on_a_done_picking_is_recorded_without_an_exception(self):
        self.pick_and_pack()
        self.step('shipment.dispatched', {}, 10)
        late = self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 4}]}, 12)
        self.assertEqual(late['status'], 'rejected')
        self.assertIn('already done', late['reason'])
        row = self.Update.browse(late['update_id'])
        self.assertEqual((row.state, row.picking_id), ('rejected', self.picking))
        self.assertEqual(self.picking.lb_automation_state, 'shipped')
        self.assertEqual(self.order.lb_automation_state, 'shipped')
        activity = self.open_exception_activities()
        self.assertEqual(len(activity), 1, 'a person is told')
        self.assertIn('already done', activity.note)

    def test_a_shipped_picking_keeps_no_activity_of_a_step_it_overcame(self):
        self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 5}]}, 1)
        bad = self.step('pack.completed', {'sscc': '106141411234567890'}, 2)
        self.assertEqual(bad['status'], 'rejected')
        self.assertEqual(self.picking.lb_automation_state, 'exception')
        self.assertEqual(len(self.open_exception_activities()), 1)
        self.step('pack.completed', {'sscc': SSCC}, 3)
        self.step('shipment.dispatched', {}, 4)
        self.assertEqual(self.picking.lb_automation_state, 'shipped')
        self.assertFalse(self.open_exception_activities())

    def test_the_acknowledgement_and_refusal_of_a_warehouse_system(self):
        refused = self.step('order.refused', {'reason': 'unknown ship-to', 'code': 'E17', 'external_ref': 'WMS-1'}, 1,
                            adapter_id='partner:wms-acme', device_id='wms-acme')
        self.assertEqual(refused['status'], 'applied', refused)
        self.assertEqual((self.picking.lb_automation_state, self.picking.lb_exception_step), ('exception', 'acknowledged'))
        self.assertEqual(self.picking.lb_last_exception, '[E17] unknown ship-to')
        self.assertEqual(self.picking.lb_external_ref, 'WMS-1')
        activity = self.open_exception_activities()
        self.assertIn('unknown ship-to', activity.note)
        self.assertIn('refused', activity.summary)
        ack = self.step('order.acknowledged', {'external_ref': 'WMS-2'}, 2)
        self.assertEqual(ack['status'], 'applied', ack)
        self.assertEqual(self.picking.lb_automation_state, 'acknowledged')
        self.assertEqual(self.picking.lb_acknowledged_at.isoformat(), '2026-12-01T10:02:00')
        self.assertEqual(self.picking.lb_external_ref, 'WMS-2')
        self.assertFalse(self.open_exception_activities())
        # A duplicate acknowledgement after the pick changes nothing.
        self.step('pick.confirmed', {'lines': [{'product': {'id': self.product.id}, 'quantity': 5}]}, 3)
        again = self.step('order.acknowledged', {}, 4)
        self.assertEqual(again['status'], 'applied')
        self.assertEqual(self.picking.lb_automation_state, 'picked')
        self.assertEqual(self.picking.lb_acknowledged_at.isoformat(), '2026-12-01T10:02:00', 'the first one counts')

    def test_a_refusal_needs_a_reason(self):
        result = self.step('order.refused', {}, 1)
        self.assertEqual(result['status'], 'rejected')
        self.assertIn('reason is required', result['reason'])
