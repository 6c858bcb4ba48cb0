"""The partner update types (docs/partners.md) as the inbox applies them: carrier tracking up to proof of
delivery, advance ship notices against the purchase order and the count."""
import base64
import json

from odoo import Command
from odoo.tests import tagged

from .common import LogisticsBridgeCase

TRACKING = 'RA473124829GB'
# The smallest PNG there is (1x1, transparent): a signature as a carrier platform would send it.
PNG = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=')


def at(minute, hour=10):
    return f'2026-12-01T{hour:02d}:{minute:02d}:00Z'


def partner(**envelope):
    return dict({'adapter_id': 'partner:easypost', 'device_id': 'easypost'}, **envelope)


@tagged('post_install', '-at_install')
class TestCarrierUpdates(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.order = cls.confirmed_sale(cls, qty=2)
        cls.picking = cls.order.picking_ids
        cls.delivery_type = cls.env.ref('logistics_bridge.mail_activity_type_delivery')

    def dispatch(self):
        ref = {'id': self.picking.id}
        self.assertEqual(self.apply('shipment.labelled', {'picking': ref, 'carrier': 'La Poste', 'tracking_number': TRACKING},
                                    event_time=at(0))['status'], 'applied')
        self.assertEqual(self.apply('shipment.dispatched', {'picking': ref}, event_time=at(1))['status'], 'applied')

    def track(self, status, minute, hour=10, **payload):
        body = dict({'tracking_number': TRACKING, 'carrier': 'La Poste', 'status': status,
                     'carrier_status': status.upper()}, **payload)
        return self.apply('shipment.tracking', body, key=f'track:{status}:{hour}:{minute}', event_time=at(minute, hour),
                          **partner())

    def delivery_activities(self):
        return self.picking.activity_ids.filtered(lambda a: a.activity_type_id == self.delivery_type)

    def test_tracking_moves_the_delivery_forward_only(self):
        self.dispatch()
        self.assertEqual(self.track('pre_transit', 5)['status'], 'applied')
        self.assertEqual(self.track('in_transit', 20, location='Roissy HUB', description='Parcel sorted at hub')['status'], 'applied')
        self.assertEqual((self.picking.lb_delivery_state, self.picking.lb_delivery_location, self.picking.lb_delivery_code),
                         ('in_transit', 'Roissy HUB', 'IN_TRANSIT'))
        self.assertEqual(self.order.lb_delivery_state, 'in_transit')
        self.track('out_for_delivery', 50)
        # A hub scan of 10:30 that the platform sends after the 10:50 "out for delivery" changes nothing.
        late = self.track('in_transit', 30, location='Chilly-Mazarin')
        self.assertEqual(late['status'], 'applied')
        self.assertEqual((self.picking.lb_delivery_state, self.picking.lb_delivery_location), ('out_for_delivery', False))
        self.assertIn('older', self.Update.browse(late['update_id']).note)
        self.assertEqual(self.picking.lb_automation_state, 'shipped', 'the automation state is not the delivery state')
        self.assertEqual(self.order.lb_delivery_state, 'out_for_delivery')

    def test_a_setback_raises_an_activity_that_the_delivery_closes(self):
        self.dispatch()
        self.track('out_for_delivery', 10)
        self.track('failed_attempt', 40, description='Recipient absent, notice left')
        self.assertEqual(self.picking.lb_delivery_state, 'failed_attempt')
        self.assertEqual(self.order.lb_delivery_state, 'failed_attempt')
        activity = self.delivery_activities()
        self.assertEqual(len(activity), 1)
        self.assertIn('Recipient absent', activity.note)
        self.track('delivered', 5, hour=11)
        self.assertEqual(self.picking.lb_delivery_state, 'delivered')
        self.assertEqual(str(self.picking.lb_delivered_at), '2026-12-01 11:05:00')
        self.assertFalse(self.delivery_activities())

    def test_tracking_is_refused_clearly(self):
        self.dispatch()
        self.assertIn('status must be one of', self.track('teleported', 5)['reason'])
        unknown = self.apply('shipment.tracking', {'tracking_number': 'RB000000000GB', 'carrier': 'La Poste',
                                                   'status': 'in_transit', 'carrier_status': 'X'}, **partner())
        self.assertEqual(unknown['status'], 'rejected')
        self.assertIn("no picking with tracking number 'RB000000000GB'", unknown['reason'])
        self.assertIn('Rejected partner update shipment.tracking from easypost',
                      self.Update.browse(unknown['update_id']).activity_ids.summary)

    def test_tracking_by_picking_fills_in_the_carrier_and_tracking_number(self):
        result = self.apply('shipment.tracking', {'picking': {'name': self.picking.name}, 'tracking_number': TRACKING,
                                                  'carrier': 'USPS', 'status': 'pre_transit', 'carrier_status': 'pre_transit'},
                            **partner())
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual((self.picking.carrier_tracking_ref, self.picking.lb_carrier, self.picking.lb_delivery_state),
                         (TRACKING, 'USPS', 'pre_transit'))

    def test_proof_of_delivery_is_stored_on_the_picking_once(self):
        self.dispatch()
        update = {'tracking_number': TRACKING, 'carrier': 'La Poste', 'carrier_status': 'LIVRE', 'delivered_at': at(7, 14),
                  'received_by': 'M. Martin', 'location': 'Lyon 3e',
                  'signature': {'content_type': 'image/png', 'data_base64': base64.b64encode(PNG).decode()}}
        for _ in range(3):
            result = self.apply('shipment.delivered', update, key='pod-1', event_time=at(8, 14), **partner())
        self.assertEqual(result['status'], 'duplicate')
        self.assertEqual(self.Update.search_count([('idempotency_key', '=', 'pod-1')]), 1)
        self.assertEqual((self.picking.lb_delivery_state, self.picking.lb_received_by), ('delivered', 'M. Martin'))
        self.assertEqual(str(self.picking.lb_delivered_at), '2026-12-01 14:07:00')
        self.assertEqual(self.order.lb_delivery_state, 'delivered')
        signature = self.picking.lb_pod_attachment_ids
        self.assertEqual(len(signature), 1)
        self.assertEqual((signature.res_model, signature.res_id, signature.mimetype, signature.raw),
                         ('stock.picking', self.picking.id, 'image/png', PNG))
        self.assertIn('signature', signature.name)
        # The platform sends the photo later with the same delivery: it is added, nothing else is rewritten.
        photo = dict(update, received_by='someone else', signature=None,
                     photo={'content_type': 'image/jpeg', 'data_base64': base64.b64encode(b'\xff\xd8\xff photo').decode()})
        self.assertEqual(self.apply('shipment.delivered', photo, key='pod-2', event_time=at(30, 14), **partner())['status'], 'applied')
        self.assertEqual(sorted(self.picking.lb_pod_attachment_ids.mapped('description')), ['photo', 'signature'])
        self.assertEqual(self.picking.lb_received_by, 'M. Martin')

    def test_a_bad_proof_is_refused_with_its_field_and_changes_nothing(self):
        self.dispatch()
        bad = self.apply('shipment.delivered', {'tracking_number': TRACKING, 'delivered_at': at(7, 14),
                                                'signature': {'content_type': 'image/png', 'data_base64': 'not base64!'}},
                         **partner())
        self.assertEqual(bad['status'], 'rejected')
        self.assertIn('signature.data_base64 is not base64', bad['reason'])
        self.assertFalse(self.picking.lb_delivery_state)
        self.assertFalse(self.picking.lb_pod_attachment_ids)
        self.assertEqual(self.picking.lb_automation_state, 'shipped', 'a refusal about a done picking opens no exception')
        late = self.apply('shipment.delivered', {'tracking_number': TRACKING, 'delivered_at': 'yesterday'}, **partner())
        self.assertIn('delivered_at is not an ISO 8601 date', late['reason'])

    def test_a_delivery_of_a_picking_odoo_has_not_validated_tells_a_person(self):
        self.apply('shipment.labelled', {'picking': {'id': self.picking.id}, 'carrier': 'La Poste', 'tracking_number': TRACKING})
        result = self.apply('shipment.delivered', {'tracking_number': TRACKING, 'delivered_at': at(7, 14)}, **partner())
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual(self.picking.lb_delivery_state, 'delivered')
        self.assertIn('not validated in Odoo', self.delivery_activities().summary)

    def test_the_outbound_events_carry_the_carrier(self):
        self.dispatch()
        done = self.events('stock.picking.done', aggregate_id=self.picking.id)
        self.assertEqual(json.loads(done.payload)['shipment']['carrier'],
                         {'name': 'La Poste', 'code': 'la_poste', 'tracking_number': TRACKING})


@tagged('post_install', '-at_install')
class TestAdvanceShipNotice(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lot_product = cls.env['product.product'].create({
            'name': 'Serum', 'type': 'consu', 'is_storable': True, 'tracking': 'lot', 'default_code': 'SER-1'})
        cls.order = cls.env['purchase.order'].create({'partner_id': cls.vendor.id, 'order_line': [
            Command.create({'product_id': cls.product.id, 'product_qty': 10}),
            Command.create({'product_id': cls.product2.id, 'product_qty': 4}),
            Command.create({'product_id': cls.lot_product.id, 'product_qty': 6}),
        ]})
        cls.order.button_confirm()
        cls.receipt = cls.order.picking_ids
        cls.discrepancy_type = cls.env.ref('logistics_bridge.mail_activity_type_discrepancy')

    def announce(self, lines, key='asn-1', minute=0, **payload):
        body = dict({'purchase_order': {'name': self.order.name}, 'asn_ref': 'DESADV-9001', 'expected_date': '2026-12-03',
                     'lines': lines}, **payload)
        return self.apply('receipt.announced', body, key=key, event_time=at(minute), adapter_id='partner:supplier-7',
                          device_id='supplier-7')

    def discrepancies(self, stage):
        return sorted((d.kind, d.product_id.default_code or False) for d in self.receipt.lb_discrepancy_ids if d.stage == stage)

    def activities(self):
        return self.receipt.activity_ids.filtered(lambda a: a.activity_type_id == self.discrepancy_type)

    def test_an_over_delivered_and_an_unknown_line_show_on_the_receipt_and_as_an_activity(self):
        result = self.announce([
            {'product': {'default_code': 'WID-1'}, 'quantity': 12},
            {'product': {'barcode': '5901234123457'}, 'quantity': 3},
            {'product': {'default_code': 'GAD-1'}, 'quantity': 4},
            {'product': {'default_code': 'SER-1'}, 'quantity': 6, 'lots': ['L-2026-11'], 'ssccs': ['376104250021234569']},
        ])
        self.assertEqual(result['status'], 'applied', result)
        self.assertEqual((self.receipt.lb_asn_ref, str(self.receipt.lb_asn_expected_date)), ('DESADV-9001', '2026-12-03'))
        self.assertEqual(len(self.receipt.lb_asn_line_ids), 4)
        self.assertEqual(self.receipt.lb_asn_line_ids[3].ssccs, '376104250021234569')
        self.assertEqual(self.discrepancies('announced'), [('over', 'WID-1'), ('unknown_product', False)])
        activity = self.activities()
        self.assertEqual(len(activity), 1)
        self.assertIn('DESADV-9001', activity.summary)
        self.assertIn('Widget: 12 announced, 10 expected (more)', activity.note)
        self.assertIn('{"barcode":"5901234123457"}: 3 announced, no such product in Odoo', activity.note)
        self.assertEqual(self.Update.browse(result['update_id']).picking_id, self.receipt)
        # Sent again (a partner retry with the same key): nothing more.
        self.assertEqual(self.announce([])['status'], 'duplicate')
        self.assertEqual(len(self.activities()), 1)

    def test_the_count_is_compared_with_the_notice(self):
        self.announce([{'product': {'id': self.product.id}, 'quantity': 10},
                       {'product': {'id': self.lot_product.id}, 'quantity': 6, 'lots': ['L1']}])
        self.assertEqual(self.discrepancies('announced'), [('under', 'GAD-1')], 'Gadget was not announced')
        ref = {'id': self.receipt.id}
        counted = self.apply('receipt.counted', {'picking': ref, 'lines': [
            {'product': {'id': self.product.id}, 'quantity': 9},
            {'product': {'id': self.lot_product.id}, 'quantity': 6, 'lot': 'L7'}]}, event_time=at(30))
        self.assertEqual(counted['status'], 'applied', counted)
        self.assertEqual(self.discrepancies('counted'), [('under', 'WID-1'), ('unknown_lot', 'SER-1')])
        self.assertEqual(self.discrepancies('announced'), [('under', 'GAD-1')], 'the notice stage stays')
        self.assertEqual(len(self.activities()), 2, 'one for the notice, one for the count')
        self.assertIn('Serum: lot L7 counted, not announced', self.activities()[0].note + self.activities()[1].note)
        # Counted right in the end: the count's discrepancies go away.
        self.apply('receipt.counted', {'picking': ref, 'lines': [{'product': {'id': self.product.id}, 'quantity': 10}]},
                   key='recount-1', event_time=at(40))
        self.assertEqual(self.discrepancies('counted'), [('unknown_lot', 'SER-1')])

    def test_an_older_notice_does_not_replace_a_newer_one(self):
        self.announce([{'product': {'id': self.product.id}, 'quantity': 10}], key='asn-new', minute=30, asn_ref='DESADV-2')
        old = self.announce([{'product': {'id': self.product.id}, 'quantity': 1}], key='asn-old', minute=10)
        self.assertEqual(old['status'], 'applied')
        self.assertIn('later time', self.Update.browse(old['update_id']).note)
        self.assertEqual((self.receipt.lb_asn_ref, self.receipt.lb_asn_line_ids.quantity), ('DESADV-2', 10))

    def test_a_notice_is_refused_when_it_cannot_be_matched(self):
        nowhere = self.announce([{'product': {'id': self.product.id}, 'quantity': 1}], purchase_order={'name': 'P-NOPE'})
        self.assertIn('purchase order not found', nowhere['reason'])
        bad_sscc = self.announce([{'product': {'id': self.product.id}, 'quantity': 1, 'ssccs': ['376104250021234560']}],
                                 key='asn-sscc')
        self.assertIn('lines[0].ssccs', bad_sscc['reason'])
        self.assertFalse(self.receipt.lb_asn_ref)
        self.assertNotEqual(self.receipt.lb_automation_state, 'exception',
                            'a notice is no step of the automation: its refusal is told, the receipt is not blocked')
