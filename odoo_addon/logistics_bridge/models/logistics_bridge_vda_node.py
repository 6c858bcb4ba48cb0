from odoo import api, fields, models
from odoo.tools import SQL
from odoo.exceptions import ValidationError

STATION_TYPES = [('floor', 'Floor'), ('rack', 'Rack'), ('conveyor', 'Conveyor')]


class LogisticsBridgeVdaNode(models.Model):
    """A stock location as a node of the VDA 5050 layout: where a robot stops to pick or drop.

    The reference VDA 5050 fleet adapter (adapters/vda5050, docs/vda5050.md) plans its orders on this
    layout: `vda_layout()` is the JSON it reads.
    """

    _name = 'logistics.bridge.vda.node'
    _description = 'Logistics Bridge VDA 5050 Layout Node'
    _order = 'map_id, node_id'
    _rec_name = 'node_id'

    location_id = fields.Many2one('stock.location', required=True, ondelete='cascade', index=True,
                                  domain=[('usage', '=', 'internal')])
    node_id = fields.Char(string='Node ID', required=True, help='The VDA 5050 nodeId the robots know this place by.')
    x = fields.Float(string='X (m)', digits=(12, 3))
    y = fields.Float(string='Y (m)', digits=(12, 3))
    theta = fields.Float(string='Theta (rad)', digits=(12, 4), help='Orientation of the robot on the node, -π..π.')
    map_id = fields.Char(string='Map ID', required=True)
    station_type = fields.Selection(STATION_TYPES, required=True, default='floor',
                                    help='VDA 5050 stationType of pick / drop at this node.')
    drop_point = fields.Boolean(help='Robots drop picked goods of its warehouse here.')
    warehouse_id = fields.Many2one(related='location_id.warehouse_id', store=True)
    active = fields.Boolean(default=True)

    def init(self):
        # Unique indexes instead of _sql_constraints, which Odoo 19 ignores: the same SQL on 18 and 19.
        for name, columns in (('logistics_bridge_vda_node_node_uniq', SQL('map_id, node_id')),
                              ('logistics_bridge_vda_node_location_uniq', SQL('location_id'))):
            self.env.cr.execute(SQL('CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s)',
                                    SQL.identifier(name), SQL.identifier(self._table), columns))

    @api.constrains('theta')
    def _check_theta(self):
        for node in self:
            if not -3.14159265359 <= node.theta <= 3.14159265359:
                raise ValidationError(self.env._('Theta must be between -π and π radians.'))

    @api.model
    def vda_layout(self):
        """The layout as the fleet adapter reads it: {nodes: [...]} (adapters/vda5050/layout.ts)."""
        return {'nodes': [{
            'node_id': n.node_id,
            'x': n.x,
            'y': n.y,
            'theta': n.theta,
            'map_id': n.map_id,
            'location_id': n.location_id.id,
            'location_barcode': n.location_id.barcode or None,
            'location_name': n.location_id.complete_name,
            'warehouse': n.warehouse_id.code or None,
            'station_type': n.station_type,
            'drop_point': n.drop_point,
        } for n in self.search([])]}
