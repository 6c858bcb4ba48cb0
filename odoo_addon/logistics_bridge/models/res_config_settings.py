from odoo import api, fields, models

from .logistics_bridge_sla_breach import THRESHOLD_PARAMS

# Not config_parameter fields either: those delete the parameter when set to 0, and 0 turns a rule off.
SLA_FIELDS = {f'logistics_bridge_sla_{name}': name for name in THRESHOLD_PARAMS}


class ResConfigSettings(models.TransientModel):
    _inherit = 'res.config.settings'

    # Not a config_parameter field: those delete the parameter when unticked, and it defaults to on.
    logistics_bridge_events_enabled = fields.Boolean(string='Emit bridge events')
    logistics_bridge_disabled_event_types = fields.Char(
        string='Disabled event types', config_parameter='logistics_bridge.disabled_event_types',
        help='Comma-separated event types that are not emitted, e.g. product.changed')
    logistics_bridge_max_attempts = fields.Integer(
        string='Max publication attempts', config_parameter='logistics_bridge.max_attempts', default=10)
    logistics_bridge_lease_seconds = fields.Integer(
        string='Claim lease (s)', config_parameter='logistics_bridge.lease_seconds', default=60)
    logistics_bridge_retention_days = fields.Integer(
        string='Retention (days)', config_parameter='logistics_bridge.retention_days', default=30)
    logistics_bridge_heartbeat_timeout_s = fields.Integer(
        string='Heartbeat timeout (s)', config_parameter='logistics_bridge.heartbeat_timeout_s', default=300)
    logistics_bridge_invoice_on_dispatch = fields.Boolean(
        string='Invoice on dispatch', config_parameter='logistics_bridge.invoice_on_dispatch',
        help='Create the customer invoice when a shipment.dispatched update completes the delivery '
             'of an order invoiced on delivered quantities.')

    logistics_bridge_sla_ack_minutes = fields.Integer(
        string='Acknowledgement within (min)',
        help='A released picking that nothing came back about within this delay is an SLA breach (0: off).')
    logistics_bridge_sla_dispatch_grace_minutes = fields.Integer(
        string='Dispatch grace (min)',
        help='A packed picking still not dispatched this long after its scheduled date is an SLA breach (0: off).')
    logistics_bridge_sla_tracking_hours = fields.Integer(
        string='Tracking event within (h)',
        help='A dispatched parcel with a tracking number and no carrier event for this long is an SLA breach (0: off).')

    @api.model
    def default_get(self, fields):
        res = super().default_get(fields)
        if not self.env.is_system():
            # default_get is not guarded by access rights: keep the bridge settings to administrators.
            return {key: value for key, value in res.items() if not key.startswith('logistics_bridge_')}
        return res

    @api.model
    def get_values(self):
        res = super().get_values()
        res['logistics_bridge_events_enabled'] = self.env['logistics.bridge.event']._is_enabled(None)
        thresholds = self.env['logistics.bridge.sla.breach']._thresholds()
        res.update({field: getattr(thresholds, name) for field, name in SLA_FIELDS.items()})
        return res

    def set_values(self):
        super().set_values()
        self.env['ir.config_parameter'].sudo().set_param(
            'logistics_bridge.events_enabled', str(bool(self.logistics_bridge_events_enabled)))
        for field, name in SLA_FIELDS.items():
            self.env['ir.config_parameter'].sudo().set_param(THRESHOLD_PARAMS[name][0], str(max(0, self[field])))
