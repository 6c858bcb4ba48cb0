"""Dead letters of both directions in one place, and Retry for integration managers.

- Outbound: outbox events the relay gave up on (state dead). Retry makes the event claimable again with a
  fresh attempt budget; it is still the earliest unpublished event of its aggregate, so the order holds.
- Inbound: updates Odoo rejected (inbox rows, state rejected), and updates the sidecar's applier
  dead-lettered in RabbitMQ (``logistics.updates.dead``) for other reasons (contract schema, retries
  exhausted, Odoo error), which the applier records here with ``record_dead_letters``. The message stays in
  the dead queue either way (the CLI's ``dead list|show|replay`` reads it), so a record that cannot be
  made while Odoo is down loses nothing. Retry re-applies the update through ``_apply_one``, the inbox's
  idempotent path: it applies once, and a second retry or a replay from the CLI answers duplicate.

``logistics.bridge.dead.letter`` is a read-only SQL view over the two tables: one list, one form.
"""
import json

from psycopg2 import IntegrityError

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..lib.canonical import iso_utc, pretty_json
from .logistics_bridge_event import STATE_DEAD
from .logistics_bridge_update import STATE_APPLIED, STATE_REJECTED, UpdateRejected, _parse_time

MANAGER_GROUP = 'logistics_bridge.logistics_bridge_group_manager'

# Why an inbound update is a dead letter: the applier's ``x-reject-stage`` (docs/applier.md).
INBOUND_STAGES = [
    ('rejected', 'Rejected'),
    ('schema', 'Contract'),
    ('retries', 'Retries out'),
    ('odoo-error', 'Odoo error'),
]
STAGES = [('publish', 'Publish')] + INBOUND_STAGES

# Suffix the inbox gives a rejected row once a replay of its key applied (``_retire_rejected``).
RETIRED_MARK = '#rejected-'


def _check_retry_rights(env):
    if not (env.su or env.user.has_group(MANAGER_GROUP)):
        raise AccessError(env._(
            'Only an Integration manager (Logistics Bridge) may retry, requeue or resolve dead letters; '
            '%(user)s is not one. An administrator can add the group on the user form.', user=env.user.name))


def _notification(title, message, kind):
    return {'type': 'ir.actions.client', 'tag': 'display_notification', 'params': {
        'title': title, 'message': message, 'type': kind, 'sticky': kind != 'success',
        'next': {'type': 'ir.actions.client', 'tag': 'soft_reload'}}}


class LogisticsBridgeEventDeadLetter(models.Model):
    _inherit = 'logistics.bridge.event'

    payload_pretty = fields.Text(string='Payload (formatted)', compute='_compute_payload_pretty')

    @api.depends('payload')
    def _compute_payload_pretty(self):
        for event in self:
            event.payload_pretty = pretty_json(event.payload)

    def _operator_write(self, action, vals):
        _check_retry_rights(self.env)
        return super()._operator_write(action, vals)


class LogisticsBridgeUpdateDeadLetter(models.Model):
    _inherit = 'logistics.bridge.update'

    dead_stage = fields.Selection(INBOUND_STAGES, string='Dead-letter stage', readonly=True,
                                  help="Why the sidecar's applier dead-lettered it (RabbitMQ logistics.updates.dead).")
    field_path = fields.Char(readonly=True, help='The failing field of the update, when the contract check names one.')
    dead_first_at = fields.Datetime(string='First dead-lettered', readonly=True)
    dead_last_at = fields.Datetime(string='Last dead-lettered', readonly=True)
    dead_count = fields.Integer(string='Times dead-lettered', readonly=True)
    received_body = fields.Text(string='Message as received', readonly=True,
                                help='The dead-lettered message body, as the applier read it: what Retry applies.')
    retried_by_id = fields.Many2one('res.users', string='Retried by', readonly=True)
    retried_at = fields.Datetime(string='Retried on', readonly=True)
    payload_pretty = fields.Text(string='Payload (formatted)', compute='_compute_payload_pretty')

    @api.depends('payload')
    def _compute_payload_pretty(self):
        for update in self:
            update.payload_pretty = pretty_json(update.payload)

    # ------------------------------------------------------------------ API (sidecar)
    @api.model
    def record_dead_letters(self, letters):
        """Record messages the applier dead-lettered: one result per letter, in order.

        A letter is ``{id, stage, reason, path, body, at}`` (``id``: the message id; ``body``: the message
        text). Recording twice only counts it again. Status: ``recorded``; ``applied`` when its key was
        applied meanwhile (nothing to do); ``retry`` when a concurrent call recorded the same key (send again).
        """
        self.env['logistics.bridge.event']._check_relay_access()
        return [self._record_one(letter) for letter in letters]

    @api.model
    def _record_one(self, letter):
        if not isinstance(letter, dict) or not isinstance(letter.get('id'), str) or not letter['id']:
            raise UserError(self.env._('record_dead_letters: every letter needs a string "id", got %(letter)r',
                                       letter=letter))
        body = letter.get('body') if isinstance(letter.get('body'), str) else ''
        try:
            update = json.loads(body)
        except ValueError:
            update = None
        if not isinstance(update, dict):
            update = {}
        key = update.get('idempotency_key')
        if not key or not isinstance(key, str):
            key = letter['id']
        stage = letter.get('stage') if letter.get('stage') in dict(INBOUND_STAGES) else 'rejected'
        try:
            at = _parse_time(letter['at']) if letter.get('at') else fields.Datetime.now()
        except UpdateRejected:
            at = fields.Datetime.now()
        seen = {'dead_stage': stage, 'field_path': letter.get('path') or False, 'dead_last_at': at,
                'received_body': body}
        answer = {'id': letter['id'], 'idempotency_key': key}
        try:
            with self.env.cr.savepoint():
                row = self.sudo().search([('idempotency_key', '=', key)], limit=1)
                if row.state == STATE_APPLIED:
                    return dict(answer, status='applied', update_id=row.id)
                reason = str(letter.get('reason') or 'dead-lettered (no reason given)')
                if row:
                    row.write(dict(seen, dead_first_at=row.dead_first_at or at, dead_count=row.dead_count + 1,
                                   reason=row.reason or reason))
                else:
                    row = self.sudo()._store_dead_letter(update, key, body, reason, dict(seen, dead_first_at=at))
                self.env.flush_all()
        except IntegrityError:
            return dict(answer, status='retry')
        return dict(answer, status='recorded', update_id=row.id)

    def _store_dead_letter(self, update, key, body, reason, seen):
        envelope = self._envelope_vals(dict(update, idempotency_key=key))
        if 'payload' not in update:
            envelope['payload'] = body or False
        try:
            event_time = _parse_time(update['event_time']) if update.get('event_time') else seen['dead_last_at']
        except UpdateRejected:
            event_time = seen['dead_last_at']
        row = self._create_row(dict(envelope, **seen, state=STATE_REJECTED, reason=reason, event_time=event_time,
                                    dead_count=1))
        row._lb_schedule_exception(self.env._('Dead-lettered device update %(type)s', type=envelope['update_type']),
                                   reason)
        return row

    # ------------------------------------------------------------------ managers
    def action_retry(self):
        """Apply the update again through the inbox's idempotent path (a fix in Odoo came first)."""
        _check_retry_rights(self.env)
        answers = []
        for update in self:
            if update.state != STATE_REJECTED:
                raise UserError(self.env._('Only rejected or dead-lettered updates can be retried.'))
            if update.dead_stage == 'schema':
                raise UserError(self.env._(
                    '%(key)s does not fit the bridge contract (%(reason)s): only its sender can fix it. '
                    'Mark it resolved once handled.', key=update.idempotency_key, reason=update.reason))
            body = update._retry_body()
            update.sudo().write({'retried_by_id': self.env.uid, 'retried_at': fields.Datetime.now()})
            answers.append(self.sudo()._apply_one(body))
        if len(answers) == 1 and answers[0]['status'] != 'applied':
            only = answers[0]
            kind = 'info' if only['status'] == 'duplicate' else 'warning'
            return _notification(self.env._('Retry: %(status)s', status=only['status']),
                                 only.get('reason') or self.env._('%(key)s was applied before; nothing changed.',
                                                                  key=only['idempotency_key']), kind)
        counts = {status: sum(a['status'] == status for a in answers) for status in ('applied', 'duplicate', 'rejected', 'retry')}
        return _notification(self.env._('Retry'), ', '.join(f'{n} {status}' for status, n in counts.items() if n),
                             'success' if counts['applied'] == len(answers) else 'warning')

    def _retry_body(self):
        """The update as it was received (the applier's record), else rebuilt from the row."""
        self.ensure_one()
        try:
            received = json.loads(self.received_body or '')
        except ValueError:
            received = None
        if isinstance(received, dict) and isinstance(received.get('idempotency_key'), str):
            return received
        try:
            payload = json.loads(self.payload or 'null')
        except ValueError:
            payload = self.payload
        return {
            'idempotency_key': self.idempotency_key.split(RETIRED_MARK)[0], 'type': self.update_type,
            'adapter_id': self.adapter_id or None, 'device_id': self.device_id or None,
            'correlation_id': self.correlation_id or None, 'event_time': iso_utc(self.event_time), 'payload': payload,
        }


class LogisticsBridgeDeadLetter(models.Model):
    _name = 'logistics.bridge.dead.letter'
    _description = 'Logistics Bridge Dead Letter'
    _auto = False
    _order = 'last_seen desc, id desc'
    _rec_name = 'name'
    # Flushed before the view is read, so a search sees what the transaction wrote to the two tables.
    _depends = {
        'logistics.bridge.event': ['state', 'event_type', 'aggregate_key', 'last_error', 'payload', 'attempts',
                                   'correlation_id', 'company_id', 'operator_action', 'operator_id', 'operator_at'],
        'logistics.bridge.update': ['state', 'update_type', 'idempotency_key', 'dead_stage', 'reason', 'field_path',
                                    'payload', 'dead_count', 'correlation_id', 'company_id', 'dead_first_at',
                                    'dead_last_at', 'resolved_at', 'retried_by_id', 'resolved_by_id', 'retried_at'],
    }

    direction = fields.Selection([('outbound', 'Outbound'), ('inbound', 'Inbound')], readonly=True,
                                 help='Outbound: an Odoo event the sidecar could not publish. '
                                      'Inbound: a device or partner update that could not be applied.')
    event_id = fields.Many2one('logistics.bridge.event', string='Outbox event', readonly=True)
    update_id = fields.Many2one('logistics.bridge.update', string='Inbox update', readonly=True)
    name = fields.Char(string='Type', readonly=True)
    key = fields.Char(readonly=True, help='The aggregate of an outbox event, the idempotency key of an update.')
    stage = fields.Selection(STAGES, readonly=True, help='Publish: the broker refused it or attempts ran out. '
                             'Rejected: Odoo refused it (a reference or quantity). Contract: the message does not fit '
                             'the bridge contract (field path). Retries out: Odoo kept asking to retry. '
                             'Odoo error: Odoo raised on it.')
    reason = fields.Text(readonly=True)
    field_path = fields.Char(readonly=True)
    payload = fields.Text(string='Payload (as stored)', readonly=True)
    payload_pretty = fields.Text(string='Payload', compute='_compute_payload_pretty')
    attempts = fields.Integer(string='Failures', readonly=True, help='Outbound: publish attempts. Inbound: times dead-lettered in RabbitMQ.')
    correlation_id = fields.Char(readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True)
    is_open = fields.Boolean(string='Open', readonly=True, help='Not retried successfully nor marked resolved.')
    retried_by_id = fields.Many2one('res.users', string='Last action by', readonly=True)
    retried_at = fields.Datetime(string='Last action on', readonly=True)

    @api.depends('payload')
    def _compute_payload_pretty(self):
        for letter in self:
            letter.payload_pretty = pretty_json(letter.payload)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # Even ids are outbox events, odd ids inbox updates: one id space for one list.
        self.env.cr.execute(SQL("""
            CREATE VIEW %(view)s AS (
                SELECT e.id * 2 AS id, 'outbound'::varchar AS direction, e.id AS event_id, NULL::integer AS update_id,
                       e.event_type AS name, e.aggregate_key AS key, 'publish'::varchar AS stage,
                       e.last_error AS reason, NULL::varchar AS field_path, e.payload, e.attempts,
                       e.correlation_id, e.company_id, e.create_date AS first_seen, e.write_date AS last_seen,
                       (e.state = %(dead)s AND e.operator_action IS DISTINCT FROM 'resolve') AS is_open,
                       e.operator_id AS retried_by_id, e.operator_at AS retried_at
                  FROM logistics_bridge_event e
                 WHERE e.state = %(dead)s OR e.operator_action IS NOT NULL
                UNION ALL
                SELECT u.id * 2 + 1, 'inbound', NULL, u.id, u.update_type, split_part(u.idempotency_key, %(mark)s, 1),
                       COALESCE(u.dead_stage, 'rejected'), u.reason, u.field_path, u.payload, COALESCE(u.dead_count, 0),
                       u.correlation_id, u.company_id, COALESCE(u.dead_first_at, u.create_date),
                       COALESCE(u.dead_last_at, u.create_date), u.resolved_at IS NULL,
                       COALESCE(u.retried_by_id, u.resolved_by_id), COALESCE(u.retried_at, u.resolved_at)
                  FROM logistics_bridge_update u
                 WHERE u.state = %(rejected)s
            )""", view=SQL.identifier(self._table), dead=STATE_DEAD, rejected=STATE_REJECTED, mark=RETIRED_MARK))

    def action_retry(self):
        """Send each dead letter through the bridge again: outbound claimable, inbound re-applied."""
        _check_retry_rights(self.env)
        outbound = self.filtered(lambda letter: letter.direction == 'outbound')
        if outbound.event_id.filtered(lambda event: event.state != STATE_DEAD):
            raise UserError(self.env._('Only dead outbox events can be retried; this one is no longer dead.'))
        outbound.event_id.action_requeue()
        inbound = self - outbound
        answer = inbound.update_id.action_retry() if inbound else None
        # A view over the two tables: what was just written there is not in this model's cache.
        self.invalidate_model()
        return answer or _notification(self.env._('Retry'), self.env._(
            '%(count)s event(s) pending again: the relay publishes them in order.', count=len(outbound)), 'success')

    def action_mark_resolved(self):
        _check_retry_rights(self.env)
        outbound = self.filtered(lambda letter: letter.direction == 'outbound')
        outbound.event_id.action_mark_resolved()
        (self - outbound).update_id.filtered(lambda update: not update.resolved_at).action_mark_resolved()
        self.invalidate_model()

    def action_open_source(self):
        self.ensure_one()
        record = self.event_id or self.update_id
        return {'type': 'ir.actions.act_window', 'res_model': record._name, 'res_id': record.id, 'view_mode': 'form'}
