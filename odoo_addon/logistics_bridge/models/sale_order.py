from odoo import models

from .. import compat
from ..lib import canonical
from .logistics_bridge_event import PRIORITY_HIGH
from .stock_picking import partner_data, product_data


class SaleOrder(models.Model):
    _name = 'sale.order'
    _inherit = ['sale.order', 'logistics.bridge.order.automation']

    def _lb_emit(self, event_type):
        emit = self.env['logistics.bridge.event']._emit
        for order in self:
            data = {
                'id': order.id, 'name': order.name, 'kind': 'sale', 'state': order.state,
                'date': canonical.iso_utc(order.date_order), 'client_ref': order.client_order_ref,
                'partner': partner_data(order.partner_shipping_id), 'warehouse': order.warehouse_id.code,
                'company_id': order.company_id.id,
            }
            lines = [{'line_id': line.id, 'product': product_data(line.product_id),
                      'quantity': line.product_uom_qty, 'uom': line[compat.ORDER_LINE_UOM].name}
                     for line in order.order_line if line.product_id and not line.display_type]
            emit(event_type, order, canonical.order_payload(data, lines), PRIORITY_HIGH, order.name)

    def _action_confirm(self):
        # Before super: the pickings it creates emit their own events after the order's.
        self._lb_emit('sale.order.confirmed')
        return super()._action_confirm()

    def _action_cancel(self):
        res = super()._action_cancel()
        self._lb_emit('sale.order.cancelled')
        return res
