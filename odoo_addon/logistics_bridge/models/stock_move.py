from odoo import models


class StockMove(models.Model):
    _inherit = 'stock.move'

    def _lb_transitions(self, method, *args, **kwargs):
        """Run ``method`` and return it with the pickings whose state it changed, with their new state."""
        before = {picking.id: picking.state for picking in self.picking_id}
        res = method(*args, **kwargs)
        # _action_confirm may merge moves away and put the others in new pickings.
        pickings = self.picking_id.browse(before) | self.exists().picking_id
        return res, pickings.filtered(lambda p: p.state != before.get(p.id))

    def _action_confirm(self, merge=True, merge_into=False, **kwargs):
        # Receipts from suppliers need no reservation: they are ready as soon as they are confirmed.
        # **kwargs: 19 added create_proc=True (compat.py); 18 has no further parameter.
        res, changed = self._lb_transitions(super()._action_confirm, merge=merge, merge_into=merge_into, **kwargs)
        changed.filtered(lambda p: p.state == 'assigned')._lb_on_ready()
        return res

    def _action_assign(self, force_qty=False):
        res, changed = self._lb_transitions(super()._action_assign, force_qty=force_qty)
        changed.filtered(lambda p: p.state == 'assigned')._lb_on_ready()
        return res

    def _action_cancel(self):
        res, changed = self._lb_transitions(super()._action_cancel)
        changed.filtered(lambda p: p.state == 'cancel')._lb_emit('stock.picking.cancelled')
        return res
