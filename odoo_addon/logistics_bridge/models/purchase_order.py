from odoo import models

from .. import compat
from ..lib import canonical
from .logistics_bridge_event import PRIORITY_HIGH
from .stock_picking import partner_data, product_data


class PurchaseOrder(models.Model):
    _name = 'purchase.order'
    _inherit = ['purchase.order', 'logistics.bridge.order.automation']

    def button_approve(self, force=False):
        """Emits the expected receipt (ASN-like lines) when the order really becomes a purchase order."""
        confirming = self.filtered(lambda o: o.state != 'purchase')
        res = super().button_approve(force=force)
        emit = self.env['logistics.bridge.event']._emit
        for order in confirming.filtered(lambda o: o.state == 'purchase'):
            data = {
                'id': order.id, 'name': order.name, 'kind': 'purchase', 'state': order.state,
                'date': canonical.iso_utc(order.date_approve), 'client_ref': order.partner_ref,
                'partner': partner_data(order.partner_id), 'warehouse': order.picking_type_id.warehouse_id.code,
                'company_id': order.company_id.id,
            }
            lines = [{'line_id': line.id, 'product': product_data(line.product_id), 'quantity': line.product_qty,
                      'uom': line[compat.ORDER_LINE_UOM].name, 'expected_date': canonical.iso_utc(line.date_planned)}
                     for line in order.order_line if line.product_id and not line.display_type]
            emit('purchase.order.confirmed', order, canonical.order_payload(data, lines), PRIORITY_HIGH, order.name)
        return res
