from odoo import models


class StockReturnPicking(models.TransientModel):
    _inherit = 'stock.return.picking'

    def _create_return(self):
        new_picking = super()._create_return()
        new_picking._lb_emit('stock.return.created')
        return new_picking
