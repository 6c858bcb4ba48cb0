"""Registry of the relay processes that tail the outbox, so that a dead relay's claims are freed early.

A relay is named by its worker id (the lease owner of the events it claims, stable across restarts)
and, per process, by an instance id. It registers before claiming and heartbeats every few seconds;
a relay silent for longer than the ``timeout_s`` it registered with is dead: its claims go back to
pending at once (no attempt counted) instead of waiting out their lease. A live relay's claims are
never released: only a relay that stopped heartbeating, or one a restarted process of the same host
proved dead (its pid is gone), loses them. A second live process with a worker id already held is
refused and told who holds it. The lease on each claimed row stays as the backstop.
"""
from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_unique_index

STOP_REASONS = [('stopped', 'Stopped'), ('dead', 'No heartbeat'), ('replaced', 'Replaced by a restart')]

_PEER_COLUMNS = SQL("""worker_id, instance, host, pid, incarnation,
    extract(epoch FROM now() AT TIME ZONE 'UTC' - heartbeat_at)::float AS heartbeat_age_s""")


class LogisticsBridgeRelay(models.Model):
    _name = 'logistics.bridge.relay'
    _description = 'Logistics Bridge Relay Process'
    _order = 'worker_id'
    _rec_name = 'worker_id'

    worker_id = fields.Char(required=True, readonly=True)
    instance = fields.Char(readonly=True, help='One id per relay process: a restart makes a new one.')
    host = fields.Char(readonly=True)
    pid = fields.Integer(readonly=True)
    incarnation = fields.Char(readonly=True, help='Tells two processes with the same pid on one host apart.')
    started_at = fields.Datetime(readonly=True)
    heartbeat_at = fields.Datetime(readonly=True)
    timeout_s = fields.Float(readonly=True, help='Silent for longer than this, the relay is dead and its claims are freed.')
    stopped_at = fields.Datetime(readonly=True)
    stop_reason = fields.Selection(STOP_REASONS, readonly=True)

    def init(self):
        # A unique index rather than a model constraint: the same on Odoo 18 and 19.
        create_unique_index(self.env.cr, 'logistics_bridge_relay_worker_uniq', self._table, ['worker_id'])

    # ------------------------------------------------------------------ relay API (sidecar)
    @api.model
    def relay_register(self, worker_id, instance, host, pid, incarnation, timeout_s, replaces=()):
        """Take the worker id for this process, unless a live process holds it.

        ``replaces``: instance ids the caller proved dead (same host, pid gone or reused); they are
        marked dead and their claims released first. Answers ``{"registered", "released", "holder",
        "peers"}``: ``holder`` is the live process that keeps the worker id when refused, ``peers``
        the other live relays registered from ``host`` (for the caller's pid check).
        """
        self.env['logistics.bridge.event']._check_relay_access()
        cr = self.env.cr
        worker_id = str(worker_id)
        released = self._reap([str(i) for i in replaces])
        cr.execute(SQL("""
            INSERT INTO logistics_bridge_relay (worker_id, stopped_at, stop_reason, create_uid, write_uid,
                                                create_date, write_date)
            VALUES (%s, now() AT TIME ZONE 'UTC', 'stopped', %s, %s, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')
            ON CONFLICT (worker_id) DO NOTHING""", worker_id, self.env.uid, self.env.uid))
        cr.execute(SQL("""SELECT instance, stopped_at IS NULL AS live, %s FROM logistics_bridge_relay
                           WHERE worker_id = %s FOR UPDATE""", _PEER_COLUMNS, worker_id))
        row = cr.dictfetchone()
        answer = {'registered': True, 'released': released, 'holder': None}
        if row['live'] and row['instance'] != str(instance):
            answer.update(registered=False, holder={k: row[k] for k in ('worker_id', 'host', 'pid', 'incarnation', 'instance', 'heartbeat_age_s')})
        else:
            if row['instance'] != str(instance):
                # The worker id's earlier process is gone (stopped, dead or replaced): its claims are ours to redo.
                answer['released'] += self.env['logistics.bridge.event']._release_worker_claims(worker_id)
            cr.execute(SQL("""
                UPDATE logistics_bridge_relay
                   SET instance = %(instance)s, host = %(host)s, pid = %(pid)s, incarnation = %(incarnation)s,
                       timeout_s = %(timeout)s, heartbeat_at = now() AT TIME ZONE 'UTC',
                       started_at = CASE WHEN instance IS DISTINCT FROM %(instance)s THEN now() AT TIME ZONE 'UTC'
                                         ELSE started_at END,
                       stopped_at = NULL, stop_reason = NULL, write_date = now() AT TIME ZONE 'UTC'
                 WHERE worker_id = %(worker)s""",
                instance=str(instance), host=str(host), pid=int(pid), incarnation=str(incarnation),
                timeout=max(1.0, float(timeout_s)), worker=worker_id))
        cr.execute(SQL("""SELECT %s FROM logistics_bridge_relay
                           WHERE host = %s AND stopped_at IS NULL AND worker_id != %s ORDER BY worker_id""",
                       _PEER_COLUMNS, str(host), worker_id))
        answer['peers'] = cr.dictfetchall()
        self.invalidate_model()
        return answer

    @api.model
    def relay_heartbeat(self, worker_id, instance):
        """This process is alive; also frees the claims of relays that stopped heartbeating.

        ``registered`` false means the worker id is no longer this process's (declared dead after a
        silence, or taken by another process): the caller stops claiming and registers again.
        """
        self.env['logistics.bridge.event']._check_relay_access()
        released = self._reap([])
        self.env.cr.execute(SQL("""
            UPDATE logistics_bridge_relay SET heartbeat_at = now() AT TIME ZONE 'UTC'
             WHERE worker_id = %s AND instance = %s AND stopped_at IS NULL RETURNING id""",
            str(worker_id), str(instance)))
        registered = bool(self.env.cr.fetchone())
        self.invalidate_model(['heartbeat_at'])
        return {'registered': registered, 'released': released}

    @api.model
    def relay_unregister(self, worker_id, instance):
        """Graceful stop: release what this process still holds and free the worker id."""
        self.env['logistics.bridge.event']._check_relay_access()
        self.env.cr.execute(SQL("""
            UPDATE logistics_bridge_relay
               SET stopped_at = now() AT TIME ZONE 'UTC', stop_reason = 'stopped', write_date = now() AT TIME ZONE 'UTC'
             WHERE worker_id = %s AND instance = %s AND stopped_at IS NULL RETURNING id""", str(worker_id), str(instance)))
        released = self.env['logistics.bridge.event']._release_worker_claims(worker_id) if self.env.cr.fetchone() else 0
        self.invalidate_model()
        return {'released': released}

    @api.model
    def _reap(self, replaced):
        """Marks dead the relays silent past their timeout (and ``replaced`` instances); releases their claims."""
        self.env.cr.execute(SQL("""
            UPDATE logistics_bridge_relay r
               SET stopped_at = now() AT TIME ZONE 'UTC', write_date = now() AT TIME ZONE 'UTC',
                   stop_reason = CASE WHEN r.instance = ANY(%(replaced)s) THEN 'replaced' ELSE 'dead' END
              FROM (SELECT id FROM logistics_bridge_relay
                     WHERE stopped_at IS NULL
                       AND (instance = ANY(%(replaced)s)
                            OR heartbeat_at < now() AT TIME ZONE 'UTC' - make_interval(secs => timeout_s))
                       FOR UPDATE SKIP LOCKED) d
             WHERE r.id = d.id
         RETURNING r.worker_id""", replaced=list(replaced)))
        workers = [w for (w,) in self.env.cr.fetchall()]
        event = self.env['logistics.bridge.event']
        return sum(event._release_worker_claims(w) for w in workers)

    @api.model
    def _live_relays(self):
        """Registered relays with their claims, for relay_stats (status CLI, dashboard)."""
        self.env.cr.execute(SQL("""
            SELECT r.worker_id, r.host, r.pid, r.stopped_at IS NULL AS alive, r.stop_reason,
                   extract(epoch FROM now() AT TIME ZONE 'UTC' - r.heartbeat_at)::float AS heartbeat_age_s
              FROM logistics_bridge_relay r
             WHERE r.stopped_at IS NULL OR r.stopped_at > now() AT TIME ZONE 'UTC' - interval '1 hour'
          ORDER BY r.worker_id"""))
        return self.env.cr.dictfetchall()
