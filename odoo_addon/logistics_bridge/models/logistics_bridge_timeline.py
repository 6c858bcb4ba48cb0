from odoo import fields, models, tools
from odoo.tools import SQL


class LogisticsBridgeTimeline(models.Model):
    """Outbox events and inbox updates of one business flow, joined by correlation id (read-only view)."""
    _name = 'logistics.bridge.timeline'
    _description = 'Logistics Bridge Timeline'
    _auto = False
    _order = 'date desc, id desc'

    source = fields.Selection([('outbox', 'Outbox (Odoo → devices)'), ('inbox', 'Inbox (devices → Odoo)')], readonly=True)
    name = fields.Char(string='Type', readonly=True)
    state = fields.Char(readonly=True)
    date = fields.Datetime(readonly=True)
    correlation_id = fields.Char(readonly=True)
    picking_id = fields.Many2one('stock.picking', readonly=True)
    device_id = fields.Char(string='Device', readonly=True)
    reason = fields.Text(string='Error / reason', readonly=True)
    event_id = fields.Many2one('logistics.bridge.event', readonly=True)
    update_id = fields.Many2one('logistics.bridge.update', readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL("""
            CREATE VIEW %s AS (
                SELECT e.id * 2 AS id, 'outbox' AS source, e.event_type AS name, e.state AS state,
                       e.create_date AS date, e.correlation_id,
                       CASE WHEN e.aggregate_model = 'stock.picking' THEN e.aggregate_id END AS picking_id,
                       NULL AS device_id, e.last_error AS reason, e.id AS event_id, NULL::int AS update_id,
                       e.company_id
                  FROM logistics_bridge_event e
                UNION ALL
                SELECT u.id * 2 + 1, 'inbox', u.update_type, u.state, u.event_time, u.correlation_id,
                       u.picking_id, u.device_id, u.reason, NULL, u.id, u.company_id
                  FROM logistics_bridge_update u
            )""", SQL.identifier(self._table)))
