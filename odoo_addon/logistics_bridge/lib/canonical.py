"""Canonical event payloads (schema_version 1).

Built from plain dicts extracted from records by the models, so the wire format is decided here and
tested without a database. Field names are the contract with consumers: add, never rename.
"""
import json
import re

SCHEMA_VERSION = 1

DIRECTIONS = {'incoming': 'inbound', 'outgoing': 'outbound'}


def canonical_json(value):
    """Compact JSON with sorted keys: equal payloads are equal strings."""
    return json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)


def iso_utc(moment):
    """Naive UTC datetime (as Odoo stores them) to ISO 8601 with Z; None stays None."""
    return moment.replace(microsecond=0).isoformat() + 'Z' if moment else None


def direction(picking_type_code):
    return DIRECTIONS.get(picking_type_code, 'internal')


def product_ref(product):
    return {
        'id': product['id'],
        'default_code': product.get('default_code') or None,
        'barcode': product.get('barcode') or None,
        'name': product.get('name'),
    }


def location_ref(location):
    if not location:
        return None
    return {'id': location['id'], 'name': location.get('name'), 'barcode': location.get('barcode') or None}


def partner_ref(partner):
    """Minimised partner: enough to route and group, no street, phone or e-mail."""
    if not partner:
        return None
    return {
        'id': partner['id'],
        'ref': partner.get('ref') or None,
        'city': partner.get('city') or None,
        'country_code': partner.get('country_code') or None,
    }


def _line(line):
    out = {
        'product': product_ref(line['product']),
        'quantity': line['quantity'],
        'uom': line['uom'],
    }
    for key in ('line_id', 'expected_date', 'lot', 'location', 'location_dest', 'quantity_allocated'):
        if key in line:
            out[key] = location_ref(line[key]) if key.startswith('location') else line[key]
    return out


def order_payload(order, lines):
    """sale.order.* / purchase.order.*: an order and its lines (ASN-like for purchases)."""
    return {
        'order': {
            'id': order['id'],
            'name': order['name'],
            'kind': order['kind'],
            'state': order['state'],
            'date': order.get('date'),
            'client_ref': order.get('client_ref') or None,
            'partner': partner_ref(order.get('partner')),
            'warehouse': order.get('warehouse'),
            'company_id': order.get('company_id'),
        },
        'lines': [_line(line) for line in lines],
    }


def shipment_payload(picking, lines):
    """stock.picking.* / stock.return.created: one transfer with direction and lines."""
    return {
        'shipment': {
            'id': picking['id'],
            'name': picking['name'],
            'direction': direction(picking['picking_type_code']),
            'picking_type': picking.get('picking_type'),
            'warehouse': picking.get('warehouse'),
            'state': picking['state'],
            'origin': picking.get('origin') or None,
            'return_of': picking.get('return_of'),
            'scheduled_date': picking.get('scheduled_date'),
            'date_done': picking.get('date_done'),
            'partner': partner_ref(picking.get('partner')),
            'location': location_ref(picking.get('location')),
            'location_dest': location_ref(picking.get('location_dest')),
            'carrier_tracking_ref': picking.get('carrier_tracking_ref') or None,
            'carrier': carrier_ref(picking.get('carrier')),
        },
        'lines': [_line(line) for line in lines],
    }


def carrier_code(name):
    """A carrier's name as a stable lower-case code ("DHL Express" -> "dhl_express")."""
    return re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_') or None


def carrier_ref(carrier):
    """The shipment's carrier: its name, a code derived from it, the tracking number; None when none is known."""
    if not carrier or not (carrier.get('name') or carrier.get('tracking_number')):
        return None
    name = carrier.get('name') or None
    return {'name': name, 'code': carrier_code(name) if name else None,
            'tracking_number': carrier.get('tracking_number') or None}


WITHDRAW_REASONS = ('cancelled', 'done', 'draft', 'unreserved')


def withdrawn_payload(picking, reason, voids):
    """stock.picking.withdrawn: the released work of a picking (its ``stock.picking.ready`` events, by
    uuid) is void. Only what a router needs to find and withdraw the work: no lines."""
    if reason not in WITHDRAW_REASONS:
        raise ValueError(f'unknown withdraw reason {reason!r}')
    return {
        'shipment': {
            'id': picking['id'],
            'name': picking['name'],
            'direction': direction(picking['picking_type_code']),
            'warehouse': picking.get('warehouse') or None,  # its code, as in every shipment
        },
        'reason': reason,
        'voids': list(voids),
    }


def sort_destination_ref(destination):
    """The chute and lane lib/sort_rules.py found for an outbound picking, or None."""
    if destination is None:
        return None
    return {'chute': destination.chute, 'lane': destination.lane or None, 'rule': destination.rule_id}


def inventory_payload(adjustment):
    """stock.inventory.adjusted: one counted product at one location."""
    return {
        'inventory': {
            'product': product_ref(adjustment['product']),
            'location': location_ref(adjustment['location']),
            'lot': adjustment.get('lot') or None,
            'counted_quantity': adjustment['counted_quantity'],
            'difference': adjustment['difference'],
            'uom': adjustment['uom'],
            'date': adjustment.get('date'),
        }
    }


def product_payload(product):
    """product.changed: latest master data of one product variant."""
    return {
        'product': dict(
            product_ref(product),
            uom=product['uom'],
            active=product['active'],
            storable=product['storable'],
            tracking=product['tracking'],
            weight_kg=product.get('weight'),
            volume_m3=product.get('volume'),
        )
    }


def sscc_is_valid(sscc):
    """GS1 SSCC: 18 digits, the last one the mod-10 check digit of the 17 before it."""
    if not isinstance(sscc, str) or len(sscc) != 18 or not sscc.isdigit():
        return False
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(sscc[:17])))
    return (10 - total % 10) % 10 == int(sscc[17])


def pretty_json(text):
    """A stored JSON text for a person: indented, keys sorted; text that is not JSON as it is."""
    if not text:
        return ''
    try:
        return json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False)
    except ValueError:
        return text
