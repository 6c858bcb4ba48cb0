from odoo import fields, models

from ..lib import canonical
from .logistics_bridge_event import PRIORITY_NORMAL
from .stock_picking import location_data, product_data


class StockQuant(models.Model):
    _inherit = 'stock.quant'

    def _apply_inventory(self, *args, **kwargs):
        # 19 added an accounting date parameter (date=None); 18 takes none.
        adjustments = [(quant.product_id, {
            'product': product_data(quant.product_id), 'location': location_data(quant.location_id),
            'lot': quant.lot_id.name, 'counted_quantity': quant.inventory_quantity,
            'difference': quant.inventory_diff_quantity, 'uom': quant.product_uom_id.name,
            'date': canonical.iso_utc(fields.Datetime.now()),
        }) for quant in self]
        res = super()._apply_inventory(*args, **kwargs)
        emit = self.env['logistics.bridge.event']._emit
        for product, adjustment in adjustments:
            # Aggregate = the product: its adjustments reach consumers in the order they were made.
            emit('stock.inventory.adjusted', product, canonical.inventory_payload(adjustment), PRIORITY_NORMAL)
        return res
