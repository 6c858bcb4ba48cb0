from odoo import models


class StockMove(models.Model):
    """Points where reservations change: the pickings they made ``assigned`` are released right after.

    The hooks read nothing from the moves after the wrapped call (``_action_confirm`` may merge moves away
    and delete them): which pickings became ready is noted by ``stock.picking._compute_state``.
    """
    _inherit = 'stock.move'

    # Arguments passed through as they come: their list differs between series (19 adds create_proc).
    def _action_confirm(self, *args, **kwargs):
        moves = super()._action_confirm(*args, **kwargs)
        self.env['stock.picking']._lb_release_candidates()
        return moves

    def _action_assign(self, *args, **kwargs):
        res = super()._action_assign(*args, **kwargs)
        self.env['stock.picking']._lb_release_candidates()
        return res

    def _action_cancel(self):
        # Read before the call, on moves that exist; after it, only on the pickings that still exist.
        before = {picking.id: picking.state for picking in self.exists().sudo().picking_id}
        res = super()._action_cancel()
        cancelled = self.env['stock.picking'].sudo().browse(before).exists().filtered(
            lambda p: p.state == 'cancel' and before[p.id] != 'cancel')
        cancelled._lb_emit('stock.picking.cancelled')
        self.env['stock.picking']._lb_withdraw_candidates(only=cancelled.ids)
        return res
