from odoo import models

from ..lib import canonical
from .logistics_bridge_event import PRIORITY_LOW
from .stock_picking import product_data

# Master data that warehouse systems keep a copy of.
WATCHED_FIELDS = {'name', 'default_code', 'barcode', 'uom_id', 'weight', 'volume', 'active', 'is_storable',
                  'tracking', 'type'}


class ProductProduct(models.Model):
    _inherit = 'product.product'

    def _lb_emit_changed(self):
        emit = self.env['logistics.bridge.event']._emit
        for product in self.with_context(active_test=False):
            payload = canonical.product_payload(dict(
                product_data(product), uom=product.uom_id.name, active=product.active,
                storable=product.is_storable, tracking=product.tracking, weight=product.weight,
                volume=product.volume))
            emit('product.changed', product, payload, PRIORITY_LOW, coalesce=True)

    def write(self, vals):
        res = super().write(vals)
        if WATCHED_FIELDS.intersection(vals):
            self._lb_emit_changed()
        return res


class ProductTemplate(models.Model):
    _inherit = 'product.template'

    def write(self, vals):
        res = super().write(vals)
        if WATCHED_FIELDS.intersection(vals):
            self.with_context(active_test=False).product_variant_ids._lb_emit_changed()
        return res
