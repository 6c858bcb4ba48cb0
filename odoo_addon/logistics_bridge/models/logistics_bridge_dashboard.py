from datetime import timedelta

from odoo import api, fields, models

from ..lib import sla

# The tiles of the dashboard: figure -> (model, domain method, list action). Each count is the
# search_count of the very domain its button opens, so that the dashboard says what the list shows.
TILES = {
    'pending': ('logistics.bridge.event', '_pending_domain', 'logistics_bridge.logistics_bridge_event_action'),
    'claimed': ('logistics.bridge.event', '_claimed_domain', 'logistics_bridge.logistics_bridge_event_action'),
    # Both directions, as the Dead letters menu lists them: outbox events that could not be published and
    # updates that Odoo rejected or the sidecar dead-lettered.
    'dead': ('logistics.bridge.dead.letter', '_dead_domain', 'logistics_bridge.logistics_bridge_dead_letter_action'),
    'exception_picking': ('stock.picking', '_exception_picking_domain', 'stock.action_picking_tree_all'),
    'exception': ('logistics.bridge.update', '_exception_domain', 'logistics_bridge.logistics_bridge_update_action_rejected'),
    'sla': ('logistics.bridge.sla.breach', '_sla_domain', 'logistics_bridge.logistics_bridge_sla_breach_action'),
    'devices_offline': ('logistics.bridge.device', '_devices_offline_domain', 'logistics_bridge.logistics_bridge_device_action'),
    'devices_error': ('logistics.bridge.device', '_devices_error_domain', 'logistics_bridge.logistics_bridge_device_action'),
}
# Open SLA breaches listed on the dashboard, oldest first (the list behind the button has them all).
SLA_SHOWN = 10


class LogisticsBridgeDashboard(models.TransientModel):
    """Health of the bridge at a glance: sync lag, dead letters, exception ageing, devices."""
    _name = 'logistics.bridge.dashboard'
    _description = 'Logistics Bridge Dashboard'

    pending_count = fields.Integer(string='Pending events', compute='_compute_figures')
    claimed_count = fields.Integer(string='Claimed events', compute='_compute_figures',
                                   help='Events a relay has taken and not published yet: neither pending nor published.')
    claim_age_s = fields.Float(string='Oldest claim (s)', compute='_compute_figures')
    claim_age = fields.Char(string='Oldest claim made', compute='_compute_figures',
                            help='How long the oldest claimed event has been held by a relay.')
    relay_count = fields.Integer(string='Relays alive', compute='_compute_figures',
                                 help='Relay processes heartbeating to Odoo.')
    dead_count = fields.Integer(string='Dead letters', compute='_compute_figures')
    sync_lag_s = fields.Float(string='Sync lag (s)', compute='_compute_figures')
    sync_lag = fields.Char(string='Sync lag', compute='_compute_figures',
                           help='Age of the oldest pending outbox event: how far the warehouse is behind Odoo.')
    exception_picking_count = fields.Integer(string='Pickings in exception', compute='_compute_figures')
    exception_count = fields.Integer(string='Open rejected updates', compute='_compute_figures')
    exception_1h_count = fields.Integer(string='Rejected > 1 h', compute='_compute_figures')
    exception_24h_count = fields.Integer(string='Rejected > 24 h', compute='_compute_figures')
    oldest_exception = fields.Char(string='Oldest open exception', compute='_compute_figures',
                                   help='Age of the oldest open rejected update or SLA breach.')
    sla_count = fields.Integer(string='Open SLA breaches', compute='_compute_figures')
    sla_breach_ids = fields.Many2many('logistics.bridge.sla.breach', string='Oldest SLA breaches',
                                      compute='_compute_figures')
    devices_offline_count = fields.Integer(string='Devices offline', compute='_compute_figures')
    devices_error_count = fields.Integer(string='Devices in error', compute='_compute_figures')

    def _compute_display_name(self):
        self.display_name = self.env._('Dashboard')

    # ------------------------------------------------------------------ the domains, shared by counts and lists
    @api.model
    def _pending_domain(self):
        return [('state', '=', 'pending')]

    @api.model
    def _claimed_domain(self):
        return [('state', '=', 'claimed')]

    @api.model
    def _dead_domain(self):
        return [('is_open', '=', True)]

    @api.model
    def _exception_picking_domain(self):
        # What the pickings list badges and its "Automation exception" filter show, done pickings included.
        return [('lb_automation_state', '=', 'exception')]

    @api.model
    def _exception_domain(self):
        return [('state', '=', 'rejected'), ('resolved_at', '=', False)]

    @api.model
    def _sla_domain(self):
        return [('state', '=', 'open')]

    @api.model
    def _devices_offline_domain(self):
        return [('state', '=', 'offline')]

    @api.model
    def _devices_error_domain(self):
        return [('state', '=', 'error')]

    def _count(self, tile, extra=()):
        model, domain, _action = TILES[tile]
        return self.env[model].search_count(getattr(self, domain)() + list(extra))

    @api.depends_context('uid')
    def _compute_figures(self):
        stats = self.env['logistics.bridge.event'].sudo().relay_stats()
        now = fields.Datetime.now()
        rejected = self.env['logistics.bridge.update'].search(self._exception_domain(), order='create_date', limit=1)
        breaches = self.env['logistics.bridge.sla.breach'].search(self._sla_domain(), order='since, id', limit=SLA_SHOWN)
        starts = [t for t in (rejected.create_date, breaches[:1].since) if t]
        for dashboard in self:
            dashboard.pending_count = self._count('pending')
            dashboard.claimed_count = self._count('claimed')
            dashboard.claim_age_s = stats['oldest_claim_age_s'] or 0.0
            dashboard.claim_age = sla.human_duration(dashboard.claim_age_s) if dashboard.claimed_count else self.env._('none claimed')
            dashboard.relay_count = sum(1 for relay in stats['relays'] if relay['alive'])
            dashboard.dead_count = self._count('dead')
            dashboard.sync_lag_s = stats['oldest_pending_age_s'] or 0.0
            dashboard.sync_lag = (sla.human_duration(dashboard.sync_lag_s) if stats['oldest_pending_age_s'] is not None
                                  else self.env._('none pending'))
            dashboard.exception_picking_count = self._count('exception_picking')
            dashboard.exception_count = self._count('exception')
            dashboard.exception_1h_count = self._count('exception', [('create_date', '<', now - timedelta(hours=1))])
            dashboard.exception_24h_count = self._count('exception', [('create_date', '<', now - timedelta(hours=24))])
            dashboard.oldest_exception = (sla.human_duration((now - min(starts)).total_seconds()) if starts
                                          else self.env._('none open'))
            dashboard.sla_count = self._count('sla')
            dashboard.sla_breach_ids = breaches
            dashboard.devices_offline_count = self._count('devices_offline')
            dashboard.devices_error_count = self._count('devices_error')

    @api.model
    def action_open_dashboard(self):
        """A saved (transient) record, so that the figures are computed when the form reads it."""
        return {
            'type': 'ir.actions.act_window', 'name': self.env._('Logistics Bridge Dashboard'),
            'res_model': self._name, 'res_id': self.create({}).id, 'view_mode': 'form', 'target': 'current',
        }

    def _open(self, tile):
        """The tile's list: its action with exactly the domain the tile counts, and no default filter on top."""
        _model, domain, xmlid = TILES[tile]
        action = self.env['ir.actions.act_window']._for_xml_id(xmlid)
        action['domain'] = getattr(self, domain)()
        action['context'] = {}
        return action

    def action_open_pending(self):
        return self._open('pending')

    def action_open_claimed(self):
        return self._open('claimed')

    def action_open_dead(self):
        return self._open('dead')

    def action_open_exceptions(self):
        return self._open('exception')

    def action_open_exception_pickings(self):
        return self._open('exception_picking')

    def action_open_sla(self):
        return self._open('sla')

    def action_open_devices_offline(self):
        return self._open('devices_offline')

    def action_open_devices_error(self):
        return self._open('devices_error')
