from odoo import models


class StockReturnPicking(models.TransientModel):
    _inherit = 'stock.return.picking'

    def _create_return(self):
        new_picking = super()._create_return()
        # The return's own stock.picking.ready comes first (it may be noted but not released yet).
        self.env['stock.picking']._lb_release_candidates()
        new_picking._lb_emit('stock.return.created')
        return new_picking
