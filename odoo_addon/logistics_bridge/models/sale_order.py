from odoo import api, fields, models

from .. import compat
from ..lib import canonical
from .logistics_bridge_event import PRIORITY_HIGH
from .stock_picking import DELIVERY_STATES, partner_data, product_data, summarize_delivery


class SaleOrder(models.Model):
    _name = 'sale.order'
    _inherit = ['sale.order', 'logistics.bridge.order.automation']

    lb_delivery_state = fields.Selection(
        DELIVERY_STATES, string='Carrier delivery', compute='_compute_lb_delivery_state', store=True,
        help='What the carriers report for the parcels shipped so far: a problem (failed attempt, exception, '
             'return) wins, else the least advanced parcel. Pickings not shipped yet do not count: see Automation.')

    @api.depends('picking_ids.lb_delivery_state', 'picking_ids.state')
    def _compute_lb_delivery_state(self):
        for order in self:
            order.lb_delivery_state = summarize_delivery(order.picking_ids.filtered(
                lambda p: p.picking_type_code == 'outgoing' and p.state != 'cancel').mapped('lb_delivery_state'))

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
