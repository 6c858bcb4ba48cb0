from unittest.mock import patch

from psycopg2 import errors as pg_errors

from odoo import Command
from odoo.tests import tagged

from .common import LogisticsBridgeCase

SSCC = '106141411234567897'


@tagged('post_install', '-at_install')
class TestInbox(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls.confirmed_sale(cls, qty=5, qty2=3)
        cls.picking = cls.order.picking_ids
        cls.ref = {'name': cls.picking.name}

    def move(self, product):
        return self.picking.move_ids.filtered(lambda m: m.product_id == product)

    def test_device_status_registers_the_device(self):
        result = self.apply('device.status', {'status': 'online', 'family': 'sorter', 'warehouse': self.warehouse.code},
                            device_id='sorter-7')
        self.assertEqual(result['status'], 'applied')
        device = self.env['logistics.bridge.device'].search([('name', '=', 'sorter-7')])
        self.assertEqual((device.state, device.family, device.warehouse_id), ('online', 'sorter', self.warehouse))
        self.assertEqual(str(device.last_heartbeat), '2026-01-02 03:04:05')
        self.apply('device.status', {'status': 'error', 'error': 'jam'}, device_id='sorter-7',
                   event_time='2026-01-02T03:05:00+00:00')
        self.assertEqual((device.state, device.last_error), ('error', 'jam'))
        # An older heartbeat arriving late does not override the newer state.
        self.apply('device.status', {'status': 'online'}, device_id='sorter-7', event_time='2026-01-02T03:00:00Z')
        self.assertEqual(device.state, 'error')
        update = self.Update.browse(result['update_id'])
        self.assertEqual((update.adapter_id, update.device_record_id), ('adapter-1', device))

    def test_late_heartbeat_goes_offline(self):
        self.apply('device.status', {'status': 'online'}, device_id='robot-1')
        self.env['logistics.bridge.device']._cron_mark_offline()
        self.assertEqual(self.env['logistics.bridge.device'].search([('name', '=', 'robot-1')]).state, 'offline')

    def test_pick_confirmed_sets_picked_quantities(self):
        result = self.apply('pick.confirmed', {'picking': self.ref, 'lines': [
            {'product': {'barcode': self.product.barcode}, 'quantity': 5, 'uom': 'Units'}]},
            correlation_id=self.order.name)
        self.assertEqual(result['status'], 'applied', result)
        move = self.move(self.product)
        self.assertEqual((move.quantity, move.picked), (5, True))
        self.assertEqual(self.picking.lb_automation_state, 'in_progress')
        self.apply('pick.confirmed', {'picking': {'id': self.picking.id}, 'lines': [
            {'product': {'default_code': 'GAD-1'}, 'quantity': 3, 'location': {'name': self.stock_location.complete_name}}]})
        self.assertEqual(self.picking.lb_automation_state, 'picked')
        self.assertEqual(self.picking.lb_last_device, 'dev-1')
        self.assertEqual(self.move(self.product2).quantity, 3)

    def test_pack_label_sort(self):
        self.apply('pick.confirmed', {'picking': self.ref, 'lines': [
            {'product': {'id': self.product.id}, 'quantity': 5}, {'product': {'id': self.product2.id}, 'quantity': 3}]})
        bad = self.apply('pack.completed', {'picking': self.ref, 'sscc': '106141411234567890'})
        self.assertEqual(bad['status'], 'rejected')
        self.assertIn('check digit', bad['reason'])
        self.assertEqual(self.apply('pack.completed', {'picking': self.ref, 'sscc': SSCC, 'weight_kg': 4.5})['status'], 'applied')
        package = self.picking.move_line_ids.result_package_id
        self.assertEqual((package.name, package.shipping_weight), (SSCC, 4.5))
        self.assertEqual(self.picking.lb_automation_state, 'packed')

        self.apply('shipment.labelled', {'picking': self.ref, 'carrier': 'DHL', 'tracking_number': 'JD0001'})
        self.assertEqual((self.picking.carrier_tracking_ref, self.picking.lb_carrier), ('JD0001', 'DHL'))
        self.assertEqual(self.picking.lb_automation_state, 'packed')

        self.assertEqual(self.apply('parcel.sorted', {'sscc': SSCC, 'chute': 'C12', 'lane': 'L2'})['status'], 'applied')
        self.assertEqual((self.picking.lb_automation_state, self.picking.lb_sort_destination), ('sorted', 'C12 / L2'))

    def test_label_moves_the_picking_forward_never_back(self):
        self.assertEqual(self.picking.lb_automation_state, 'released')
        self.apply('shipment.labelled', {'picking': self.ref, 'carrier': 'DHL', 'tracking_number': 'JD0002'})
        self.assertEqual(self.picking.lb_automation_state, 'packed')
        self.apply('parcel.sorted', {'picking': self.ref, 'sscc': SSCC, 'chute': 'C1'}, event_time='2026-01-02T03:05:00Z')
        self.assertEqual(self.picking.lb_automation_state, 'sorted')
        self.apply('shipment.labelled', {'picking': self.ref, 'carrier': 'UPS', 'tracking_number': '1Z999'},
                   key='relabel', event_time='2026-01-02T03:06:00Z')
        self.assertEqual((self.picking.lb_automation_state, self.picking.carrier_tracking_ref), ('sorted', '1Z999'))

    def test_a_rejected_update_sent_again_after_a_fix_is_applied_once(self):
        payload = {'picking': self.ref, 'lines': [{'product': {'barcode': '5901234123457'}, 'quantity': 2}]}
        first = self.apply('pick.confirmed', payload, key='replay-1')
        self.assertEqual(first['status'], 'rejected')
        self.assertEqual(self.apply('pick.confirmed', payload, key='replay-1')['status'], 'rejected',
                         'still unknown: still rejected, on the same row')
        self.assertEqual(self.Update.search_count([('idempotency_key', 'like', 'replay-1%')]), 1)
        self.product.barcode = '5901234123457'
        again = self.apply('pick.confirmed', payload, key='replay-1')
        self.assertEqual(again['status'], 'applied')
        self.assertEqual(self.move(self.product).quantity, 2)
        history = self.Update.browse(first['update_id'])
        self.assertEqual((history.state, history.idempotency_key), ('rejected', f'replay-1#rejected-{history.id}'))
        self.assertTrue(history.resolved_at)
        self.assertEqual(self.apply('pick.confirmed', payload, key='replay-1')['status'], 'duplicate')

    def test_dispatch_partial_with_backorder(self):
        result = self.apply('shipment.dispatched', {'picking': self.ref, 'lines': [
            {'product': {'id': self.product.id}, 'quantity': 2}, {'product': {'id': self.product2.id}, 'quantity': 3}]})
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(self.picking.state, 'done')
        self.assertEqual(self.picking.lb_automation_state, 'shipped')
        backorder = self.order.picking_ids - self.picking
        self.assertEqual(backorder.move_ids.product_uom_qty, 3)
        self.assertNotEqual(backorder.state, 'done')
        self.assertTrue(self.events('stock.picking.done', aggregate_id=self.picking.id))
        # The backorder of the split line is released: its own ready event (work for the devices) and state.
        self.assertEqual(len(self.events('stock.picking.ready', aggregate_id=backorder.id)), 1)
        self.assertEqual(backorder.lb_automation_state, 'released')

    def test_dispatch_partial_cancelling_backorder_and_invoice_on_dispatch(self):
        self.env['ir.config_parameter'].set_param('logistics_bridge.invoice_on_dispatch', 'True')
        self.product2.invoice_policy = 'delivery'
        result = self.apply('shipment.dispatched', {'picking': self.ref, 'backorder': 'cancel', 'lines': [
            {'product': {'id': self.product.id}, 'quantity': 4}, {'product': {'id': self.product2.id}, 'quantity': 3}]})
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(self.order.picking_ids, self.picking)
        invoice = self.order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.invoice_line_ids.filtered(lambda l: l.product_id == self.product).quantity, 4)

    def test_no_invoice_by_default(self):
        self.apply('shipment.dispatched', {'picking': self.ref})
        self.assertEqual(self.picking.state, 'done')
        self.assertFalse(self.order.invoice_ids)

    def test_receipt_counted(self):
        order = self.env['purchase.order'].create({
            'partner_id': self.vendor.id,
            'order_line': [Command.create({'product_id': self.product.id, 'product_qty': 10})],
        })
        order.button_confirm()
        receipt = order.picking_ids
        self.assertEqual(self.apply('receipt.counted', {'picking': {'id': self.picking.id}, 'lines': [
            {'product': {'id': self.product.id}, 'quantity': 1}]})['status'], 'rejected')
        result = self.apply('receipt.counted', {'picking': {'id': receipt.id}, 'lines': [
            {'product': {'id': self.product.id}, 'quantity': 8}]})
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(receipt.move_ids.quantity, 8)
        self.assertEqual(receipt.lb_automation_state, 'in_progress')

    def test_task_failed_raises_an_exception_activity(self):
        result = self.apply('task.failed', {'picking': self.ref, 'reason': 'bin empty', 'code': 'E42'})
        self.assertEqual(result['status'], 'applied')
        self.assertEqual(self.picking.lb_automation_state, 'exception')
        self.assertEqual(self.order.lb_automation_state, 'exception')
        activity = self.picking.activity_ids
        self.assertEqual(activity.activity_type_id, self.env.ref('logistics_bridge.mail_activity_type_exception'))
        self.assertIn('bin empty', activity.note)

    def test_inventory_counted(self):
        result = self.apply('inventory.counted', {'product': {'default_code': 'WID-1'},
                                                  'location': {'id': self.stock_location.id}, 'quantity': 42})
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(self.env['stock.quant']._get_available_quantity(self.product, self.stock_location,
                                                                        allow_negative=True) +
                         self.move(self.product).quantity, 42)
        self.assertTrue(self.events('stock.inventory.adjusted', aggregate_id=self.product.id))

    def test_same_key_twice_has_one_effect(self):
        update = {'picking': self.ref, 'lines': [{'product': {'id': self.product.id}, 'quantity': 1}]}
        first = self.apply('pick.confirmed', update, key='k-1')
        self.apply('pick.confirmed', {'picking': self.ref, 'lines': [{'product': {'id': self.product.id}, 'quantity': 4}]},
                   key='k-1')
        again = self.apply('pick.confirmed', update, key='k-1')
        self.assertEqual(again, {'idempotency_key': 'k-1', 'status': 'duplicate', 'update_id': first['update_id']})
        self.assertEqual(self.move(self.product).quantity, 1)
        self.assertEqual(self.Update.search_count([('idempotency_key', '=', 'k-1')]), 1)

    def test_rejected_update_does_not_fail_its_batch(self):
        # The label is older than the refused pick: it does not prove the pick overcome (the exception stays).
        good = {'idempotency_key': 'g', 'type': 'shipment.labelled', 'adapter_id': 'a', 'device_id': 'd',
                'event_time': '2025-12-31T00:00:00Z',
                'payload': {'picking': self.ref, 'carrier': 'UPS', 'tracking_number': '1Z'}}
        bad = dict(good, idempotency_key='b', event_time='2026-01-01T00:00:00Z', payload={'picking': self.ref, 'lines': [
            {'product': {'barcode': 'nope'}, 'quantity': 1}]}, type='pick.confirmed')
        unknown = dict(good, idempotency_key='u', type='teleport.done', payload={})
        results = self.Update.with_user(self.service_user).apply_batch([bad, good, unknown])
        self.assertEqual([r['status'] for r in results], ['rejected', 'applied', 'rejected'])
        self.assertIn('product not found', results[0]['reason'])
        self.assertEqual(self.picking.carrier_tracking_ref, '1Z')
        rejected = self.Update.browse(results[0]['update_id'])
        self.assertEqual((rejected.state, rejected.picking_id), ('rejected', self.picking))
        self.assertEqual(self.picking.lb_automation_state, 'exception')
        self.assertIn('product not found', self.picking.activity_ids.note)
        self.assertIn('unknown update type', self.Update.browse(results[2]['update_id']).activity_ids.note)
        rejected.action_mark_resolved()
        self.assertEqual(rejected.resolved_by_id, self.env.user)

    def test_serialization_failure_answers_retry_and_stores_nothing(self):
        with patch.object(type(self.Update), '_apply_shipment_labelled', side_effect=pg_errors.SerializationFailure()):
            result = self.apply('shipment.labelled', {'picking': self.ref, 'carrier': 'DHL', 'tracking_number': 'T'},
                                key='s-1')
        self.assertEqual(result['status'], 'retry')
        self.assertFalse(self.Update.search([('idempotency_key', '=', 's-1')]))
        self.assertEqual(self.apply('shipment.labelled', {'picking': self.ref, 'carrier': 'DHL', 'tracking_number': 'T'},
                                    key='s-1')['status'], 'applied')


@tagged('post_install', '-at_install')
class TestProductWorkRef(LogisticsBridgeCase):
    """A device answers with what its work gave it: the product is found by that reference, then by barcode."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.picking = cls.confirmed_sale(cls, qty=5).picking_ids
        cls.old_barcode = cls.product.barcode

    def confirm(self, product_ref, key):
        return self.apply('pick.confirmed', {'picking': {'id': self.picking.id}, 'lines': [
            {'product': product_ref, 'quantity': 2}]}, key=key)

    def test_the_work_reference_survives_a_barcode_change(self):
        self.product.barcode = '5901234123457'
        stale = self.confirm({'barcode': self.old_barcode}, 'stale')
        self.assertEqual(stale['status'], 'rejected', 'the old barcode alone is unknown now')
        for key, work_ref in (('typed', f'product.product:{self.product.id}'), ('bare', str(self.product.id))):
            result = self.confirm({'barcode': self.old_barcode, 'work_ref': work_ref}, key)
            self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(self.picking.move_ids.quantity, 2)
        self.assertEqual(self.confirm({'work_ref': f'product.product:{self.product.id}'}, 'alone')['status'], 'applied')

    def test_the_work_reference_wins_over_the_barcode(self):
        self.product2.barcode = self.old_barcode + '0'
        result = self.confirm({'barcode': self.product2.barcode, 'work_ref': f'product.product:{self.product.id}'}, 'wins')
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(self.picking.move_ids.quantity, 2)

    def test_a_deleted_product_falls_back_to_the_barcode(self):
        gone = self.env['product.product'].create({'name': 'Gone', 'type': 'consu'})
        gone_id = gone.id
        gone.unlink()
        result = self.confirm({'barcode': self.old_barcode, 'work_ref': f'product.product:{gone_id}'}, 'fallback')
        self.assertEqual(result['status'], 'applied', result)
        result = self.confirm({'work_ref': f'product.product:{gone_id}'}, 'nothing')
        self.assertEqual(result['status'], 'rejected')
        self.assertIn('product not found', result['reason'])

    def test_a_malformed_work_reference_is_a_clear_rejection(self):
        result = self.confirm({'barcode': self.old_barcode, 'work_ref': 'stock.picking:3'}, 'malformed')
        self.assertEqual(result['status'], 'rejected')
        self.assertIn('work_ref must be "product.product:<id>"', result['reason'])
