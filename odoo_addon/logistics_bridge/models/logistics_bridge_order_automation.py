from odoo import api, fields, models

from .stock_picking import AUTOMATION_STATES, summarize_automation


class LogisticsBridgeOrderAutomation(models.AbstractModel):
    """The automation state of an order's pickings, summarised for sale and purchase orders."""

    _name = 'logistics.bridge.order.automation'
    _description = 'Logistics Bridge: automation summary of an order'

    lb_automation_state = fields.Selection(AUTOMATION_STATES, string='Automation',
                                           compute='_compute_lb_automation_state')

    @api.depends('picking_ids.lb_automation_state', 'picking_ids.state')
    def _compute_lb_automation_state(self):
        for order in self:
            order.lb_automation_state = summarize_automation(
                order.picking_ids.filtered(lambda p: p.state != 'cancel').mapped('lb_automation_state'))
