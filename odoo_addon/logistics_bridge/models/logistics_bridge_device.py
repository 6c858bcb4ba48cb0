from datetime import timedelta

from odoo import api, fields, models

from .. import compat

STATE_ONLINE = 'online'
STATE_OFFLINE = 'offline'
STATE_ERROR = 'error'
STATES = [(STATE_ONLINE, 'Online'), (STATE_OFFLINE, 'Offline'), (STATE_ERROR, 'Error')]

FAMILIES = [('barcode', 'Barcode scanner'), ('sorter', 'Sorter / conveyor'), ('robot_fleet', 'Robot fleet')]


class LogisticsBridgeDevice(models.Model):
    _name = 'logistics.bridge.device'
    _description = 'Logistics Bridge Device'
    _order = 'state desc, name'

    name = fields.Char(string='Device ID', required=True, help='Identifier the adapter sends in its envelope.')
    adapter_id = fields.Char(string='Adapter')
    family = fields.Selection(FAMILIES)
    warehouse_id = fields.Many2one('stock.warehouse')
    state = fields.Selection(STATES, required=True, default=STATE_OFFLINE)
    last_heartbeat = fields.Datetime()
    last_error = fields.Text()
    company_id = fields.Many2one('res.company', default=lambda self: self.env.company)
    active = fields.Boolean(default=True)

    if compat.CONSTRAINT_OBJECTS:
        _name_uniq = models.Constraint('UNIQUE(name)', 'A device with this ID already exists.')
    else:
        _sql_constraints = [('name_uniq', 'UNIQUE(name)', 'A device with this ID already exists.')]

    @api.model
    def _apply_status(self, update, payload, event_time):
        """device.status: create the device on first sight; an older heartbeat never overrides a newer one."""
        device = self.with_context(active_test=False).search([('name', '=', update['device_id'])], limit=1)
        vals = {'adapter_id': update.get('adapter_id') or device.adapter_id}
        if payload.get('family'):
            vals['family'] = payload['family']
        if payload.get('warehouse'):
            vals['warehouse_id'] = self.env['stock.warehouse'].search([('code', '=', payload['warehouse'])], limit=1).id
        if not device.last_heartbeat or event_time >= device.last_heartbeat:
            vals.update(state=payload['status'], last_heartbeat=event_time)
            if payload['status'] == STATE_ERROR:
                vals['last_error'] = payload.get('error') or False
        if device:
            device.write(vals)
            return device
        return self.create(dict(vals, name=update['device_id']))

    @api.model
    def _late_heartbeat_domain(self):
        timeout = int(self.env['logistics.bridge.event']._param('heartbeat_timeout_s'))
        return [('state', '=', STATE_ONLINE), ('last_heartbeat', '<', fields.Datetime.now() - timedelta(seconds=timeout))]

    @api.model
    def _cron_mark_offline(self):
        self.search(self._late_heartbeat_domain()).write({'state': STATE_OFFLINE})
