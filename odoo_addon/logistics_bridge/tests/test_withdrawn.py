"""stock.picking.withdrawn: released work that becomes void is withdrawn once, with the ready events it voids."""
import json
from unittest.mock import patch

from odoo import Command
from odoo.tests import Form, tagged

from .common import LogisticsBridgeCase


@tagged('post_install', '-at_install')
class TestWithdrawn(LogisticsBridgeCase):

    def ready(self, picking):
        return self.events('stock.picking.ready', aggregate_id=picking.id)

    def withdrawn(self, picking):
        return self.events('stock.picking.withdrawn', aggregate_id=picking.id)

    def payload(self, event):
        return json.loads(event.payload)

    def released_delivery(self, qty=2):
        picking = self.confirmed_sale(qty=qty).picking_ids
        self.assertEqual(picking.state, 'assigned')
        self.assertEqual(len(self.ready(picking)), 1)
        return picking

    def assert_withdrawn(self, picking, reason, voids):
        withdrawn = self.withdrawn(picking)
        self.assertEqual(len(withdrawn), 1, f'one stock.picking.withdrawn for {picking.name}')
        body = self.payload(withdrawn)
        self.assertEqual(body['reason'], reason)
        self.assertEqual(body['voids'], voids.mapped('uuid'))
        return withdrawn

    def test_cancelled(self):
        picking = self.released_delivery()
        ready = self.ready(picking)
        picking.action_cancel()
        withdrawn = self.assert_withdrawn(picking, 'cancelled', ready)
        cancelled = self.events('stock.picking.cancelled', aggregate_id=picking.id)
        self.assertLess(ready.id, cancelled.id)
        self.assertLess(cancelled.id, withdrawn.id, 'the fact (cancelled) first, then its consequence')

    def test_payload_is_the_contract(self):
        picking = self.released_delivery()
        ready = self.ready(picking)
        picking.action_cancel()
        withdrawn = self.withdrawn(picking)
        self.assertEqual(withdrawn.aggregate_key, f'stock.picking:{picking.id}')
        self.assertEqual(withdrawn.aggregate_key, ready.aggregate_key)
        self.assertEqual(withdrawn.schema_version, 1)
        self.assertEqual(withdrawn.priority, ready.priority)
        self.assertEqual(withdrawn.correlation_id, picking.sale_id.name)
        self.assertEqual(self.payload(withdrawn), {
            'shipment': {'id': picking.id, 'name': picking.name, 'direction': 'outbound',
                         'warehouse': self.warehouse.code},
            'reason': 'cancelled', 'voids': [ready.uuid],
        })

    def test_cancelled_through_the_sale_order(self):
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(picking.state, 'cancel')
        self.assert_withdrawn(picking, 'cancelled', self.ready(picking))

    def test_validated_by_hand(self):
        picking = self.released_delivery()
        picking.move_ids.write({'quantity': 2, 'picked': True})
        picking.button_validate()
        self.assertEqual(picking.state, 'done')
        withdrawn = self.assert_withdrawn(picking, 'done', self.ready(picking))
        self.assertLess(self.events('stock.picking.done', aggregate_id=picking.id).id, withdrawn.id)

    def test_partial_validation_by_hand_withdraws_the_original_and_releases_the_backorder(self):
        picking = self.released_delivery(qty=5)
        picking.move_ids.write({'quantity': 2, 'picked': True})
        Form.from_action(self.env, picking.button_validate()).save().process()
        backorder = picking.backorder_ids
        self.assert_withdrawn(picking, 'done', self.ready(picking))
        self.assertEqual(len(self.ready(backorder)), 1)
        self.assertFalse(self.withdrawn(backorder), 'the backorder is new work, still valid')

    def test_dispatched_by_a_device_is_finished_not_withdrawn(self):
        picking = self.released_delivery()
        result = self.apply('shipment.dispatched', {'picking': {'id': picking.id}})
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(picking.state, 'done')
        self.assertFalse(self.withdrawn(picking))

    def test_unreserved(self):
        picking = self.released_delivery()
        ready = self.ready(picking)
        picking.do_unreserve()
        self.assertEqual(picking.state, 'confirmed')
        self.assert_withdrawn(picking, 'unreserved', ready)
        self.assertFalse(picking.lb_automation_state, 'no longer released')

    def test_reserved_again_is_new_work_withdrawn_on_its_own(self):
        picking = self.released_delivery()
        first = self.ready(picking)
        picking.do_unreserve()
        picking.action_assign()
        self.assertEqual(picking.state, 'assigned')
        ready = self.ready(picking)
        self.assertEqual(len(ready), 2, 'a new ready event: a new work item')
        self.assertEqual(picking.lb_automation_state, 'released')
        picking.action_cancel()
        withdrawn = self.withdrawn(picking)
        self.assertEqual(len(withdrawn), 2)
        self.assertEqual([self.payload(w)['voids'] for w in withdrawn], [[first.uuid], [(ready - first).uuid]])
        self.assertEqual([self.payload(w)['reason'] for w in withdrawn], ['unreserved', 'cancelled'])

    def test_unreserve_of_a_receipt_keeps_it_workable(self):
        """A receipt from a supplier needs no reservation: unreserving leaves it assigned, its work valid."""
        order = self.env['purchase.order'].create({
            'partner_id': self.vendor.id,
            'order_line': [Command.create({'product_id': self.product.id, 'product_qty': 3})],
        })
        order.button_confirm()
        receipt = order.picking_ids
        self.assertEqual(len(self.ready(receipt)), 1)
        receipt.do_unreserve()
        self.env.cr.flush()
        self.assertEqual(receipt.state, 'assigned')
        self.assertFalse(self.withdrawn(receipt))

    def test_back_to_draft(self):
        picking = self.released_delivery()
        ready = self.ready(picking)
        picking.move_ids._do_unreserve()
        picking.move_ids.write({'state': 'draft'})
        self.assertEqual(picking.state, 'draft')
        self.env.cr.flush()  # what a commit runs first (the precommit hooks)
        self.assert_withdrawn(picking, 'draft', ready)

    def test_never_released_is_never_withdrawn(self):
        self.env['ir.config_parameter'].sudo().set_param('logistics_bridge.disabled_event_types', 'stock.picking.ready')
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        self.assertFalse(self.ready(picking))
        self.env['ir.config_parameter'].sudo().set_param('logistics_bridge.disabled_event_types', '')
        picking.action_cancel()
        self.env.cr.flush()
        self.assertFalse(self.withdrawn(picking))

    def test_waiting_picking_never_released_is_not_withdrawn(self):
        self.env['stock.quant']._update_available_quantity(self.product2, self.stock_location, -100)
        order = self.env['sale.order'].create({'partner_id': self.customer.id, 'order_line': [
            Command.create({'product_id': self.product2.id, 'product_uom_qty': 1})]})
        order.action_confirm()
        picking = order.picking_ids
        self.assertEqual(picking.state, 'confirmed')
        picking.action_cancel()
        self.env.cr.flush()
        self.assertFalse(self.ready(picking) | self.withdrawn(picking))

    def test_never_twice_for_the_same_ready(self):
        picking = self.released_delivery()
        picking.do_unreserve()
        picking.action_cancel()  # work already withdrawn when unreserved
        self.env.cr.flush()
        self.assertEqual(len(self.withdrawn(picking)), 1)
        self.assertEqual(self.payload(self.withdrawn(picking))['reason'], 'unreserved')

    def test_unreserved_and_reserved_again_in_one_go_keeps_nothing_open(self):
        """Unreserve then reserve in one call: the old work is withdrawn, the new released, before commit."""
        picking = self.released_delivery()
        picking.move_ids._do_unreserve()  # a path the addon does not wrap
        picking.move_ids._action_assign()
        self.env.cr.flush()
        self.assertEqual(picking.state, 'assigned')
        # The state was recomputed to confirmed then to assigned before anything looked: the work is still valid.
        self.assertFalse(self.withdrawn(picking))
        self.assertEqual(len(self.ready(picking)), 1)

    def test_a_failing_payload_does_not_break_the_cancel(self):
        picking = self.released_delivery()
        ready = self.ready(picking)
        with patch.object(type(picking), '_lb_payload', side_effect=KeyError('boom')), \
                patch('odoo.addons.logistics_bridge.lib.canonical.withdrawn_payload', side_effect=KeyError('boom')), \
                self.assertLogs('odoo.addons.logistics_bridge.models.stock_picking', 'ERROR'):
            picking.action_cancel()
        self.assertEqual(picking.state, 'cancel')
        withdrawn = self.withdrawn(picking)
        self.assertEqual(withdrawn.state, 'dead')
        self.assertIn('boom', withdrawn.last_error)
        body = self.payload(withdrawn)
        self.assertEqual((body['shipment']['id'], body['reason'], body['voids']), (picking.id, 'cancelled', [ready.uuid]))

    def test_merged_and_deleted_moves_still_work(self):
        """The quantity change of issue 8 (a move merged away and deleted) then a cancel: no crash, one withdrawal."""
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        order.order_line.product_uom_qty = 5
        order.with_context(disable_cancel_warning=True).action_cancel()
        self.assert_withdrawn(picking, 'cancelled', self.ready(picking))
