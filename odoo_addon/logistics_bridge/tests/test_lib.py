"""The pure modules (no ORM): backoff, canonical payloads, SSCC."""
import json

from odoo.tests import BaseCase

from ..lib import backoff, canonical
from ..lib.sort_rules import Destination


class TestBackoff(BaseCase):

    def test_delay_doubles_and_is_capped(self):
        delays = [backoff.next_delay(n, base=2, cap=60, jitter=0) for n in range(1, 8)]
        self.assertEqual(delays, [2, 4, 8, 16, 32, 60, 60])

    def test_jitter_stays_within_bounds(self):
        self.assertEqual(backoff.next_delay(3, base=2, jitter=0.1, rand=lambda: 0.0), 8 * 0.9)
        self.assertEqual(backoff.next_delay(3, base=2, jitter=0.1, rand=lambda: 1.0), 8 * 1.1)

    def test_huge_attempt_counts_do_not_overflow(self):
        self.assertEqual(backoff.next_delay(10_000, cap=3600, jitter=0), 3600)

    def test_exhausted(self):
        self.assertFalse(backoff.is_exhausted(9, 10))
        self.assertTrue(backoff.is_exhausted(10, 10))
        self.assertTrue(backoff.is_exhausted(1, 10, permanent=True))


class TestCanonical(BaseCase):

    def test_canonical_json_is_compact_and_sorted(self):
        self.assertEqual(canonical.canonical_json({'b': 1, 'a': [1, 'é']}), '{"a":[1,"é"],"b":1}')

    def test_pretty_json_indents_and_keeps_other_text(self):
        self.assertEqual(canonical.pretty_json('{"b":1,"a":["é"]}'), '{\n  "a": [\n    "é"\n  ],\n  "b": 1\n}')
        self.assertEqual(canonical.pretty_json('not json {'), 'not json {')
        self.assertEqual(canonical.pretty_json(False), '')

    def test_partner_is_minimised(self):
        ref = canonical.partner_ref({'id': 3, 'ref': 'C1', 'city': 'Lyon', 'country_code': 'FR',
                                     'street': 'x', 'email': 'y', 'phone': 'z'})
        self.assertEqual(ref, {'id': 3, 'ref': 'C1', 'city': 'Lyon', 'country_code': 'FR'})

    def test_shipment_direction_and_lines(self):
        payload = canonical.shipment_payload(
            {'id': 1, 'name': 'WH/OUT/1', 'picking_type_code': 'outgoing', 'state': 'assigned'},
            [{'product': {'id': 2, 'default_code': 'A', 'barcode': False, 'name': 'A'}, 'quantity': 3.0,
              'uom': 'Units', 'location': {'id': 8, 'name': 'WH/Stock', 'barcode': None}}])
        self.assertEqual(payload['shipment']['direction'], 'outbound')
        self.assertEqual(payload['lines'][0]['product']['barcode'], None)
        self.assertEqual(payload['lines'][0]['location']['name'], 'WH/Stock')
        self.assertEqual(canonical.direction('incoming'), 'inbound')
        self.assertEqual(canonical.direction('internal'), 'internal')
        json.loads(canonical.canonical_json(payload))

    def test_shipment_carrier(self):
        def carrier(**picking):
            return canonical.shipment_payload(dict({'id': 1, 'name': 'WH/OUT/1', 'picking_type_code': 'outgoing',
                                                    'state': 'done'}, **picking), [])['shipment']['carrier']
        self.assertEqual(carrier(carrier={'name': 'DHL Express', 'tracking_number': 'JD014600006281230704'}),
                         {'name': 'DHL Express', 'code': 'dhl_express', 'tracking_number': 'JD014600006281230704'})
        self.assertEqual(carrier(carrier={'name': None, 'tracking_number': 'RA473124829GB'}),
                         {'name': None, 'code': None, 'tracking_number': 'RA473124829GB'})
        self.assertIsNone(carrier(carrier={'name': None, 'tracking_number': False}))
        self.assertIsNone(carrier())
        self.assertEqual(canonical.carrier_code(' La Poste / Colissimo '), 'la_poste_colissimo')

    def test_withdrawn_payload_is_identity_reason_and_voids_only(self):
        payload = canonical.withdrawn_payload(
            {'id': 4, 'name': 'WH/IN/4', 'picking_type_code': 'incoming', 'state': 'cancel',
             'warehouse': 'WH'}, 'unreserved', ('u-1', 'u-2'))
        self.assertEqual(payload, {
            'shipment': {'id': 4, 'name': 'WH/IN/4', 'direction': 'inbound',
                         'warehouse': 'WH'},
            'reason': 'unreserved', 'voids': ['u-1', 'u-2']})
        self.assertIsNone(canonical.withdrawn_payload(
            {'id': 5, 'name': 'X', 'picking_type_code': 'internal'}, 'draft', [])['shipment']['warehouse'])
        with self.assertRaises(ValueError):
            canonical.withdrawn_payload({'id': 5, 'name': 'X', 'picking_type_code': 'internal'}, 'lost', [])

    def test_sort_destination_ref(self):
        self.assertEqual(canonical.sort_destination_ref(Destination('C1', None, 7)), {'chute': 'C1', 'lane': None, 'rule': 7})
        self.assertIsNone(canonical.sort_destination_ref(None))

    def test_sscc_check_digit(self):
        self.assertTrue(canonical.sscc_is_valid('106141411234567897'))
        self.assertFalse(canonical.sscc_is_valid('106141411234567890'))
        self.assertFalse(canonical.sscc_is_valid('10614141123456789'))
        self.assertFalse(canonical.sscc_is_valid(106141411234567897))
