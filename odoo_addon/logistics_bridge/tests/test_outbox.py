import json

from odoo import Command
from odoo.tests import tagged

from .common import LogisticsBridgeCase


@tagged('post_install', '-at_install')
class TestOutbox(LogisticsBridgeCase):

    def test_sale_confirmation_emits_order_then_ready_picking(self):
        order = self.confirmed_sale(qty=5)
        confirmed = self.events('sale.order.confirmed')
        self.assertEqual(len(confirmed), 1)
        self.assertEqual(confirmed.aggregate_key, f'sale.order:{order.id}')
        self.assertEqual(confirmed.correlation_id, order.name)
        self.assertEqual(confirmed.priority, 10)
        self.assertEqual(confirmed.user_id, self.env.user)
        self.assertEqual(confirmed.state, 'pending')
        payload = json.loads(confirmed.payload)
        self.assertEqual(confirmed.payload, json.dumps(payload, sort_keys=True, separators=(',', ':'), ensure_ascii=False))
        self.assertEqual(payload['order']['name'], order.name)
        self.assertEqual(payload['order']['partner'], {'id': self.customer.id, 'ref': 'C001', 'city': 'Lyon', 'country_code': 'FR'})
        self.assertEqual(payload['lines'][0]['product']['default_code'], 'WID-1')
        self.assertEqual(payload['lines'][0]['uom'], 'Units')
        self.assertNotIn('private@example.com', confirmed.payload)

        ready = self.events('stock.picking.ready')
        self.assertEqual(len(ready), 1)
        self.assertGreater(ready.id, confirmed.id)
        self.assertEqual(ready.correlation_id, order.name)
        self.assertEqual(ready.aggregate_key, f'stock.picking:{order.picking_ids.id}')
        shipment = json.loads(ready.payload)['shipment']
        self.assertEqual(shipment['direction'], 'outbound')
        self.assertEqual(shipment['location']['name'], self.stock_location.complete_name)
        self.assertEqual(order.picking_ids.lb_automation_state, 'released')

    def test_rollback_removes_the_event(self):
        before = self.Event.search_count([])
        with self.assertRaises(RuntimeError), self.env.cr.savepoint():
            self.confirmed_sale()
            self.assertTrue(self.events('sale.order.confirmed'))
            raise RuntimeError('business failure after the event was written')
        self.assertEqual(self.Event.search_count([]), before)

    def test_done_and_cancel(self):
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        picking.button_validate()
        done = self.events('stock.picking.done')
        self.assertEqual(done.aggregate_id, picking.id)
        self.assertEqual(json.loads(done.payload)['shipment']['state'], 'done')

        order2 = self.confirmed_sale(qty=1)
        order2.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(self.events('stock.picking.cancelled').aggregate_id, order2.picking_ids.id)
        self.assertEqual(self.events('sale.order.cancelled').aggregate_id, order2.id)

    def test_purchase_confirmation_and_inbound_receipt(self):
        order = self.env['purchase.order'].create({
            'partner_id': self.vendor.id,
            'order_line': [Command.create({'product_id': self.product.id, 'product_qty': 7})],
        })
        order.button_confirm()
        event = self.events('purchase.order.confirmed')
        payload = json.loads(event.payload)
        self.assertEqual(payload['order']['kind'], 'purchase')
        self.assertEqual(payload['lines'][0]['quantity'], 7)
        self.assertTrue(payload['lines'][0]['expected_date'].endswith('Z'))
        ready = self.events('stock.picking.ready', aggregate_id=order.picking_ids.id)
        self.assertEqual(json.loads(ready.payload)['shipment']['direction'], 'inbound')
        self.assertEqual(ready.correlation_id, order.name)

    def test_return_created(self):
        order = self.confirmed_sale(qty=2)
        order.picking_ids.button_validate()
        wizard = self.env['stock.return.picking'].with_context(
            active_id=order.picking_ids.id, active_model='stock.picking').create({})
        wizard.product_return_moves.quantity = 1
        wizard.action_create_returns()
        event = self.events('stock.return.created')
        self.assertEqual(len(event), 1)
        self.assertEqual(event.correlation_id, order.name)
        self.assertEqual(json.loads(event.payload)['shipment']['return_of'], order.picking_ids[0].name)

    def test_inventory_adjusted(self):
        quant = self.env['stock.quant'].search([('product_id', '=', self.product.id),
                                                ('location_id', '=', self.stock_location.id)])
        quant.inventory_quantity = 90
        quant.action_apply_inventory()
        event = self.events('stock.inventory.adjusted')
        inventory = json.loads(event.payload)['inventory']
        self.assertEqual((inventory['counted_quantity'], inventory['difference']), (90, -10))

    def test_product_changed_is_coalesced(self):
        self.product.name = 'Widget v2'
        self.product.product_tmpl_id.default_code = 'WID-2'
        events = self.events('product.changed', aggregate_id=self.product.id)
        self.assertEqual(len(events), 1)
        self.assertEqual(events.priority, 90)
        product = json.loads(events.payload)['product']
        self.assertEqual((product['name'], product['default_code']), ('Widget v2', 'WID-2'))
        # Once claimed, a change is a new event (the claimed one may already be on the wire).
        self.Event.relay_claim('w1', limit=1000)
        self.product.barcode = '12345670'
        self.assertEqual(len(self.events('product.changed', aggregate_id=self.product.id)), 2)

    def test_settings_gate_emission(self):
        params = self.env['ir.config_parameter']
        params.set_param('logistics_bridge.disabled_event_types', 'sale.order.confirmed')
        self.confirmed_sale()
        self.assertFalse(self.events('sale.order.confirmed'))
        self.assertTrue(self.events('stock.picking.ready'))
        params.set_param('logistics_bridge.events_enabled', 'False')
        self.confirmed_sale()
        self.assertEqual(len(self.events('stock.picking.ready')), 1)
