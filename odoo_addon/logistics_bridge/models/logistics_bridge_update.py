"""Idempotent inbox: ERP-relevant updates from devices, applied exactly once.

Each update runs in its own savepoint: the inbox row (unique idempotency key) and its effect commit
together or not at all, so replaying a key changes nothing and one bad update never fails its batch.
"""
import base64
import binascii
import logging
from datetime import datetime, timedelta, timezone

from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, float_compare

from .. import compat
from ..lib import picking_state
from ..lib.canonical import canonical_json, sscc_is_valid
from .stock_picking import DELIVERY_ACTIVITY

_logger = logging.getLogger(__name__)

STATE_APPLIED = 'applied'
STATE_REJECTED = 'rejected'
STATES = [(STATE_APPLIED, 'Applied'), (STATE_REJECTED, 'Rejected')]

STATUS_APPLIED = 'applied'
STATUS_DUPLICATE = 'duplicate'
STATUS_REJECTED = 'rejected'
STATUS_RETRY = 'retry'

# Transient database conditions: the caller retries the same update later.
TRANSIENT_ERRORS = (pg_errors.SerializationFailure, pg_errors.LockNotAvailable, pg_errors.DeadlockDetected)
# A concurrent transaction inserted the same key: once it commits, the retry answers duplicate.
KEY_CONSTRAINT = 'logistics_bridge_update_idempotency_key_uniq'

UPDATE_TYPES = [
    'device.status', 'pick.confirmed', 'pack.completed', 'shipment.labelled', 'parcel.sorted',
    'shipment.dispatched', 'receipt.counted', 'task.failed', 'inventory.counted',
    # Partner types (docs/partners.md): warehouse systems, carrier platforms, suppliers.
    'shipment.tracking', 'shipment.delivered', 'order.acknowledged', 'order.refused', 'receipt.announced',
]
# The automation step an update proves, and so the step that failed when it is rejected
# (lib/picking_state.py); an update of another type, rejected, fails the step being worked on.
UPDATE_STEP = {
    'order.acknowledged': 'acknowledged', 'order.refused': 'acknowledged', 'pick.confirmed': 'picked',
    'receipt.counted': 'picked', 'pack.completed': 'packed', 'shipment.labelled': 'packed', 'parcel.sorted': 'sorted',
    'shipment.dispatched': 'shipped', 'shipment.tracking': 'shipped', 'shipment.delivered': 'shipped',
}
# Facts about a picking that are no step of its automation: refused, they are told, the picking goes on.
NO_STEP_TYPES = ('receipt.announced',)
# The partner doors name the sender ``partner:<id>`` (docs/partners.md).
PARTNER_ADAPTER = 'partner:'
# Proof of delivery (the contract's ``Attachment``, ``MAX_ATTACHMENT_BYTES``): file kinds and types.
POD_KINDS = ('signature', 'photo')
POD_TYPES = ('image/png', 'image/jpeg', 'image/svg+xml', 'application/pdf')
MAX_ATTACHMENT_BYTES = 256 * 1024


class UpdateRejected(UserError):
    """A permanent, readable problem with one update (bad reference, bad quantity, wrong state)."""


def _parse_time(value, name='event_time'):
    try:
        moment = datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        raise UpdateRejected(f'{name} is not an ISO 8601 date: {value!r}') from None
    if moment.tzinfo:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _quantity(line, key='quantity'):
    value = line.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise UpdateRejected(f'{key} must be a number >= 0, got {value!r}')
    return float(value)


def _coded(payload):
    """A partner's or device's reason with its code: "[E17] unknown ship-to"."""
    return f'[{payload["code"]}] {payload["reason"]}' if payload.get('code') else str(payload['reason'])


def _attachment(value, kind):
    """A proof-of-delivery file of the contract (``Attachment``): checked, decoded, before any effect."""
    if not isinstance(value, dict) or value.get('content_type') not in POD_TYPES:
        raise UpdateRejected(f'{kind}.content_type must be one of {", ".join(POD_TYPES)}')
    try:
        data = base64.b64decode(value.get('data_base64') or '', validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise UpdateRejected(f'{kind}.data_base64 is not base64') from None
    if not data or len(data) > MAX_ATTACHMENT_BYTES:
        raise UpdateRejected(f'{kind}.data_base64 must decode to 1..{MAX_ATTACHMENT_BYTES} bytes, got {len(data)}')
    return value['content_type'], data


class LogisticsBridgeUpdate(models.Model):
    _name = 'logistics.bridge.update'
    _inherit = ['mail.thread', 'mail.activity.mixin']
    _description = 'Logistics Bridge Inbox Update'
    _order = 'id desc'
    _rec_name = 'idempotency_key'

    idempotency_key = fields.Char(required=True, readonly=True)
    update_type = fields.Char(required=True, readonly=True, index=True)
    adapter_id = fields.Char(string='Adapter', readonly=True)
    device_id = fields.Char(string='Device ID', readonly=True, help='Device identifier as sent by the adapter.')
    device_record_id = fields.Many2one('logistics.bridge.device', string='Device', readonly=True, index='btree_not_null')
    correlation_id = fields.Char(readonly=True, index='btree_not_null')
    event_time = fields.Datetime(readonly=True)
    payload = fields.Text(readonly=True)
    state = fields.Selection(STATES, required=True, readonly=True)
    reason = fields.Text(readonly=True)
    note = fields.Char(readonly=True, help="Why an applied update changed nothing on its picking (a late or older fact).")
    picking_id = fields.Many2one('stock.picking', readonly=True, index='btree_not_null')
    product_id = fields.Many2one('product.product', readonly=True)
    company_id = fields.Many2one('res.company', readonly=True)
    applied_at = fields.Datetime(readonly=True)
    resolved_by_id = fields.Many2one('res.users', string='Resolved by', readonly=True)
    resolved_at = fields.Datetime(string='Resolved on', readonly=True)

    # Exactly-once rests on this: a second row with the same key cannot be committed, on both series.
    if compat.CONSTRAINT_OBJECTS:
        _idempotency_key_uniq = models.Constraint('UNIQUE(idempotency_key)', 'An update with this idempotency key already exists.')
    else:
        _sql_constraints = [
            ('idempotency_key_uniq', 'UNIQUE(idempotency_key)', 'An update with this idempotency key already exists.'),
        ]

    # ------------------------------------------------------------------ API (sidecar)
    @api.model
    def apply_batch(self, updates):
        """Apply each update idempotently; one result per update, in order, never a failed batch."""
        self.env['logistics.bridge.event']._check_relay_access()
        return [self._apply_one(update) for update in updates]

    @api.model
    def _apply_one(self, update):
        key = update.get('idempotency_key') if isinstance(update, dict) else None
        if not key or not isinstance(key, str):
            return {'idempotency_key': key, 'status': STATUS_REJECTED, 'reason': 'idempotency_key is required'}
        self.env.cr.execute(SQL(
            'SELECT id, state = %s AND resolved_at IS NULL FROM logistics_bridge_update WHERE idempotency_key = %s',
            STATE_REJECTED, key))
        row = self.env.cr.fetchone()
        # A key seen before is a duplicate, unless it was rejected and nobody closed it: sending it again is
        # the replay after a fix (a product barcode added, a picking released), so it is applied now.
        retry_rejected = row[0] if row and row[1] else None
        if row and not retry_rejected:
            return {'idempotency_key': key, 'status': STATUS_DUPLICATE, 'update_id': row[0]}
        try:
            with self.env.cr.savepoint():
                if retry_rejected:
                    self.sudo().browse(retry_rejected)._retire_rejected()
                record = self.sudo()._apply_effect(update)
            return {'idempotency_key': key, 'status': STATUS_APPLIED, 'update_id': record.id}
        except (*TRANSIENT_ERRORS, pg_errors.UniqueViolation) as error:
            if isinstance(error, pg_errors.UniqueViolation) and error.diag.constraint_name != KEY_CONSTRAINT:
                return self._reject(update, f'{type(error).__name__}: {error}')
            return {'idempotency_key': key, 'status': STATUS_RETRY, 'reason': str(error).strip()}
        except Exception as error:  # noqa: BLE001 - reported per update, the batch goes on
            if not isinstance(error, UserError):
                _logger.warning('Update %s rejected by an unexpected error', key, exc_info=True)
            reason = error.args[0] if isinstance(error, UserError) else f'{type(error).__name__}: {error}'
            if retry_rejected:  # still refused: the first rejection's row takes the newest reason
                self.sudo().browse(retry_rejected).write({'reason': reason})
                return {'idempotency_key': key, 'status': STATUS_REJECTED, 'reason': reason, 'update_id': retry_rejected}
            return self._reject(update, reason)

    def _retire_rejected(self):
        """The rejected row stays as history under a derived key, closed by the replay that succeeded."""
        self.ensure_one()
        self.write({'idempotency_key': f'{self.idempotency_key}#rejected-{self.id}',
                    'resolved_by_id': self.env.uid, 'resolved_at': fields.Datetime.now()})
        self.env.flush_all()

    def _reject(self, update, reason):
        with self.env.cr.savepoint():
            record = self.sudo()._store_rejected(update, reason)
        return {'idempotency_key': update['idempotency_key'], 'status': STATUS_REJECTED, 'reason': reason,
                'update_id': record.id}

    def _envelope_vals(self, update):
        payload = update.get('payload')
        device = update.get('device_id') or False
        return {
            'idempotency_key': update['idempotency_key'],
            'update_type': str(update.get('type') or '?'),
            'adapter_id': update.get('adapter_id') or False,
            'device_id': device,
            'device_record_id': device and self.env['logistics.bridge.device'].search(
                [('name', '=', device)], limit=1).id,
            'correlation_id': update.get('correlation_id') or False,
            'payload': canonical_json(payload) if payload is not None else False,
            'company_id': self.env.company.id,
        }

    def _apply_effect(self, update):
        update_type = update.get('type')
        if update_type not in UPDATE_TYPES:
            raise UpdateRejected(f'unknown update type {update_type!r}')
        payload = update.get('payload')
        if not isinstance(payload, dict):
            raise UpdateRejected('payload must be an object')
        event_time = _parse_time(update.get('event_time'))
        handler = getattr(self, '_apply_' + update_type.replace('.', '_'))
        vals = self._envelope_vals(update)
        vals.update(handler(payload, update, event_time) or {})
        if vals.get('picking_id'):
            vals['company_id'] = self.env['stock.picking'].browse(vals['picking_id']).company_id.id
        return self._create_row(dict(vals, state=STATE_APPLIED, event_time=event_time, applied_at=fields.Datetime.now()))

    def _create_row(self, vals):
        # Inbox rows carry activities (exceptions), not a discussion: no chatter work per update.
        return self.with_context(tracking_disable=True).create(vals)

    def _store_rejected(self, update, reason):
        vals = self._envelope_vals(update)
        payload = update.get('payload')
        picking = self._rejected_picking(payload) if isinstance(payload, dict) else self.env['stock.picking']
        try:
            event_time = _parse_time(update.get('event_time'))
        except UpdateRejected:
            event_time = fields.Datetime.now()
        record = self._create_row(dict(vals, state=STATE_REJECTED, reason=reason, event_time=event_time,
                                  picking_id=picking.id, company_id=picking.company_id.id or vals['company_id']))
        adapter = vals['adapter_id'] or ''
        if adapter.startswith(PARTNER_ADAPTER):
            summary = self.env._('Rejected partner update %(type)s from %(partner)s', type=vals['update_type'],
                                 partner=adapter[len(PARTNER_ADAPTER):])
        else:
            summary = self.env._('Rejected device update %(type)s', type=vals['update_type'])
        if picking and vals['update_type'] in NO_STEP_TYPES:
            picking._lb_schedule_exception(summary, reason)
        elif picking:
            # The step the update would have proved failed; on a done picking it is recorded with an
            # activity, and a step since overcome opens nothing (lib/picking_state.step_failed).
            step = UPDATE_STEP.get(vals['update_type']) or picking_state.next_step(picking._lb_state())
            picking._lb_record_update(vals['update_type'], vals['device_id'], event_time, failed=step,
                                      reason=reason, summary=summary)
        else:
            record._lb_schedule_exception(summary, reason)
        return record

    def _rejected_picking(self, payload):
        """The picking a refused update names, if any can be found (it gets the failure, see above)."""
        for key in ('picking', 'receipt'):
            if isinstance(payload.get(key), dict):
                return self._find_picking(payload[key])
        number = payload.get('tracking_number')
        if number and isinstance(number, str):
            return self.env['stock.picking'].search([('carrier_tracking_ref', '=', number)], order='id desc', limit=1)
        return self.env['stock.picking']

    # ------------------------------------------------------------------ references
    def _find_picking(self, ref):
        pickings = self.env['stock.picking']
        if ref.get('id'):
            return pickings.browse(int(ref['id'])).exists()
        if ref.get('name'):
            return pickings.search([('name', '=', ref['name'])], limit=1)
        return pickings

    def _picking(self, ref):
        if not isinstance(ref, dict):
            raise UpdateRejected('picking reference must be an object with "id" or "name"')
        picking = self._find_picking(ref)
        if not picking:
            raise UpdateRejected(f'picking not found: {canonical_json(ref)}')
        return picking

    def _product(self, ref):
        """The product of a line. ``work_ref`` (what the work gave the device: the product id, or
        ``product.product:<id>``) is tried first, so that an answer still applies after the product's barcode
        changed; then ``id``, ``barcode``, ``default_code``."""
        if not isinstance(ref, dict):
            raise UpdateRejected('product reference must be an object with "id", "barcode", "default_code" or "work_ref"')
        products = self.env['product.product']
        product = products
        if ref.get('work_ref') not in (None, '', False):
            product = products.browse(self._work_ref_id(ref['work_ref'])).exists()
        if not product and ref.get('id'):
            product = products.browse(int(ref['id'])).exists()
        elif not product and ref.get('barcode'):
            product = products.search([('barcode', '=', ref['barcode'])], limit=1)
        elif not product and ref.get('default_code'):
            product = products.search([('default_code', '=', ref['default_code'])], limit=1)
        if not product:
            raise UpdateRejected(f'product not found: {canonical_json(ref)}')
        return product

    @staticmethod
    def _work_ref_id(work_ref):
        text = str(work_ref).strip()
        if text.startswith('product.product:'):
            text = text[len('product.product:'):]
        if isinstance(work_ref, bool) or not text.isdigit() or not 0 < int(text) < 2 ** 31:
            raise UpdateRejected(f'product work_ref must be "product.product:<id>" or a product id, got {work_ref!r}')
        return int(text)

    def _location(self, ref):
        if not isinstance(ref, dict):
            raise UpdateRejected('location reference must be an object with "id", "barcode" or "name"')
        locations = self.env['stock.location']
        if ref.get('id'):
            location = locations.browse(int(ref['id'])).exists()
        elif ref.get('barcode'):
            location = locations.search([('barcode', '=', ref['barcode'])], limit=1)
        elif ref.get('name'):
            location = locations.search([('complete_name', '=', ref['name'])], limit=1)
        else:
            location = locations
        if not location:
            raise UpdateRejected(f'location not found: {canonical_json(ref)}')
        return location

    def _line_quantity(self, line, product):
        if line.get('uom') and line['uom'] != product.uom_id.name:
            raise UpdateRejected(f'{product.display_name}: quantity must be in {product.uom_id.name}, not {line["uom"]}')
        return _quantity(line)

    def _lot(self, product, name, company, create):
        lot = self.env['stock.lot'].search([('product_id', '=', product.id), ('name', '=', name),
                                            ('company_id', 'in', [company.id, False])], limit=1)
        if not lot and create:
            lot = self.env['stock.lot'].create({'name': name, 'product_id': product.id, 'company_id': company.id})
        if not lot:
            raise UpdateRejected(f'lot {name!r} not found for {product.display_name}')
        return lot

    def _open_picking(self, payload):
        picking = self._picking(payload.get('picking'))
        if picking.state in ('done', 'cancel'):
            raise UpdateRejected(f'{picking.name} is already {picking.state}')
        return picking

    # ------------------------------------------------------------------ effects, one per type
    def _set_picked(self, picking, lines, create_lots):
        """Set picked quantities (product UoM in, move UoM stored) per product, lot and location."""
        if not isinstance(lines, list) or not lines:
            raise UpdateRejected('lines must be a non-empty list')
        for line in lines:
            product = self._product(line.get('product'))
            quantity = self._line_quantity(line, product)
            moves = picking.move_ids.filtered(lambda m: m.product_id == product and m.state not in ('done', 'cancel'))
            if not moves:
                raise UpdateRejected(f'{product.display_name} is not on {picking.name}')
            move = moves[0]
            move_qty = product.uom_id._compute_quantity(quantity, move.product_uom)
            if not line.get('lot') and not line.get('location'):
                move.write({'quantity': move_qty, 'picked': True})
                continue
            lot = line.get('lot') and self._lot(product, line['lot'], picking.company_id, create_lots)
            location = line.get('location') and self._location(line['location'])
            move_lines = move.move_line_ids.filtered(
                lambda ml: (not lot or ml.lot_id == lot) and (not location or ml.location_id == location))
            if not move_lines and lot:
                # A receipt's lines come without a lot until it is counted: the count names it.
                move_lines = move.move_line_ids.filtered(
                    lambda ml: not ml.lot_id and not ml.picked and (not location or ml.location_id == location))
            if move_lines:
                move_lines[0].write(dict({'quantity': move_qty, 'picked': True}, **({'lot_id': lot.id} if lot else {})))
            else:
                self.env['stock.move.line'].create({
                    'move_id': move.id, 'picking_id': picking.id, 'product_id': product.id,
                    'product_uom_id': move.product_uom.id, 'quantity': move_qty, 'picked': True,
                    'lot_id': lot.id if lot else False,
                    'location_id': (location or move.location_id).id,
                    'location_dest_id': move.location_dest_id.id,
                })
            move.picked = True
        complete = all(m.picked and float_compare(m.quantity, m.product_uom_qty,
                                                  precision_rounding=m.product_uom.rounding) >= 0
                       for m in picking.move_ids if m.state != 'cancel')
        return 'picked' if complete else 'in_progress'

    def _apply_device_status(self, payload, update, event_time):
        if payload.get('status') not in ('online', 'offline', 'error'):
            raise UpdateRejected(f'status must be online, offline or error, got {payload.get("status")!r}')
        if not update.get('device_id'):
            raise UpdateRejected('device_id is required for device.status')
        device = self.env['logistics.bridge.device']._apply_status(update, payload, event_time)
        return {'device_record_id': device.id}

    def _record(self, picking, update, event_time, **fact):
        """The picking's state takes the update's fact; the inbox row keeps why it changed nothing."""
        note = picking._lb_record_update(update['type'], update.get('device_id'), event_time, **fact)
        return {'picking_id': picking.id, 'note': note or False}

    def _apply_pick_confirmed(self, payload, update, event_time):
        picking = self._open_picking(payload)
        step = self._set_picked(picking, payload.get('lines'), create_lots=False)
        return self._record(picking, update, event_time, step=step)

    def _apply_receipt_counted(self, payload, update, event_time):
        picking = self._open_picking(payload)
        if picking.picking_type_code != 'incoming':
            raise UpdateRejected(f'{picking.name} is not a receipt')
        step = self._set_picked(picking, payload.get('lines'), create_lots=True)
        if picking.lb_asn_ref:
            picking._lb_check_count()
        return self._record(picking, update, event_time, step=step)

    def _apply_pack_completed(self, payload, update, event_time):
        picking = self._open_picking(payload)
        sscc = payload.get('sscc')
        if not sscc_is_valid(sscc):
            raise UpdateRejected(f'sscc must be 18 digits with a valid GS1 check digit, got {sscc!r}')
        move_lines = picking.move_line_ids.filtered(lambda ml: ml.quantity and not ml.result_package_id)
        if payload.get('lines'):
            products = self.env['product.product'].union(*(self._product(line.get('product')) for line in payload['lines']))
            move_lines = move_lines.filtered(lambda ml: ml.product_id in products)
        if not move_lines:
            raise UpdateRejected(f'nothing left to pack on {picking.name}')
        package = self.env[compat.PACKAGE_MODEL].search([('name', '=', sscc)], limit=1)
        if not package:
            package = self.env[compat.PACKAGE_MODEL].create({'name': sscc, 'company_id': picking.company_id.id})
        if payload.get('weight_kg') is not None:
            package.shipping_weight = _quantity(payload, 'weight_kg')
        move_lines.write({'result_package_id': package.id, 'picked': True})
        return self._record(picking, update, event_time, step='packed')

    def _apply_shipment_labelled(self, payload, update, event_time):
        picking = self._picking(payload.get('picking'))
        if not payload.get('tracking_number') or not payload.get('carrier'):
            raise UpdateRejected('carrier and tracking_number are required')
        picking.write({'carrier_tracking_ref': payload['tracking_number'], 'lb_carrier': payload['carrier']})
        # A label is printed for a packed parcel: a picking that was not that far yet now is.
        return self._record(picking, update, event_time, step='packed')

    def _apply_parcel_sorted(self, payload, update, event_time):
        if not payload.get('chute'):
            raise UpdateRejected('chute is required')
        if payload.get('picking'):
            picking = self._picking(payload['picking'])
        else:
            picking = self.env['stock.move.line'].search(
                [('result_package_id.name', '=', payload.get('sscc'))], limit=1).picking_id
            if not picking:
                raise UpdateRejected(f'no picking packed with sscc {payload.get("sscc")!r}')
        lane = payload.get('lane')
        picking.lb_sort_destination = f'{payload["chute"]} / {lane}' if lane else payload['chute']
        return self._record(picking, update, event_time, step='sorted')

    def _apply_shipment_dispatched(self, payload, update, event_time):
        picking = self._open_picking(payload)
        backorder = payload.get('backorder', 'create')
        if backorder not in ('create', 'cancel'):
            raise UpdateRejected(f'backorder must be "create" or "cancel", got {backorder!r}')
        if payload.get('lines'):
            self._set_picked(picking, payload['lines'], create_lots=False)
        picking._lb_validate(backorder)
        vals = self._record(picking, update, event_time, step='shipped')
        picking._lb_invoice_on_dispatch()
        return vals

    def _apply_task_failed(self, payload, update, event_time):
        if not payload.get('reason'):
            raise UpdateRejected('reason is required')
        reason = _coded(payload)
        picking = self._picking(payload['picking']) if payload.get('picking') else self.env['stock.picking']
        if not picking:
            return {'reason': reason}
        # A failure reported without its step is the failure of the step being worked on.
        return dict(self._record(picking, update, event_time, failed=picking_state.next_step(picking._lb_state()),
                                 reason=reason, summary=self.env._('Device task failed')), reason=reason)

    def _apply_order_acknowledged(self, payload, update, event_time):
        picking = self._picking(payload.get('picking'))
        vals = {}
        if payload.get('external_ref'):
            vals['lb_external_ref'] = str(payload['external_ref'])
        if not picking.lb_acknowledged_at or event_time < picking.lb_acknowledged_at:
            vals['lb_acknowledged_at'] = event_time
        picking.write(vals)
        return self._record(picking, update, event_time, step='acknowledged')

    def _apply_order_refused(self, payload, update, event_time):
        picking = self._picking(payload.get('picking'))
        if not payload.get('reason'):
            raise UpdateRejected('reason is required')
        if payload.get('external_ref'):
            picking.lb_external_ref = str(payload['external_ref'])
        reason = _coded(payload)
        return dict(self._record(picking, update, event_time, failed='acknowledged', reason=reason,
                                 summary=self.env._('Picking refused by the warehouse system')), reason=reason)

    def _shipment(self, payload):
        """The picking a carrier statement is about: by reference, else by its tracking number."""
        if payload.get('picking'):
            picking = self._picking(payload['picking'])
        elif payload.get('tracking_number'):
            picking = self.env['stock.picking'].search(
                [('carrier_tracking_ref', '=', payload['tracking_number']), ('state', '!=', 'cancel')],
                order='id desc', limit=1)
            if not picking:
                raise UpdateRejected(f'no picking with tracking number {payload["tracking_number"]!r}')
        else:
            raise UpdateRejected('picking or tracking_number is required')
        if picking.state == 'cancel':
            raise UpdateRejected(f'{picking.name} is cancelled')
        # The platform may know the parcel before a label update reached Odoo: fill in what is missing.
        vals = {}
        if payload.get('tracking_number') and not picking.carrier_tracking_ref:
            vals['carrier_tracking_ref'] = payload['tracking_number']
        if payload.get('carrier') and not picking.lb_carrier:
            vals['lb_carrier'] = payload['carrier']
        picking.write(vals)
        return picking

    def _carrier_fact(self, picking, update, event_time, status, details):
        label = dict(picking._fields['lb_delivery_state'].selection)[status]
        vals = self._record(picking, update, event_time, delivery=status, details=details,
                            reason=details.get('lb_delivery_description') or details.get('lb_delivery_code') or label,
                            summary=self.env._('Delivery: %s', label))
        if picking.lb_delivery_state == 'delivered' and picking.state != 'done' and status == 'delivered':
            picking._lb_schedule_exception(
                self.env._('Delivered by the carrier, not validated in Odoo'),
                self.env._('%s was delivered but is still %s in Odoo: validate it.', picking.name, picking.state),
                DELIVERY_ACTIVITY)
        return vals

    def _apply_shipment_tracking(self, payload, update, event_time):
        status = payload.get('status')
        if status not in picking_state.DELIVERY_RANK:
            raise UpdateRejected(f'status must be one of {", ".join(picking_state.DELIVERY_STATES)}, got {status!r}')
        if not payload.get('carrier') or not payload.get('carrier_status'):
            raise UpdateRejected('carrier and carrier_status are required')
        picking = self._shipment(payload)
        vals = self._carrier_fact(picking, update, event_time, status, {
            'lb_delivery_code': payload['carrier_status'], 'lb_delivery_location': payload.get('location') or False,
            'lb_delivery_description': payload.get('description') or False})
        if status == 'delivered' and picking.lb_delivery_state == 'delivered' and not picking.lb_delivered_at:
            picking.lb_delivered_at = event_time
        return vals

    def _apply_shipment_delivered(self, payload, update, event_time):
        delivered_at = _parse_time(payload.get('delivered_at'), 'delivered_at')
        proofs = [(kind, _attachment(payload[kind], kind)) for kind in POD_KINDS if payload.get(kind)]
        picking = self._shipment(payload)
        vals = self._carrier_fact(picking, update, event_time, 'delivered', {
            'lb_delivery_code': payload.get('carrier_status') or 'delivered',
            'lb_delivery_location': payload.get('location') or False, 'lb_delivery_description': False})
        if picking.lb_delivery_state == 'delivered':
            # Taken now, or delivered before (a platform sends the signature later): the proof fills in gaps.
            picking._lb_store_proof(delivered_at, payload.get('received_by'), proofs)
        return vals

    def _apply_receipt_announced(self, payload, update, event_time):
        if not payload.get('asn_ref'):
            raise UpdateRejected('asn_ref is required')
        expected_date = _parse_time(payload.get('expected_date'), 'expected_date').date()
        lines = payload.get('lines')
        if not isinstance(lines, list) or not lines:
            raise UpdateRejected('lines must be a non-empty list')
        receipt = self._announced_receipt(payload)
        announced = []
        for index, line in enumerate(lines):
            if not isinstance(line, dict):
                raise UpdateRejected(f'lines[{index}] must be an object')
            quantity = _quantity(line)
            lots, ssccs = line.get('lots') or [], line.get('ssccs') or []
            if not all(isinstance(v, str) and v for v in lots):
                raise UpdateRejected(f'lines[{index}].lots must be a list of lot names')
            if not all(sscc_is_valid(v) for v in ssccs):
                raise UpdateRejected(f'lines[{index}].ssccs must be SSCCs with a valid GS1 check digit')
            try:
                product = self._product(line.get('product'))
            except UpdateRejected:
                # A product Odoo does not know is a discrepancy of the notice, not a reason to refuse it.
                product = self.env['product.product']
            announced.append({'product': product, 'ref': canonical_json(line.get('product')), 'quantity': quantity,
                              'lots': lots, 'ssccs': ssccs})
        note = receipt._lb_announce(payload['asn_ref'], expected_date, announced, event_time)
        vals = self._record(receipt, update, event_time)
        return dict(vals, note=note or False)

    def _announced_receipt(self, payload):
        """The open receipt an advance ship notice is about: named, or the purchase order's first open one."""
        if payload.get('receipt'):
            receipt = self._open_picking({'picking': payload['receipt']})
            if receipt.picking_type_code != 'incoming':
                raise UpdateRejected(f'{receipt.name} is not a receipt')
            return receipt
        ref = payload.get('purchase_order')
        if not isinstance(ref, dict) or not (ref.get('id') or ref.get('name')):
            raise UpdateRejected('purchase_order ({"id"} or {"name"}) or receipt is required')
        orders = self.env['purchase.order']
        order = orders.browse(int(ref['id'])).exists() if ref.get('id') else orders.search([('name', '=', ref['name'])], limit=1)
        if not order:
            raise UpdateRejected(f'purchase order not found: {canonical_json(ref)}')
        receipts = order.picking_ids.filtered(
            lambda p: p.picking_type_code == 'incoming' and p.state not in ('done', 'cancel')).sorted('id')
        if not receipts:
            raise UpdateRejected(f'{order.name} has no open receipt')
        return receipts[0]

    def _apply_inventory_counted(self, payload, update, event_time):
        product = self._product(payload.get('product'))
        location = self._location(payload.get('location'))
        if location.usage != 'internal':
            raise UpdateRejected(f'{location.complete_name} is not an internal location')
        quantity = self._line_quantity(payload, product)
        lot = self.env['stock.lot']
        if payload.get('lot'):
            lot = self._lot(product, payload['lot'], location.company_id, create=True)
        quants = self.env['stock.quant']._gather(product, location, lot_id=lot, strict=True)
        if quants:
            # Odoo may keep several quants for one product and location: the first absorbs the difference.
            quants[0].inventory_quantity = quantity - sum(quants[1:].mapped('quantity'))
            quant = quants[0]
        else:
            quant = self.env['stock.quant'].with_context(inventory_mode=True).create({
                'product_id': product.id, 'location_id': location.id, 'lot_id': lot.id,
                'inventory_quantity': quantity,
            })
        quant._apply_inventory()
        return {'product_id': product.id}

    # ------------------------------------------------------------------ managers
    def action_mark_resolved(self):
        if any(update.state != STATE_REJECTED for update in self):
            raise UserError(self.env._('Only rejected updates can be marked as resolved.'))
        self.write({'resolved_by_id': self.env.uid, 'resolved_at': fields.Datetime.now()})
        self.activity_ids.action_done()

    def _lb_schedule_exception(self, summary, note):
        self.activity_schedule('logistics_bridge.mail_activity_type_exception', summary=summary, note=note,
                               user_id=self.env['stock.picking']._lb_exception_user().id)

    @api.model
    def _housekeeping_domain(self):
        limit = fields.Datetime.now() - timedelta(days=int(self.env['logistics.bridge.event']._param('retention_days')))
        return [('state', '=', STATE_APPLIED), ('applied_at', '<', limit)]
