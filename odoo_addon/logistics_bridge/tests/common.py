import json

from odoo import Command
from odoo.tests import TransactionCase, new_test_user


def claimed(answer):
    """The event list of a relay_claim answer (PostgreSQL builds it as one JSON text)."""
    return json.loads(answer['events'])


class LogisticsBridgeCase(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Event = cls.env['logistics.bridge.event']
        cls.Update = cls.env['logistics.bridge.update']
        cls.warehouse = cls.env['stock.warehouse'].search([('company_id', '=', cls.env.company.id)], limit=1)
        cls.stock_location = cls.warehouse.lot_stock_id
        cls.customer = cls.env['res.partner'].create({
            'name': 'Customer', 'ref': 'C001', 'city': 'Lyon', 'street': '1 secret street',
            'email': 'private@example.com', 'country_id': cls.env.ref('base.fr').id,
        })
        cls.vendor = cls.env['res.partner'].create({'name': 'Vendor'})
        cls.product = cls.env['product.product'].create({
            'name': 'Widget', 'type': 'consu', 'is_storable': True, 'default_code': 'WID-1',
            'barcode': '4006381333931', 'invoice_policy': 'delivery',
        })
        cls.product2 = cls.env['product.product'].create({
            'name': 'Gadget', 'type': 'consu', 'is_storable': True, 'default_code': 'GAD-1',
        })
        for product in cls.product | cls.product2:
            cls.env['stock.quant']._update_available_quantity(product, cls.stock_location, 100)
        cls.service_user = new_test_user(
            cls.env, login='lb_service', groups='logistics_bridge.logistics_bridge_group_service')
        cls.stock_user = new_test_user(cls.env, login='lb_stock_user', groups='stock.group_stock_user')

    def confirmed_sale(self, qty=5, qty2=0):
        lines = [Command.create({'product_id': self.product.id, 'product_uom_qty': qty})]
        if qty2:
            lines.append(Command.create({'product_id': self.product2.id, 'product_uom_qty': qty2}))
        order = self.env['sale.order'].create({'partner_id': self.customer.id, 'order_line': lines})
        order.action_confirm()
        return order

    def events(self, event_type=None, **filters):
        domain = [('event_type', '=', event_type)] if event_type else []
        domain += [(name, '=', value) for name, value in filters.items()]
        return self.Event.search(domain, order='id')

    def apply(self, update_type, payload, key=None, **envelope):
        update = {
            'idempotency_key': key or f'{update_type}:{json.dumps(payload, sort_keys=True)}',
            'type': update_type, 'adapter_id': 'adapter-1', 'device_id': 'dev-1', 'correlation_id': None,
            'event_time': '2026-01-02T03:04:05Z', 'payload': payload,
        }
        update.update(envelope)
        return self.Update.with_user(self.service_user).apply_batch([update])[0]
