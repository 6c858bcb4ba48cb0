import json
import logging

import psycopg2
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .. import compat
from ..lib import canonical, picking_state, receipt_check, sort_rules
from .logistics_bridge_event import PRIORITY_HIGH

_logger = logging.getLogger(__name__)

# Pickings whose state was last computed as ``assigned`` and are not released yet, for this transaction
# (cleared with it on rollback), and whether the precommit hook that releases them is registered: see
# ``StockPicking._compute_state``.
_READY_CANDIDATES = 'logistics_bridge.ready_candidates'
_READY_HOOK = 'logistics_bridge.ready_hook'
# Released pickings (``lb_automation_state`` set) whose state was last computed as something else than
# ``assigned``: their released work may be void (``stock.picking.withdrawn``), see ``_lb_withdraw_candidates``.
_WITHDRAW_CANDIDATES = 'logistics_bridge.withdraw_candidates'
# Context key set while a device's dispatch validates a picking: its work is finished, not void.
DEVICE_VALIDATION = 'logistics_bridge_device_validation'

READY = 'stock.picking.ready'
WITHDRAWN = 'stock.picking.withdrawn'
# The picking state that voided the work -> the ``reason`` of ``stock.picking.withdrawn``; any other
# state than these and ``assigned`` (confirmed, waiting) means the reservation is gone: ``unreserved``.
WITHDRAW_REASON = {'cancel': 'cancelled', 'done': 'done', 'draft': 'draft'}

# Labels of lib/picking_state.py's steps, in its order; an open exception is shown over them.
STEP_LABELS = {'released': 'Released', 'acknowledged': 'Acknowledged', 'in_progress': 'In progress',
               'picked': 'Picked', 'packed': 'Packed', 'sorted': 'Sorted', 'shipped': 'Shipped'}
PROGRESS_STATES = [(step, STEP_LABELS[step]) for step in picking_state.STEPS]
AUTOMATION_STATES = PROGRESS_STATES + [(picking_state.EXCEPTION, 'Exception')]
AUTOMATION_RANK = {state: rank for rank, (state, _label) in enumerate(AUTOMATION_STATES)}
DELIVERY_LABELS = {'pre_transit': 'Pre-transit', 'in_transit': 'In transit', 'out_for_delivery': 'Out for delivery',
                   'failed_attempt': 'Failed attempt', 'exception': 'Delivery exception', 'delivered': 'Delivered',
                   'returned': 'Returned'}
DELIVERY_STATES = [(state, DELIVERY_LABELS[state]) for state in picking_state.DELIVERY_STATES]
# Delivery states that need a person (a setback, a parcel on its way back): they win an order's summary.
DELIVERY_PROBLEMS = ('exception', 'failed_attempt', 'returned')
EXCEPTION_ACTIVITY = 'logistics_bridge.mail_activity_type_exception'
DELIVERY_ACTIVITY = 'logistics_bridge.mail_activity_type_delivery'
DISCREPANCY_ACTIVITY = 'logistics_bridge.mail_activity_type_discrepancy'
POD_EXTENSIONS = {'image/png': 'png', 'image/jpeg': 'jpg', 'image/svg+xml': 'svg', 'application/pdf': 'pdf'}


def summarize_automation(states):
    """Order-level summary: exception wins, else the least advanced picking sets the pace."""
    states = [s for s in states if s]
    if not states:
        return False
    if 'exception' in states:
        return 'exception'
    return min(states, key=AUTOMATION_RANK.get)


def summarize_delivery(states):
    """Order-level delivery of its shipped parcels: a problem wins, else the least advanced parcel."""
    states = [s for s in states if s]
    if not states:
        return False
    problems = [s for s in DELIVERY_PROBLEMS if s in states]
    if problems:
        return problems[0]
    return min(states, key=picking_state.DELIVERY_RANK.get)


def product_data(product):
    return {'id': product.id, 'default_code': product.default_code, 'barcode': product.barcode,
            'name': product.name}


def location_data(location):
    return location and {'id': location.id, 'name': location.complete_name, 'barcode': location.barcode}


def partner_data(partner):
    return partner and {'id': partner.id, 'ref': partner.ref, 'city': partner.city,
                        'country_code': partner.country_id.code}


class StockPicking(models.Model):
    _inherit = 'stock.picking'

    # What users see (lib/picking_state.shown): the open exception, else the progress. Written only by
    # _lb_apply_fact, from the state below.
    lb_automation_state = fields.Selection(AUTOMATION_STATES, string='Automation', readonly=True, copy=False,
                                           index='btree_not_null')
    lb_progress = fields.Selection(PROGRESS_STATES, string='Automation progress', readonly=True, copy=False)
    lb_progress_at = fields.Datetime(string='Progress reached at', readonly=True, copy=False,
                                     help='Event time of the last automation step reached.')
    lb_exception_step = fields.Char(string='Failed step', readonly=True, copy=False,
                                    help='The step whose failure is open: a later success of it, or of a step after it, '
                                         'clears the exception; so does an integration manager.')
    lb_exception_at = fields.Datetime(string='Failed at', readonly=True, copy=False)
    lb_acknowledged_at = fields.Datetime(string='Acknowledged by the WMS', readonly=True, copy=False,
                                         help='Event time of the first acknowledgement by the warehouse system.')
    lb_external_ref = fields.Char(string='WMS order', readonly=True, copy=False,
                                  help="The warehouse system's own number for this picking.")
    lb_delivery_state = fields.Selection(DELIVERY_STATES, string='Delivery', readonly=True, copy=False,
                                         index='btree_not_null', help='As the carrier reported it, forward only.')
    lb_delivery_at = fields.Datetime(string='Carrier event at', readonly=True, copy=False)
    lb_delivery_code = fields.Char(string='Carrier status', readonly=True, copy=False,
                                   help="The carrier's own code of its last event.")
    lb_delivery_location = fields.Char(string='Carrier location', readonly=True, copy=False)
    lb_delivery_description = fields.Char(string='Carrier message', readonly=True, copy=False)
    lb_delivered_at = fields.Datetime(string='Delivered on', readonly=True, copy=False)
    lb_received_by = fields.Char(string='Received by', readonly=True, copy=False)
    lb_asn_ref = fields.Char(string='Advance ship notice', readonly=True, copy=False,
                             help="The supplier's notice number (DESADV / ASN) this receipt was announced with.")
    lb_asn_expected_date = fields.Date(string='Announced for', readonly=True, copy=False)
    lb_asn_at = fields.Datetime(string='Notice sent at', readonly=True, copy=False)
    lb_asn_line_ids = fields.One2many('logistics.bridge.asn.line', 'picking_id', string='Announced lines', readonly=True)
    lb_discrepancy_ids = fields.One2many('logistics.bridge.discrepancy', 'picking_id', string='Discrepancies', readonly=True)
    lb_discrepancy_count = fields.Integer(compute='_compute_lb_discrepancy_count', string='Receipt discrepancies')
    lb_pod_attachment_ids = fields.Many2many('ir.attachment', 'logistics_bridge_picking_pod_rel', 'picking_id',
                                             'attachment_id', string='Proof of delivery', readonly=True, copy=False)
    lb_last_update_at = fields.Datetime(string='Last update', readonly=True, copy=False)
    lb_last_update_type = fields.Char(string='Last update type', readonly=True, copy=False)
    lb_last_device = fields.Char(string='Last device', readonly=True, copy=False)
    lb_last_exception = fields.Text(string='Automation exception', readonly=True, copy=False)
    lb_carrier = fields.Char(string='Carrier (automation)', readonly=True, copy=False)
    lb_sort_destination = fields.Char(string='Sort chute / lane', readonly=True, copy=False)
    # Same field as stock_delivery's, so that the labelling update works without that module.
    carrier_tracking_ref = fields.Char(string='Tracking Reference', copy=False, index='btree_not_null')
    lb_timeline_count = fields.Integer(compute='_compute_lb_timeline_count', string='Bridge timeline')

    def _lb_correlation_id(self):
        """Key chain shared by the order, its pickings and the device updates about them.

        Read with the bridge's rights: the user who validates a delivery may have no right on its sale order.
        """
        self.ensure_one()
        picking = self.sudo()
        if picking.sale_id:
            return picking.sale_id.name
        if picking.purchase_id:
            return picking.purchase_id.name
        if picking.return_id:
            return picking.return_id._lb_correlation_id()
        return picking.name

    @api.depends('lb_discrepancy_ids')
    def _compute_lb_discrepancy_count(self):
        for picking in self:
            picking.lb_discrepancy_count = len(picking.lb_discrepancy_ids)

    def _lb_timeline_domain(self):
        return ['|', ('correlation_id', '=', self._lb_correlation_id()), ('picking_id', '=', self.id)]

    def _compute_lb_timeline_count(self):
        timeline = self.env['logistics.bridge.timeline']
        for picking in self:
            picking.lb_timeline_count = picking.id and timeline.search_count(picking._lb_timeline_domain())

    def action_view_lb_timeline(self):
        self.ensure_one()
        action = self.env['ir.actions.act_window']._for_xml_id('logistics_bridge.logistics_bridge_timeline_action')
        action['domain'] = self._lb_timeline_domain()
        return action

    # ------------------------------------------------------------------ outbox
    def _lb_payload(self):
        picking = {
            'id': self.id, 'name': self.name, 'picking_type_code': self.picking_type_code,
            'picking_type': self.picking_type_id.name, 'warehouse': self.picking_type_id.warehouse_id.code,
            'state': self.state, 'origin': self.origin, 'return_of': self.return_id.name or None,
            'scheduled_date': canonical.iso_utc(self.scheduled_date), 'date_done': canonical.iso_utc(self.date_done),
            'partner': partner_data(self.partner_id), 'location': location_data(self.location_id),
            'location_dest': location_data(self.location_dest_id), 'carrier_tracking_ref': self.carrier_tracking_ref,
            'carrier': {'name': self._lb_carrier_name(), 'tracking_number': self.carrier_tracking_ref},
        }
        lines = [{
            'line_id': move.id, 'product': product_data(move.product_id), 'quantity': move.product_uom_qty,
            'quantity_allocated': move.quantity, 'uom': move.product_uom.name,
            'location': location_data(move.location_id), 'location_dest': location_data(move.location_dest_id),
        } for move in self.move_ids if move.state != 'cancel' or self.state == 'cancel']
        return canonical.shipment_payload(picking, lines)

    def _lb_event_payload(self, event_type, **extra):
        if event_type == WITHDRAWN:
            return canonical.withdrawn_payload(
                {'id': self.id, 'name': self.name, 'picking_type_code': self.picking_type_code,
                 'warehouse': self.picking_type_id.warehouse_id.code},
                extra['reason'], extra['voids'])
        payload = self._lb_payload()
        if event_type == READY:
            payload['shipment']['sort_destination'] = canonical.sort_destination_ref(
                self._lb_sort_destination() if self.picking_type_code == 'outgoing' else None)
        return payload

    def _lb_carrier_name(self):
        """The carrier: stock_delivery's shipping method when that module is installed and set, else the one
        a labelling device or a carrier platform reported."""
        return (self.carrier_id.name if 'carrier_id' in self._fields and self.carrier_id else self.lb_carrier) or None

    def _lb_sort_facts(self):
        """The picking's values the sort rules match on (lib/sort_rules.py): carrier, route, country, priority."""
        carrier = self._lb_carrier_name()
        routes = self.move_ids.rule_id.route_id or self.move_ids.route_ids
        partner = self.partner_id
        return {'carrier': carrier or None, 'route': routes[:1].id or None,
                'country': partner.country_id.code or partner.commercial_partner_id.country_id.code or None,
                'priority': self.priority or None}

    def _lb_sort_destination(self):
        rules = self.env['logistics.bridge.sort.rule'].sudo()._lb_rules_for(self.company_id)
        return sort_rules.destination(rules, **self._lb_sort_facts())

    def _lb_emit(self, event_type, **extra):
        """One outbox row per picking, read with the bridge's rights; the row still records who acted.

        Building the payload never breaks the business transaction it observes: an unexpected error is
        logged and the event is written *dead*, with the picking's identity only and the error, so that an
        integration manager sees it (and the picking's later events wait for it). Database errors
        propagate: the transaction is lost anyway and must not commit without its event.
        """
        Event = self.env['logistics.bridge.event'].sudo()
        for picking in self.sudo():
            try:
                payload = picking._lb_event_payload(event_type, **extra)
                correlation_id, error = picking._lb_correlation_id(), None
            except psycopg2.Error:
                raise
            except Exception as exc:  # noqa: BLE001 -- see the docstring: a bug here must not cost the user's work
                _logger.exception('logistics_bridge: could not build %s for picking %s', event_type, picking.id)
                payload = dict({'shipment': {'id': picking.id, 'name': picking.name}, 'lines': []}, **extra)
                correlation_id, error = None, f'payload could not be built: {exc!r}'
            event_id = Event._emit(event_type, picking, payload, PRIORITY_HIGH, correlation_id)
            if event_id and error:
                self.env.cr.execute(SQL(
                    "UPDATE logistics_bridge_event SET state = 'dead', last_error = %s WHERE id = %s", error, event_id))

    # ------------------------------------------------------------------ release (stock.picking.ready)
    # A picking is released (``stock.picking.ready``, automation state ``released``) the first time it is
    # ``assigned``: reserved, or a receipt whose source needs no reservation. Whatever path gets it there
    # (confirmation, reservation, a backorder, a return, the previous step of a route being done), its
    # state is recomputed by ``_compute_state``, which only notes the picking. The note is turned into the
    # event at well-defined points: right after the stock methods that change reservations
    # (``stock.move._action_confirm`` / ``_action_assign``, ``_create_backorder``), before a validation
    # (so that ``ready`` precedes ``done``), and in any case before the transaction commits (precommit).
    # ``lb_automation_state`` (not copied to backorders) makes it once per work item: a withdrawal as draft or
    # unreserved clears it, so the picking is released anew when it is workable again.
    def _compute_state(self):
        super()._compute_state()
        ready, void = [], []
        for picking in self:
            if not isinstance(picking.id, int):
                continue
            if picking.state == 'assigned':
                ready.append(picking.id)
            elif picking.lb_automation_state:
                void.append(picking.id)
        if ready or void:
            data = self.env.cr.precommit.data
            if ready:
                data.setdefault(_READY_CANDIDATES, set()).update(ready)
            if void:
                data.setdefault(_WITHDRAW_CANDIDATES, set()).update(void)
            if not data.get(_READY_HOOK):
                data[_READY_HOOK] = True
                self.env.cr.precommit.add(self.env['stock.picking']._lb_release_before_commit)

    @api.model
    def _lb_release_before_commit(self):
        # Unflagged first: a state computed after this hook (by a later precommit hook) registers it again.
        self.env.cr.precommit.data.pop(_READY_HOOK, None)
        self._lb_withdraw_candidates()
        self._lb_release_candidates()
        self.env.flush_all()

    @api.model
    def _lb_release_candidates(self):
        """Release the noted pickings that are still ``assigned`` and were never released."""
        self.env['stock.picking']._recompute_model(['state'])
        data = self.env.cr.precommit.data
        while ids := data.pop(_READY_CANDIDATES, None):
            pickings = self.sudo().browse(sorted(ids)).exists()
            pickings.filtered(lambda p: p.state == 'assigned' and not p.lb_automation_state)._lb_on_ready()

    def _lb_on_ready(self):
        """Released to the warehouse: once per picking (a backorder is a new picking and is released again)."""
        released = self.sudo().filtered(lambda p: not p.lb_automation_state)
        released._lb_apply_fact(picking_state.step_succeeded, 'released', fields.Datetime.now())
        released._lb_emit('stock.picking.ready')

    # ------------------------------------------------------------------ withdrawal (stock.picking.withdrawn)
    # Released work is void when its picking is no longer ``assigned``: cancelled, validated in Odoo by
    # hand (a device's dispatch finishes its work, it does not void it), back to draft, or unreserved.
    # The open work of a picking is read from the outbox: its ``ready`` events whose uuid no
    # ``withdrawn`` of the picking lists in ``voids`` yet (so pickings released before this version are
    # withdrawn too, and never twice for one ready). The candidates noted by ``_compute_state`` are
    # handled after the cancelling / validating / unreserving methods and before commit (precommit,
    # before the releases: a picking withdrawn and reserved again in one transaction is released anew).
    # Inside a stock method only the pickings it was called on are decided (``only``): the others may be
    # half-way through a flow (a move merged away is cancelled while its picking is briefly not assigned)
    # and are decided later, at the latest before commit.
    @api.model
    def _lb_withdraw_candidates(self, only=None, device_done=()):
        self.env['stock.picking']._recompute_model(['state'])
        data = self.env.cr.precommit.data
        while ids := data.pop(_WITHDRAW_CANDIDATES, None):
            if only is not None:
                later = ids - set(only)
                if later:
                    data.setdefault(_WITHDRAW_CANDIDATES, set()).update(later)
                ids = ids & set(only)
            pickings = self.sudo().browse(sorted(ids)).exists()
            pickings.filtered(lambda p: p.state != 'assigned')._lb_withdraw(set(device_done))
            if only is not None:
                break

    def _lb_open_work(self):
        """{picking id: [uuid of each ready event whose work is not withdrawn yet]}, in release order."""
        if not self.ids:
            return {}
        self.env.cr.execute(SQL("""
            SELECT aggregate_id, uuid, event_type, payload FROM logistics_bridge_event
             WHERE aggregate_key = ANY(%s) AND event_type IN %s
             ORDER BY id""", [f'stock.picking:{pid}' for pid in self.ids], (READY, WITHDRAWN)))
        ready, voided = {}, set()
        for picking_id, event_uuid, event_type, payload in self.env.cr.fetchall():
            if event_type == READY:
                ready.setdefault(picking_id, []).append(event_uuid)
            else:
                try:
                    voided.update(json.loads(payload).get('voids') or ())
                except (ValueError, AttributeError, TypeError):
                    _logger.warning('logistics_bridge: unreadable withdrawn payload of picking %s', picking_id)
        return {pid: [u for u in uuids if u not in voided] for pid, uuids in ready.items()}

    def _lb_withdraw(self, device_done=frozenset()):
        open_work = self._lb_open_work()
        for picking in self:
            voids = open_work.get(picking.id)
            reason = WITHDRAW_REASON.get(picking.state, 'unreserved')
            if not voids or (reason == 'done' and picking.id in device_done):
                continue
            picking._lb_emit(WITHDRAWN, reason=reason, voids=voids)
            if reason in ('draft', 'unreserved'):
                # Workable again later: a new release, a new work item (a new ready event).
                picking._lb_apply_fact(picking_state.withdrawn)

    def do_unreserve(self):
        res = super().do_unreserve()
        self._lb_withdraw_candidates(only=self.ids)
        return res

    def _create_backorder(self, *args, **kwargs):
        backorders = super()._create_backorder(*args, **kwargs)
        self._lb_release_candidates()
        return backorders

    def _action_done(self):
        self._lb_release_candidates()
        res = super()._action_done()
        self.sudo().filtered(lambda p: p.state == 'done')._lb_emit('stock.picking.done')
        self._lb_withdraw_candidates(only=self.ids, device_done=self.ids if self.env.context.get(DEVICE_VALIDATION) else ())
        return res

    # ------------------------------------------------------------------ inbox effects
    def _lb_record_update(self, update_type, device, event_time, step=None, failed=None, delivery=None,
                          reason=None, summary=None, details=None):
        """The inbox's one write point of a picking's state: one fact of an update at ``event_time``.

        ``step``: that automation step succeeded; ``failed``: that step failed (``reason`` says why, and the
        activity gets ``summary``); ``delivery``: the carrier's normalised status, with ``details`` (its code,
        location, message) stored only when the status is taken. No fact: the update is only noted. The
        last update shown is the newest by event time. Answers why the fact changed nothing (or None), for
        the inbox row.
        """
        notes = []
        for picking in self:
            if not picking.lb_last_update_at or not event_time or event_time >= picking.lb_last_update_at:
                picking.write({'lb_last_update_type': update_type, 'lb_last_update_at': event_time,
                               'lb_last_device': device or False})
            if step:
                outcome = picking._lb_apply_fact(picking_state.step_succeeded, step, event_time)
            elif failed:
                outcome = picking._lb_apply_fact(picking_state.step_failed, failed, event_time,
                                                 reason=reason, summary=summary)
            elif delivery:
                outcome = picking._lb_apply_fact(picking_state.carrier_status, delivery, event_time,
                                                 reason=reason, summary=summary, details=details)
            else:
                continue
            if outcome.note:
                notes.append(outcome.note)
        return '; '.join(notes) or None

    def _lb_state(self):
        self.ensure_one()
        return picking_state.PickingState(
            progress=self.lb_progress or None, progress_time=self.lb_progress_at or None,
            exception_step=self.lb_exception_step or None, exception_time=self.lb_exception_at or None,
            delivery=self.lb_delivery_state or None, delivery_time=self.lb_delivery_at or None,
            closed=self.state in ('done', 'cancel'))

    def _lb_apply_fact(self, fact, *args, reason=None, summary=None, details=None):
        """Decide with lib/picking_state.py (``fact`` is one of its functions), store what it answers: the
        state fields, the exception text, the activities it raises or closes. Answers the last Outcome."""
        outcome = None
        for picking in self:
            old = picking._lb_state()
            outcome = fact(old, *args)
            new = outcome.state
            carrier = fact is picking_state.carrier_status
            vals = {}
            if outcome.changed:
                vals.update(lb_progress=new.progress or False, lb_progress_at=new.progress_time or False,
                            lb_exception_step=new.exception_step or False, lb_exception_at=new.exception_time or False,
                            lb_delivery_state=new.delivery or False, lb_delivery_at=new.delivery_time or False,
                            lb_automation_state=picking_state.shown(new) or False)
                if new.exception_step and new.exception_time != old.exception_time:
                    vals['lb_last_exception'] = reason or False
                if carrier:
                    vals.update(details or {})
            if outcome.cleared and not carrier:
                vals['lb_last_exception'] = False
            if vals:
                picking.write(vals)
            if outcome.cleared:
                picking._lb_close_activities(DELIVERY_ACTIVITY if carrier else EXCEPTION_ACTIVITY)
            if outcome.activity:
                note = reason or outcome.note or ''
                if outcome.note and reason and not outcome.changed:
                    note = f'{reason} ({outcome.note})'
                picking._lb_schedule_exception(summary or self.env._('Logistics exception'), note,
                                               DELIVERY_ACTIVITY if carrier else EXCEPTION_ACTIVITY)
        return outcome

    # ------------------------------------------------------------------ proof of delivery
    def _lb_store_proof(self, delivered_at, received_by, proofs):
        """Proof of delivery on a delivered picking: what it lacks is filled in, nothing is overwritten.
        ``proofs``: [(kind, (content_type, bytes))], stored as attachments of the picking."""
        self.ensure_one()
        vals = {}
        if not self.lb_delivered_at:
            vals['lb_delivered_at'] = delivered_at
        if received_by and not self.lb_received_by:
            vals['lb_received_by'] = str(received_by)[:256]
        have = set(self.lb_pod_attachment_ids.mapped('description'))
        attachments = self.env['ir.attachment'].create([{
            'name': f'{self.name.replace("/", "-")} {kind}.{POD_EXTENSIONS[content_type]}',
            'description': kind, 'raw': data, 'mimetype': content_type,
            'res_model': 'stock.picking', 'res_id': self.id,
        } for kind, (content_type, data) in proofs if kind not in have])
        if attachments:
            vals['lb_pod_attachment_ids'] = [Command.link(a.id) for a in attachments]
        self.write(vals)

    # ------------------------------------------------------------------ advance ship notice
    def _lb_expected(self):
        """{product id: quantity this receipt still expects, in the product's unit}, and their names."""
        expected, names = {}, {}
        for move in self.move_ids.filtered(lambda m: m.state != 'cancel'):
            product = move.product_id
            quantity = move.product_uom._compute_quantity(move.product_uom_qty, product.uom_id)
            expected[product.id] = expected.get(product.id, 0.0) + quantity
            names[product.id] = product.display_name
        return expected, names

    def _lb_announce(self, asn_ref, expected_date, lines, event_time):
        """Store an advance ship notice (``lines``: product record, ref, quantity, lots, ssccs) on this
        receipt, replacing an older one, and compare it with the order. Answers why it was not stored."""
        self.ensure_one()
        if self.lb_asn_at and event_time and event_time < self.lb_asn_at:
            return f'a notice of a later time ({self.lb_asn_ref}) is stored: this one is kept out'
        self.lb_asn_line_ids.unlink()
        self.write({'lb_asn_ref': asn_ref, 'lb_asn_expected_date': expected_date, 'lb_asn_at': event_time,
                    'lb_asn_line_ids': [Command.create({
                        'sequence': index, 'product_id': line['product'].id, 'product_ref': line['ref'],
                        'quantity': line['quantity'], 'lots': ','.join(line['lots']) or False,
                        'ssccs': ','.join(line['ssccs']) or False,
                    }) for index, line in enumerate(lines)]})
        expected, names = self._lb_expected()
        tracked = set(self.move_ids.product_id.filtered(lambda p: p.tracking != 'none').ids)
        found = receipt_check.against_order(expected, names, self.lb_asn_line_ids._lib_lines(), tracked)
        self._lb_store_discrepancies('announced', found)
        return None

    def _lb_check_count(self):
        """Compare what is counted so far (picked moves) with the stored notice."""
        self.ensure_one()
        counted = []
        for product in self.move_ids.filtered(lambda m: m.picked and m.state != 'cancel').product_id:
            moves = self.move_ids.filtered(lambda m, p=product: m.product_id == p and m.picked)
            quantity = sum(m.product_uom._compute_quantity(m.quantity, product.uom_id) for m in moves)
            lots = tuple(sorted(set(moves.move_line_ids.lot_id.mapped('name'))))
            counted.append(receipt_check.Line(product.id, product.display_name, quantity, lots))
        self._lb_store_discrepancies('counted', receipt_check.against_notice(self.lb_asn_line_ids._lib_lines(), counted))

    def _lb_store_discrepancies(self, stage, found):
        """Replace the discrepancies of ``stage``; a person is told when they changed and some remain."""
        old = self.lb_discrepancy_ids.filtered(lambda d: d.stage == stage)
        texts = [receipt_check.describe(d, stage) for d in found]
        if sorted(old.mapped('name')) == sorted(texts):
            return
        old.unlink()
        self.env['logistics.bridge.discrepancy'].create([{
            'picking_id': self.id, 'stage': stage, 'kind': d.kind, 'product_id': d.product or False, 'lot': d.lot or False,
            'expected_qty': d.expected or 0.0, 'actual_qty': d.actual or 0.0, 'name': text,
        } for d, text in zip(found, texts)])
        if texts:
            summary = (self.env._('Notice %(asn)s differs from the order', asn=self.lb_asn_ref) if stage == 'announced'
                       else self.env._('Count differs from notice %(asn)s', asn=self.lb_asn_ref))
            self._lb_schedule_exception(summary, Markup('<br/>').join(texts), DISCREPANCY_ACTIVITY)

    def _lb_close_activities(self, activity_xmlid):
        activity_type = self.env.ref(activity_xmlid)
        self.activity_ids.filtered(lambda a: a.activity_type_id == activity_type).action_done()

    def action_lb_resolve_exception(self):
        """An integration manager closes the open exception by hand (lib/picking_state.resolved_by_manager)."""
        if not self.env.user.has_group('logistics_bridge.logistics_bridge_group_manager'):
            raise AccessError(self.env._('Only an integration manager can resolve an automation exception.'))
        for picking in self.sudo().filtered('lb_exception_step'):
            picking._lb_apply_fact(picking_state.resolved_by_manager)
            picking.message_post(body=self.env._('Automation exception resolved by %s.', self.env.user.name))
        return True

    def _lb_validate(self, backorder):
        """Validate without any wizard left waiting: the backorder question is answered in code."""
        self.ensure_one()
        # The device finished the work: validating it is no withdrawal (see _lb_withdraw_candidates).
        res = self.with_context(**{DEVICE_VALIDATION: True}).button_validate()
        if isinstance(res, dict) and res.get('res_model') == 'stock.backorder.confirmation':
            wizard = self.env['stock.backorder.confirmation'].with_context(
                res['context'], **{DEVICE_VALIDATION: True}).create({})
            if backorder == 'create':
                wizard.process()
            else:
                wizard.process_cancel_backorder()
        elif isinstance(res, dict) and res.get('type') == 'ir.actions.act_window':
            raise UserError(self.env._('%(picking)s needs a manual step to validate: %(step)s',
                                       picking=self.name, step=res.get('name') or res.get('res_model')))
        if self.state != 'done':
            raise UserError(self.env._('%s could not be validated.', self.name))

    def _lb_invoice_on_dispatch(self):
        """Finance setting: invoice once the last delivery of an order invoiced on delivery is done."""
        order = self.sale_id
        if (self.env['logistics.bridge.event']._param('invoice_on_dispatch') not in ('True', '1')
                or not order or self.picking_type_code != 'outgoing'):
            return
        products = order.order_line.filtered(lambda line: not line.display_type).product_id
        if (any(p.state not in ('done', 'cancel') for p in order.picking_ids if p.picking_type_code == 'outgoing')
                or any(policy != 'delivery' for policy in products.mapped('invoice_policy'))):
            return
        if order.invoice_status == 'to invoice':
            order._create_invoices()

    @api.model
    def _lb_exception_user(self):
        for xmlid in ('logistics_bridge.logistics_bridge_group_manager', 'stock.group_stock_manager'):
            users = compat.group_users(self.env.ref(xmlid)).filtered(lambda u: u.active and not u.share)
            if users:
                return users[0]
        return self.env.ref('base.user_admin')

    def _lb_schedule_exception(self, summary, note, activity_xmlid=EXCEPTION_ACTIVITY):
        for picking in self:
            picking.activity_schedule(activity_xmlid, summary=summary, note=note,
                                      user_id=(picking.user_id or self._lb_exception_user()).id)
