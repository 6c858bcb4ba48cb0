from odoo import fields, models

from ..lib import receipt_check


class LogisticsBridgeAsnLine(models.Model):
    """One line of the advance ship notice (``receipt.announced``) a supplier sent for a receipt."""
    _name = 'logistics.bridge.asn.line'
    _description = 'Logistics Bridge: advance ship notice line'
    _order = 'picking_id, sequence, id'

    picking_id = fields.Many2one('stock.picking', string='Receipt', required=True, readonly=True, index=True,
                                 ondelete='cascade')
    sequence = fields.Integer(readonly=True)
    product_id = fields.Many2one('product.product', readonly=True, help='Empty: Odoo knows no product by the reference sent.')
    product_ref = fields.Char(string='Product as announced', readonly=True)
    quantity = fields.Float(string='Announced', digits='Product Unit of Measure', readonly=True)
    uom_id = fields.Many2one(related='product_id.uom_id', string='Unit')
    lots = fields.Char(readonly=True, help='Lot names, comma separated.')
    ssccs = fields.Char(string='SSCCs', readonly=True, help='Pallet or parcel SSCCs, comma separated.')

    def _lib_lines(self):
        """The lines as lib/receipt_check.Line tuples."""
        return [receipt_check.Line(line.product_id.id or None, line.product_id.display_name or line.product_ref,
                                   line.quantity, tuple(filter(None, (line.lots or '').split(','))))
                for line in self]
