from odoo import models


class StockMove(models.Model):
    _inherit = 'stock.move'

    def _lb_transitions(self, method, *args, **kwargs):
        """Run ``method`` and return it with the pickings whose state it changed, with their new state."""
        pickings = self.picking_id
        before = {picking.id: picking.state for picking in pickings}
        res = method(*args, **kwargs)
        return res, pickings.filtered(lambda p: p.state != before[p.id])

    def _action_assign(self, force_qty=False):
        res, changed = self._lb_transitions(super()._action_assign, force_qty=force_qty)
        changed.filtered(lambda p: p.state == 'assigned')._lb_on_ready()
        return res

    def _action_cancel(self):
        res, changed = self._lb_transitions(super()._action_cancel)
        changed.filtered(lambda p: p.state == 'cancel')._lb_emit('stock.picking.cancelled')
        return res
