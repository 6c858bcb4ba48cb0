from odoo import Command
from odoo.tests import HttpCase, TransactionCase, tagged

from .. import compat


@tagged('post_install', '-at_install')
class TestViews(TransactionCase):

    def test_views_load(self):
        views = self.env['ir.ui.view'].search([('model_data_id.module', '=', 'logistics_bridge')]) | \
            self.env['ir.ui.view'].browse([self.env['ir.model.data']._xmlid_to_res_id(x) for x in (
                'logistics_bridge.stock_picking_view_form', 'logistics_bridge.stock_picking_view_kanban')])
        self.assertGreater(len(views), 10)
        for view in views:
            self.env[view.model].get_views([(view.inherit_id.id or view.id, view.type)])

    def test_dashboard_counts_dead_letters(self):
        Event = self.env['logistics.bridge.event']
        event_id = Event._emit('test.dead', self.env.company.partner_id, {})
        Event.relay_claim('w1', limit=10000)
        Event.relay_nack('w1', [{'id': event_id, 'error': 'bad', 'permanent': True}])
        action = self.env['logistics.bridge.dashboard'].action_open_dashboard()
        dashboard = self.env['logistics.bridge.dashboard'].browse(action['res_id'])
        self.assertEqual(dashboard.dead_count, 1)
        self.assertEqual(dashboard.display_name, 'Dashboard')
        # The tile opens the Dead letters menu of both directions; the outbox event is its one entry here.
        action = dashboard.action_open_dead()
        dead = self.env[action['res_model']].search(action['domain'])
        self.assertEqual(dead.mapped('direction'), ['outbound'])
        self.assertEqual(dead.mapped('name'), ['test.dead'])


@tagged('post_install', '-at_install')
class TestPickingTour(HttpCase):

    def test_picking_shows_automation_state(self):
        product = self.env['product.product'].create({'name': 'Tour Widget', 'is_storable': True})
        picking_type = self.env.ref('stock.picking_type_out')
        picking = self.env['stock.picking'].create({
            'picking_type_id': picking_type.id,
            'move_ids': [Command.create({**compat.MOVE_DESCRIPTION, 'product_id': product.id, 'product_uom_qty': 1,
                                         'location_id': picking_type.default_location_src_id.id,
                                         'location_dest_id': self.env.ref('stock.stock_location_customers').id})],
        })
        picking.action_confirm()
        self.env['logistics.bridge.update'].apply_batch([{
            'idempotency_key': 'tour-1', 'type': 'task.failed', 'adapter_id': 'fleet-1', 'device_id': 'robot-9',
            'event_time': '2026-01-02T03:04:05Z', 'payload': {'picking': {'id': picking.id}, 'reason': 'Bin empty at A-01-02'},
        }])
        self.start_tour(f'/odoo/action-stock.action_picking_tree_all/{picking.id}',
                        'logistics_bridge_picking_automation', login='admin')
