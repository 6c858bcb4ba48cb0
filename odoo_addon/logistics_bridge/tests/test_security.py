from odoo.exceptions import AccessError
from odoo.tests import tagged

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
        self.assertNotEqual(service['res.config.settings'].default_get(fields).get('logistics_bridge_max_attempts'), 3)
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
