"""The picking hooks: every picking that becomes workable is released once, and the hooks never break the
stock flow they observe (moves merged away, users without sales rights, a failing payload)."""
import json
from unittest.mock import patch

from odoo import Command
from odoo.tests import Form, new_test_user, tagged

from .common import LogisticsBridgeCase


@tagged('post_install', '-at_install')
class TestPickingHooks(LogisticsBridgeCase):

    def ready(self, picking):
        return self.events('stock.picking.ready', aggregate_id=picking.id)

    def assert_released_once(self, pickings):
        for picking in pickings:
            self.assertEqual(len(self.ready(picking)), 1, f'{picking.name} ({picking.state}) needs one stock.picking.ready')
            self.assertEqual(picking.lb_automation_state, 'released', picking.name)

    def validate(self, picking, quantities, backorder=True):
        """Pick ``quantities`` ({product: qty}; the other moves stay unpicked) and validate like a user."""
        for move in picking.move_ids:
            move.write({'quantity': quantities.get(move.product_id, 0), 'picked': True})
        res = picking.button_validate()
        if res is not True:
            wizard = Form.from_action(self.env, res).save()
            wizard.process() if backorder else wizard.process_cancel_backorder()

    def purchase(self, qty, product=None):
        order = self.env['purchase.order'].create({
            'partner_id': self.vendor.id,
            'order_line': [Command.create({'product_id': (product or self.product).id, 'product_qty': qty})],
        })
        order.button_confirm()
        return order

    def return_of(self, picking, qty):
        wizard = Form(self.env['stock.return.picking'].with_context(
            active_ids=picking.ids, active_id=picking.id, active_model='stock.picking')).save()
        line = {'quantity': qty}
        if 'to_refund' in wizard.product_return_moves._fields:  # stock_account, as a user returning for a refund
            line['to_refund'] = True
        wizard.product_return_moves.write(line)
        return self.env['stock.picking'].browse(wizard.action_create_returns()['res_id'])

    # ------------------------------------------------------------------ crashes of issue 8
    def test_quantity_increase_on_a_confirmed_sale_order_line(self):
        """2 -> 5 on the line: the new move is merged into the existing one and deleted (MissingError before)."""
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        order.order_line.product_uom_qty = 5
        self.assertEqual(order.picking_ids, picking)
        self.assertEqual(picking.move_ids.product_uom_qty, 5)
        self.assert_released_once(picking)
        order.order_line.product_uom_qty = 1
        self.assertEqual(picking.move_ids.product_uom_qty, 1)
        self.assert_released_once(picking)

    def test_purchase_return_and_modify(self):
        """Receive 10, return 5, order 15, then 14: the decrease is a move merged away (MissingError before)."""
        # As Odoo's own test of this flow (purchase_stock TestPurchaseOrder.test_03_po_return_and_modify).
        self.env['stock.picking.type'].search([('code', '=', 'outgoing')]).write({'code': 'internal'})
        order = self.purchase(10)
        receipt = order.picking_ids
        self.assert_released_once(receipt)
        receipt.button_validate()
        returned = self.return_of(receipt, 5)
        returned.button_validate()
        order.order_line.product_qty = 15
        self.assertEqual(order.order_line.qty_received, 5)
        new_receipt = order.picking_ids - receipt - returned
        self.assertEqual(new_receipt.move_ids.product_qty, 10)
        order.order_line.product_qty = 14
        self.assertEqual(new_receipt.move_ids.product_qty, 9)
        self.assertEqual(order.picking_ids, receipt | returned | new_receipt)
        self.assert_released_once(returned | new_receipt)

    def test_validation_by_inventory_admin_without_rights_on_the_sale_order(self):
        """A stock manager who may not read the order validates its delivery (AccessError before)."""
        order = self.confirmed_sale(qty=3)
        order.user_id = self.env.ref('base.user_admin')
        picking = order.picking_ids
        admin = new_test_user(self.env, login='lb_inventory_admin',
                              groups='base.group_user,stock.group_stock_manager,sales_team.group_sale_salesman')
        self.assertNotEqual(order.user_id, admin)
        self.env.invalidate_all()  # the admin's request starts with nothing cached
        picking.with_user(admin).move_ids.write({'quantity': 1, 'picked': True})
        Form.from_action(self.env(user=admin), picking.with_user(admin).button_validate()).save().process_cancel_backorder()
        self.assertEqual(picking.state, 'done')
        done = self.events('stock.picking.done', aggregate_id=picking.id)
        self.assertEqual(len(done), 1)
        self.assertEqual(done.correlation_id, order.name)
        self.assertEqual(done.user_id, admin, 'the event records who acted')

    # ------------------------------------------------------------------ every path releases, once
    def test_backorder_of_a_split_line_is_released(self):
        order = self.confirmed_sale(qty=5)
        picking = order.picking_ids
        self.validate(picking, {self.product: 2})
        backorder = order.picking_ids - picking
        self.assertEqual((backorder.backorder_id, backorder.state), (picking, 'assigned'))
        self.assert_released_once(picking | backorder)
        payload = json.loads(self.ready(backorder).payload)
        self.assertEqual([(line['quantity'], line['quantity_allocated']) for line in payload['lines']], [(3, 3)])

    def test_backorder_of_untouched_lines_is_released(self):
        order = self.confirmed_sale(qty=5, qty2=3)
        picking = order.picking_ids
        self.validate(picking, {self.product: 5})
        backorder = order.picking_ids - picking
        self.assertEqual(backorder.move_ids.product_id, self.product2)
        self.assert_released_once(picking | backorder)

    def test_receipt_backorder_is_released(self):
        order = self.purchase(10)
        receipt = order.picking_ids
        self.validate(receipt, {self.product: 4})
        backorder = order.picking_ids - receipt
        self.assertEqual(backorder.state, 'assigned')
        self.assert_released_once(receipt | backorder)
        self.assertEqual(self.ready(backorder).correlation_id, order.name)

    def test_picking_waiting_for_stock_is_released_when_reserved(self):
        product = self.env['product.product'].create({'name': 'Scarce', 'type': 'consu', 'is_storable': True})
        order = self.env['sale.order'].create({'partner_id': self.customer.id, 'order_line': [
            Command.create({'product_id': product.id, 'product_uom_qty': 4})]})
        order.action_confirm()
        picking = order.picking_ids
        self.assertEqual(picking.state, 'confirmed')
        self.assertFalse(self.ready(picking))
        self.env['stock.quant']._update_available_quantity(product, self.stock_location, 10)
        picking.action_assign()
        self.assert_released_once(picking)
        # Unreserved: the work is withdrawn; reserved again: a new release (a new work item, test_withdrawn.py).
        picking.do_unreserve()
        picking.action_assign()
        self.assertEqual(len(self.ready(picking)), 2)
        self.assertEqual(len(self.events('stock.picking.withdrawn', aggregate_id=picking.id)), 1)
        self.assertEqual(picking.lb_automation_state, 'released')

    def test_return_is_released_before_it_is_announced(self):
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        picking.button_validate()
        returned = self.return_of(picking, 1)
        self.assert_released_once(returned)
        created = self.events('stock.return.created', aggregate_id=returned.id)
        self.assertGreater(created.id, self.ready(returned).id)

    def test_multi_step_delivery_releases_each_step_when_it_is_workable(self):
        self.warehouse.delivery_steps = 'pick_pack_ship'
        order = self.confirmed_sale(qty=3)

        def step(picking_type):
            order.invalidate_recordset(['picking_ids'])
            picking = order.picking_ids.filtered(lambda p: p.picking_type_id == picking_type)
            self.assertEqual(len(picking), 1, picking_type.name)
            return picking

        pick = step(self.warehouse.pick_type_id)
        self.assert_released_once(pick)
        waiting = self.env['stock.picking'].search([('origin', '=', order.name), ('id', '!=', pick.id)])
        self.assertFalse(self.Event.search([('event_type', '=', 'stock.picking.ready'),
                                            ('aggregate_model', '=', 'stock.picking'), ('aggregate_id', 'in', waiting.ids)]))
        self.validate(pick, {self.product: 3})
        pack = step(self.warehouse.pack_type_id)
        self.assert_released_once(pack)
        self.validate(pack, {self.product: 3})
        ship = step(self.warehouse.out_type_id)
        self.assert_released_once(ship)
        self.validate(ship, {self.product: 3})
        done = self.events('stock.picking.done', aggregate_id=ship.id)
        self.assertEqual(len(done), 1)
        self.assertGreater(done.id, self.ready(ship).id)

    def test_two_step_reception(self):
        self.warehouse.reception_steps = 'two_steps'
        order = self.purchase(6)
        receipt = order.picking_ids
        self.assert_released_once(receipt)
        self.validate(receipt, {self.product: 6})
        storage = self.env['stock.picking'].search([('move_ids.move_orig_ids', 'in', receipt.move_ids.ids)])
        self.assertEqual(storage.state, 'assigned')
        self.assert_released_once(storage)

    def test_any_other_path_is_released_before_commit(self):
        """A picking made ready by code the addon does not wrap is released when the transaction flushes."""
        customers = self.env.ref('stock.stock_location_customers')
        move = {'product_id': self.product.id, 'product_uom_qty': 1,
                'location_id': self.stock_location.id, 'location_dest_id': customers.id}
        if 'name' in self.env['stock.move']._fields:  # required on 18, gone on 19
            move['name'] = self.product.name
        picking = self.env['stock.picking'].create({
            'picking_type_id': self.warehouse.out_type_id.id, 'location_id': self.stock_location.id,
            'location_dest_id': customers.id, 'move_ids': [Command.create(move)],
        })
        picking.move_ids.write({'state': 'assigned'})
        self.assertEqual(picking.state, 'assigned')
        self.env.cr.flush()  # what a commit runs first (the precommit hooks)
        self.assert_released_once(picking)

    # ------------------------------------------------------------------ event building never breaks the flow
    def test_a_failing_payload_does_not_break_the_validation(self):
        order = self.confirmed_sale(qty=2)
        picking = order.picking_ids
        with patch.object(type(picking), '_lb_payload', side_effect=KeyError('boom')), \
                self.assertLogs('odoo.addons.logistics_bridge.models.stock_picking', 'ERROR'):
            picking.button_validate()
        self.assertEqual(picking.state, 'done')
        done = self.events('stock.picking.done', aggregate_id=picking.id)
        self.assertEqual(done.state, 'dead')
        self.assertIn('boom', done.last_error)
        self.assertEqual(json.loads(done.payload)['shipment']['name'], picking.name)

    def test_cancel_emits_once(self):
        order = self.confirmed_sale(qty=2, qty2=1)
        picking = order.picking_ids
        picking.move_ids.filtered(lambda m: m.product_id == self.product2)._action_cancel()
        self.assertFalse(self.events('stock.picking.cancelled', aggregate_id=picking.id))
        picking.action_cancel()
        self.assertEqual(len(self.events('stock.picking.cancelled', aggregate_id=picking.id)), 1)
