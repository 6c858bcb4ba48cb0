from odoo import fields, models

from ..lib import receipt_check

KIND_LABELS = {'over': 'Over', 'under': 'Under', 'unknown_product': 'Unknown product', 'unknown_lot': 'Unknown lot'}
STAGE_LABELS = {'announced': 'Notice vs order', 'counted': 'Count vs notice'}


class LogisticsBridgeDiscrepancy(models.Model):
    """A difference between a receipt's order, its advance ship notice and its count (lib/receipt_check.py)."""
    _name = 'logistics.bridge.discrepancy'
    _description = 'Logistics Bridge: receipt discrepancy'
    _order = 'picking_id, stage, id'

    picking_id = fields.Many2one('stock.picking', string='Receipt', required=True, readonly=True, index=True,
                                 ondelete='cascade')
    stage = fields.Selection([(s, STAGE_LABELS[s]) for s in receipt_check.STAGES], required=True, readonly=True)
    kind = fields.Selection([(k, KIND_LABELS[k]) for k in receipt_check.KINDS], required=True, readonly=True)
    product_id = fields.Many2one('product.product', readonly=True)
    lot = fields.Char(readonly=True)
    expected_qty = fields.Float(string='Expected', digits='Product Unit of Measure', readonly=True)
    actual_qty = fields.Float(string='Announced / counted', digits='Product Unit of Measure', readonly=True)
    name = fields.Char(string='Discrepancy', readonly=True)
