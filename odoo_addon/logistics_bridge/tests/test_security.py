from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .. import compat
from .common import LogisticsBridgeCase, claimed


@tagged('post_install', '-at_install')
class TestSecurity(LogisticsBridgeCase):

    def test_service_user_uses_the_apis_only(self):
        order = self.confirmed_sale()
        service = self.env(user=self.service_user)
        self.assertTrue(claimed(service['logistics.bridge.event'].relay_claim('w1')))
        self.assertEqual(service['logistics.bridge.update'].apply_batch([])[:1], [])
        self.assertFalse(self.service_user._is_admin())
        with self.assertRaises(AccessError):
            order.with_user(self.service_user).write({'client_order_ref': 'hacked'})
        with self.assertRaises(AccessError):
            service['res.config.settings'].check_access('read')
        self.env['ir.config_parameter'].set_param('logistics_bridge.max_attempts', '3')
        fields = ['logistics_bridge_max_attempts']
        self.assertEqual(self.env['res.config.settings'].default_get(fields)['logistics_bridge_max_attempts'], 3)
        try:  # refused outright (no Internal User), or at least without the value
            self.assertNotEqual(service['res.config.settings'].default_get(fields).get('logistics_bridge_max_attempts'), 3)
        except AccessError:
            pass
        with self.assertRaises(AccessError):
            service['ir.config_parameter'].get_param('logistics_bridge.max_attempts')
        with self.assertRaises(AccessError):
            service['logistics.bridge.event'].search([], limit=1).write({'state': 'published'})

    def test_stock_user_reads_but_cannot_relay(self):
        self.confirmed_sale()
        stock = self.env(user=self.stock_user)
        self.assertTrue(stock['logistics.bridge.event'].search([]))
        self.assertTrue(stock['logistics.bridge.timeline'].search([]))
        with self.assertRaises(AccessError):
            stock['logistics.bridge.event'].relay_claim('w1')
        with self.assertRaises(AccessError):
            stock['logistics.bridge.update'].apply_batch([])

    def test_service_user_is_no_internal_user_and_reads_nothing_outside_the_bridge(self):
        service = self.env(user=self.service_user)
        self.assertFalse(self.service_user._is_internal())
        for model in ('res.partner', 'product.product', 'sale.order', 'stock.picking'):
            with self.assertRaises(AccessError, msg=model):
                service[model].search_read([], ['display_name'], limit=1)

    def test_upgrade_takes_internal_user_from_service_only_accounts(self):
        """What versions before 1.2 left behind: the service group implied Internal User."""
        employee = self.env.ref('base.group_user')
        service_group = self.env.ref('logistics_bridge.logistics_bridge_group_service')
        person = new_test_user(self.env, login='lb_person', groups='stock.group_stock_user')
        for user in self.service_user | person:
            user.write({compat.USER_GROUPS: [Command.link(employee.id), Command.link(service_group.id)]})
        self.assertTrue(self.service_user._is_internal())
        self.env['logistics.bridge.service']._place_groups()
        self.assertFalse(self.service_user._is_internal())
        self.assertIn(service_group, self.service_user[compat.USER_GROUPS])
        self.assertTrue(person._is_internal(), 'a warehouse user who also has the service group keeps Internal User')
        self.assertFalse(service_group[compat.GROUP_IMPLIED] & employee)

    def test_caller_rights_answers_about_the_caller_only(self):
        asked = ['logistics_bridge.logistics_bridge_group_service', 'base.group_system']
        answer = self.env(user=self.service_user)['logistics.bridge.service'].caller_rights(asked)
        self.assertEqual(answer, {'login': 'lb_service', 'internal': False,
                                  'groups': {asked[0]: True, 'base.group_system': False}})
        self.assertTrue(self.env['logistics.bridge.service'].caller_rights(asked)['groups']['base.group_system'])
