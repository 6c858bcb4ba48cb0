from datetime import timedelta

from odoo import api, fields, models


class LogisticsBridgeDashboard(models.TransientModel):
    """Health of the bridge at a glance: sync lag, dead letters, exception ageing, devices."""
    _name = 'logistics.bridge.dashboard'
    _description = 'Logistics Bridge Dashboard'

    pending_count = fields.Integer(string='Pending events', compute='_compute_figures')
    claimed_count = fields.Integer(string='Claimed events', compute='_compute_figures')
    claim_age_s = fields.Float(string='Oldest claim (s)', compute='_compute_figures',
                               help='How long the oldest claimed event has been held by a relay (0 when none): '
                                    'events claimed by a relay are neither pending nor published yet.')
    relay_count = fields.Integer(string='Relays alive', compute='_compute_figures',
                                 help='Relay processes heartbeating to Odoo.')
    dead_count = fields.Integer(string='Dead letters', compute='_compute_figures')
    sync_lag_s = fields.Float(string='Sync lag (s)', compute='_compute_figures',
                              help='Age of the oldest pending outbox event.')
    exception_picking_count = fields.Integer(string='Pickings in exception', compute='_compute_figures')
    exception_count = fields.Integer(string='Open rejected updates', compute='_compute_figures')
    exception_1h_count = fields.Integer(string='Rejected > 1 h', compute='_compute_figures')
    exception_24h_count = fields.Integer(string='Rejected > 24 h', compute='_compute_figures')
    devices_offline_count = fields.Integer(string='Devices offline', compute='_compute_figures')
    devices_error_count = fields.Integer(string='Devices in error', compute='_compute_figures')

    def _compute_display_name(self):
        self.display_name = self.env._('Dashboard')

    @api.model
    def _exception_domain(self):
        return [('state', '=', 'rejected'), ('resolved_at', '=', False)]

    @api.depends_context('uid')
    def _compute_figures(self):
        stats = self.env['logistics.bridge.event'].sudo().relay_stats()
        updates = self.env['logistics.bridge.update']
        devices = self.env['logistics.bridge.device']
        now = fields.Datetime.now()
        exceptions = self._exception_domain()
        for dashboard in self:
            dashboard.pending_count = stats['pending']
            dashboard.claimed_count = stats['claimed']
            dashboard.claim_age_s = stats['oldest_claim_age_s'] or 0.0
            dashboard.relay_count = sum(1 for relay in stats['relays'] if relay['alive'])
            dashboard.dead_count = stats['dead']
            dashboard.sync_lag_s = stats['oldest_pending_age_s'] or 0.0
            dashboard.exception_picking_count = self.env['stock.picking'].search_count(
                [('lb_automation_state', '=', 'exception'), ('state', 'not in', ('done', 'cancel'))])
            dashboard.exception_count = updates.search_count(exceptions)
            dashboard.exception_1h_count = updates.search_count(exceptions + [('create_date', '<', now - timedelta(hours=1))])
            dashboard.exception_24h_count = updates.search_count(exceptions + [('create_date', '<', now - timedelta(hours=24))])
            dashboard.devices_offline_count = devices.search_count([('state', '=', 'offline')])
            dashboard.devices_error_count = devices.search_count([('state', '=', 'error')])

    @api.model
    def action_open_dashboard(self):
        """A saved (transient) record, so that the figures are computed when the form reads it."""
        return {
            'type': 'ir.actions.act_window', 'name': self.env._('Logistics Bridge Dashboard'),
            'res_model': self._name, 'res_id': self.create({}).id, 'view_mode': 'form', 'target': 'current',
        }

    def _open(self, xmlid):
        return self.env['ir.actions.act_window']._for_xml_id(xmlid)

    def action_open_pending(self):
        return self._open('logistics_bridge.logistics_bridge_event_action')

    def action_open_dead(self):
        return self._open('logistics_bridge.logistics_bridge_event_action_dead')

    def action_open_exceptions(self):
        return self._open('logistics_bridge.logistics_bridge_update_action_rejected')

    def action_open_exception_pickings(self):
        action = self._open('stock.action_picking_tree_all')
        action['domain'] = [('lb_automation_state', '=', 'exception'), ('state', 'not in', ('done', 'cancel'))]
        return action

    def action_open_devices(self):
        return self._open('logistics_bridge.logistics_bridge_device_action')
