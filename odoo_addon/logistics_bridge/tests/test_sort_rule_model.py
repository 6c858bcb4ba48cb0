"""Sort rules in Odoo: the admin's rules decide shipment.sort_destination of a released outbound picking."""
import json

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import LogisticsBridgeCase


@tagged('post_install', '-at_install')
class TestSortRuleModel(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env['logistics.bridge.sort.rule']
        cls.Rule.search([]).action_archive()
        cls.route = cls.warehouse.delivery_route_id

    def sort_destination(self, picking):
        ready = self.events('stock.picking.ready', aggregate_id=picking.id)
        self.assertEqual(len(ready), 1)
        return json.loads(ready.payload)['shipment']['sort_destination']

    def test_most_specific_rule_decides_the_destination(self):
        self.Rule.create({'chute': 'C99'})
        fr = self.Rule.create({'chute': 'C20', 'lane': 'L2', 'country_id': self.env.ref('base.fr').id})
        self.Rule.create({'chute': 'C30', 'country_id': self.env.ref('base.de').id})
        picking = self.confirmed_sale().picking_ids
        self.assertEqual(self.sort_destination(picking), {'chute': 'C20', 'lane': 'L2', 'rule': fr.id})

    def test_route_and_priority(self):
        self.Rule.create({'chute': 'C1', 'route_id': self.route.id})
        urgent = self.Rule.create({'chute': 'C2', 'route_id': self.route.id, 'priority': '1'})
        order = self.confirmed_sale()
        self.assertEqual(self.sort_destination(order.picking_ids)['chute'], 'C1')
        urgent_order = self.env['sale.order'].create({
            'partner_id': self.customer.id,
            'order_line': [Command.create({'product_id': self.product.id, 'product_uom_qty': 1})]})
        urgent_order.action_confirm()
        picking = urgent_order.picking_ids
        picking.do_unreserve()
        picking.priority = '1'
        picking.action_assign()
        ready = self.events('stock.picking.ready', aggregate_id=picking.id)
        self.assertEqual(json.loads(ready[-1].payload)['shipment']['sort_destination'],
                         {'chute': 'C2', 'lane': None, 'rule': urgent.id})

    def test_no_rule_is_null_and_archived_rules_do_not_count(self):
        self.Rule.create({'chute': 'C9', 'active': False})
        self.assertIsNone(self.sort_destination(self.confirmed_sale().picking_ids))

    def test_carrier_compared_without_case(self):
        self.Rule.create({'chute': 'C99'})
        self.Rule.create({'chute': 'C7', 'carrier': 'dhl'})
        picking = self.confirmed_sale().picking_ids
        self.assertEqual(picking._lb_sort_destination().chute, 'C99')
        picking.lb_carrier = 'DHL '
        self.assertEqual(picking._lb_sort_destination().chute, 'C7')

    def test_other_companies_rules_do_not_apply(self):
        other = self.env['res.company'].create({'name': 'Other Co'})
        self.Rule.create({'chute': 'OTHER', 'company_id': other.id})
        shared = self.Rule.create({'chute': 'SHARED', 'company_id': False})
        self.assertEqual(self.sort_destination(self.confirmed_sale().picking_ids)['rule'], shared.id)

    def test_receipts_have_no_sort_destination(self):
        self.Rule.create({'chute': 'C99'})
        order = self.env['purchase.order'].create({
            'partner_id': self.vendor.id,
            'order_line': [Command.create({'product_id': self.product.id, 'product_qty': 1})]})
        order.button_confirm()
        ready = self.events('stock.picking.ready', aggregate_id=order.picking_ids.id)
        self.assertIn('sort_destination', json.loads(ready.payload)['shipment'])
        self.assertIsNone(json.loads(ready.payload)['shipment']['sort_destination'])

    def test_a_rule_is_named_by_what_it_matches_and_where_it_sends(self):
        rule = self.Rule.create({'chute': 'C40', 'lane': 'EXPRESS', 'carrier': 'UPS', 'priority': '1',
                                 'country_id': self.env.ref('base.de').id})
        self.assertEqual(rule.display_name, 'UPS · DE · Urgent → C40 / EXPRESS')
        self.assertEqual(self.Rule.create({'chute': 'C99'}).display_name, 'Any picking → C99')

    def test_managers_edit_users_read(self):
        rule = self.Rule.create({'chute': 'C1'})
        manager = new_test_user(self.env, login='lb_sort_manager', groups='logistics_bridge.logistics_bridge_group_manager')
        self.assertEqual(rule.with_user(self.stock_user).chute, 'C1')
        with self.assertRaises(AccessError):
            rule.with_user(self.stock_user).write({'chute': 'C2'})
        with self.assertRaises(AccessError):
            self.Rule.with_user(self.stock_user).create({'chute': 'C3'})
        rule.with_user(manager).write({'chute': 'C2'})
        self.Rule.with_user(manager).create({'chute': 'C3'}).unlink()
        self.assertEqual(rule.chute, 'C2')
