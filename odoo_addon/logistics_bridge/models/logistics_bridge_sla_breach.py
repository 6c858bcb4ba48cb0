"""SLA watch: the service levels a picking missed (lib/sla.py), one record per breach.

A cron (``_cron_watch``) reads what it needs of the watched pickings (their release from the outbox, the
answers and carrier events from the inbox), asks ``lib.sla.breaches`` which service levels they miss,
and for each breach not recorded yet writes one row, puts the picking into exception through its state
machine (``lib.picking_state.step_failed`` with the rule's name, so that the awaited step clears it) and
schedules an activity for the responsible team. A breach is named by its picking, rule and basis (what
the rule counts from): the unique key makes a second row for the same breach impossible, so the cron is
idempotent however often and however concurrently it runs. An open breach whose rule no longer holds
(the warehouse answered, the parcel left, the carrier reported) is closed by the next run, its activity
marked done.
"""
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .. import compat
from ..lib import picking_state, sla
from .stock_picking import READY

RULES = [
    ('not_acknowledged', 'Not acknowledged'),
    ('not_dispatched', 'Not dispatched by its date'),
    ('no_tracking', 'No tracking event'),
]
STATE_OPEN = 'open'
STATE_CLEARED = 'cleared'
STATE_RESOLVED = 'resolved'
STATES = [(STATE_OPEN, 'Open'), (STATE_CLEARED, 'Cleared'), (STATE_RESOLVED, 'Resolved by a manager')]

# ir.config_parameter -> default; 0 turns a rule off (lib/sla.py).
THRESHOLD_PARAMS = {
    'ack_minutes': ('logistics_bridge.sla_ack_minutes', 30),
    'dispatch_grace_minutes': ('logistics_bridge.sla_dispatch_grace_minutes', 60),
    'tracking_hours': ('logistics_bridge.sla_tracking_hours', 48),
}
# Dispatched parcels are watched for tracking this long; older ones are the carrier's claim process.
TRACKING_WATCH_DAYS = 30
TRACKING_TYPES = ('shipment.tracking', 'shipment.delivered')


class LogisticsBridgeSlaBreach(models.Model):
    _name = 'logistics.bridge.sla.breach'
    _description = 'Logistics Bridge SLA Breach'
    _order = 'since, id'
    _rec_name = 'rule'

    picking_id = fields.Many2one('stock.picking', required=True, readonly=True, ondelete='cascade', index=True)
    rule = fields.Selection(RULES, required=True, readonly=True)
    basis = fields.Datetime(string='Counted from', required=True, readonly=True,
                            help='The release, scheduled date, dispatch or last carrier event the rule counts from.')
    since = fields.Datetime(string='Missed since', required=True, readonly=True)
    state = fields.Selection(STATES, required=True, readonly=True, default=STATE_OPEN, index=True)
    cleared_at = fields.Datetime(readonly=True)
    activity_id = fields.Many2one('mail.activity', readonly=True, ondelete='set null')
    company_id = fields.Many2one(related='picking_id.company_id', store=True)
    age = fields.Char(compute='_compute_age', help='How long the service level has been missed (until it was cleared).')

    if compat.CONSTRAINT_OBJECTS:
        _breach_uniq = models.Constraint('UNIQUE(picking_id, rule, basis)', 'This breach is already recorded.')
    else:
        _sql_constraints = [('breach_uniq', 'UNIQUE(picking_id, rule, basis)', 'This breach is already recorded.')]

    @api.depends_context('uid')
    def _compute_age(self):
        now = fields.Datetime.now()
        for breach in self:
            breach.age = sla.human_duration(((breach.cleared_at or now) - breach.since).total_seconds())

    # ------------------------------------------------------------------ settings
    @api.model
    def _thresholds(self):
        params = self.env['ir.config_parameter'].sudo()

        def read(key, default):
            try:
                return max(0, int(params.get_param(key, default)))
            except ValueError:
                return default
        return sla.Thresholds(**{name: read(*param) for name, param in THRESHOLD_PARAMS.items()})

    # ------------------------------------------------------------------ the searches the cron makes
    @api.model
    def _released_domain(self):
        return [('lb_automation_state', '!=', False), ('state', 'not in', ('done', 'cancel'))]

    @api.model
    def _shipped_domain(self, now):
        return [('state', '=', 'done'), ('picking_type_code', '=', 'outgoing'), ('carrier_tracking_ref', '!=', False),
                ('date_done', '>=', now - timedelta(days=TRACKING_WATCH_DAYS))]

    @api.model
    def _open_domain(self):
        return [('state', '=', STATE_OPEN)]

    # ------------------------------------------------------------------ cron
    @api.model
    def _cron_watch(self, now=None):
        """Record and raise the new breaches, close the ones that no longer hold. Safe to run any time."""
        now = now or fields.Datetime.now()
        limits = self._thresholds()
        Picking = self.env['stock.picking'].sudo()
        open_breaches = self.sudo().search(self._open_domain())
        pickings = (Picking.search(self._released_domain()) | Picking.search(self._shipped_domain(now))
                    | open_breaches.picking_id)
        facts = self._facts(pickings)
        found = {picking: sla.breaches(facts[picking.id], limits, now) for picking in pickings}
        holding = {(picking.id, b.rule, b.basis) for picking, breaches in found.items() for b in breaches}
        open_breaches.filtered(lambda r: (r.picking_id.id, r.rule, r.basis) not in holding)._clear(now)
        known = self._known({picking.id for picking, breaches in found.items() if breaches})
        for picking, breaches in found.items():
            for breach in breaches:
                if (picking.id, breach.rule, breach.basis) not in known:
                    self.sudo()._raise(picking, breach)

    @api.model
    def _known(self, picking_ids):
        """(picking, rule, basis) of every breach recorded for ``picking_ids``, in any state."""
        if not picking_ids:
            return set()
        rows = self.sudo().search_read([('picking_id', 'in', list(picking_ids))], ['picking_id', 'rule', 'basis'])
        return {(row['picking_id'][0], row['rule'], row['basis']) for row in rows}

    @api.model
    def _facts(self, pickings):
        """{picking id: lib.sla.SlaFacts}, read with two queries whatever the number of pickings."""
        if not pickings:
            return {}
        cr = self.env.cr
        self.env.flush_all()
        # The latest release of each picking and the first applied update about it after that release.
        cr.execute(SQL("""
            WITH released AS (
                SELECT aggregate_id AS picking_id, max(create_date) AS at FROM logistics_bridge_event
                 WHERE aggregate_key = ANY(%s) AND event_type = %s GROUP BY aggregate_id)
            SELECT r.picking_id, r.at,
                   (SELECT min(u.applied_at) FROM logistics_bridge_update u
                     WHERE u.picking_id = r.picking_id AND u.state = 'applied' AND u.applied_at >= r.at)
              FROM released r""", [f'stock.picking:{pid}' for pid in pickings.ids], READY))
        released = {pid: (at, acked) for pid, at, acked in cr.fetchall()}
        # The last carrier event of each picking, and whether the parcel reached a final state.
        cr.execute(SQL("""
            SELECT picking_id, max(event_time),
                   bool_or(update_type = 'shipment.delivered'
                           OR (payload::jsonb ->> 'status') IN ('delivered', 'returned'))
              FROM logistics_bridge_update
             WHERE picking_id = ANY(%s) AND state = 'applied' AND update_type IN %s
          GROUP BY picking_id""", pickings.ids, TRACKING_TYPES))
        tracking = {pid: (at, final) for pid, at, final in cr.fetchall()}
        result = {}
        for picking in pickings:
            is_open = picking.state not in ('done', 'cancel')
            released_at, acknowledged_at = released.get(picking.id, (None, None)) if is_open else (None, None)
            last_tracking_at, final = tracking.get(picking.id, (None, False))
            shipped = picking.state == 'done' and picking.picking_type_code == 'outgoing' and picking.carrier_tracking_ref
            result[picking.id] = sla.SlaFacts(
                released_at=released_at, acknowledged_at=acknowledged_at,
                progress=picking.lb_progress or None,
                scheduled_date=picking.scheduled_date if is_open else None,
                shipped_at=picking.date_done if shipped else None,
                delivery='delivered' if final else None, last_tracking_at=last_tracking_at)
        return result

    # ------------------------------------------------------------------ raising and clearing
    def _summary(self):
        return self.env._('SLA missed: %(rule)s', rule=dict(self._fields['rule']._description_selection(self.env))[self.rule])

    def _note(self):
        picking = self.picking_id
        if self.rule == 'not_acknowledged':
            return self.env._('%(picking)s was released %(basis)s UTC and the warehouse has not answered.',
                              picking=picking.name, basis=self.basis)
        if self.rule == 'not_dispatched':
            return self.env._('%(picking)s was scheduled for %(basis)s UTC and is still not dispatched.',
                              picking=picking.name, basis=self.basis)
        return self.env._('%(picking)s (tracking %(ref)s) has had no carrier event since %(basis)s UTC.',
                          picking=picking.name, ref=picking.carrier_tracking_ref, basis=self.basis)

    @api.model
    def _raise(self, picking, breach):
        record = self.create({'picking_id': picking.id, 'rule': breach.rule, 'basis': breach.basis, 'since': breach.since})
        before = picking.activity_ids
        picking._lb_sla_breached(breach.rule, breach.since, record._note(), record._summary())
        # The state machine scheduled the activity (for an open or a closed picking alike): the breach keeps
        # it, to mark it done when the breach clears.
        record.activity_id = (picking.activity_ids - before)[:1]
        return record

    def _clear(self, now, state=STATE_CLEARED):
        if not self:
            return
        self.write({'state': state, 'cleared_at': now})
        self.activity_id.action_done()

    def action_mark_resolved(self):
        """A manager takes the breach over: it counts no more, and is not raised again for the same basis."""
        self.filtered(lambda r: r.state == STATE_OPEN)._clear(fields.Datetime.now(), STATE_RESOLVED)

    @api.model
    def _open_counts(self):
        """{rule: {'count': n, 'oldest_age_s': s}} of the open breaches, for relay_stats (Prometheus)."""
        self.env.cr.execute(SQL("""
            SELECT rule, count(*), extract(epoch FROM now() AT TIME ZONE 'UTC' - min(since))::float
              FROM logistics_bridge_sla_breach WHERE state = %s GROUP BY rule""", STATE_OPEN))
        counts = {rule: {'count': 0, 'oldest_age_s': None} for rule, _label in RULES}
        counts.update({rule: {'count': n, 'oldest_age_s': age} for rule, n, age in self.env.cr.fetchall()})
        return counts


class StockPicking(models.Model):
    _inherit = 'stock.picking'

    lb_sla_breach_ids = fields.One2many('logistics.bridge.sla.breach', 'picking_id', string='SLA breaches', readonly=True)

    def _lb_sla_breached(self, rule, since, note, summary):
        """The SLA breach ``rule`` (missed ``since``) is the failure of the step it waits for, decided by the
        state machine like any other failure: an open picking goes into exception, which the awaited step
        clears (lib/picking_state.SLA_AWAITS); a done one only gets the activity; an exception of a later
        time already open stays the one shown."""
        self.ensure_one()
        return self._lb_apply_fact(picking_state.step_failed, rule, since, reason=note, summary=summary)
