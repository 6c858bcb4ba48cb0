"""Advance ship notices against the order and the count (lib/receipt_check.py)."""
from odoo.tests import BaseCase

from ..lib import receipt_check as rc

WIDGET, GADGET, BOLT = 1, 2, 3
NAMES = {WIDGET: 'Widget', GADGET: 'Gadget', BOLT: 'Bolt'}


def line(product, quantity, *lots, ref=None):
    return rc.Line(product, ref or NAMES.get(product), quantity, lots)


def kinds(found):
    return sorted((d.kind, d.ref, d.lot) for d in found)


class TestAgainstOrder(BaseCase):

    def test_a_notice_that_matches_has_no_discrepancy(self):
        found = rc.against_order({WIDGET: 10, GADGET: 4}, NAMES,
                                 [line(WIDGET, 6, 'L1'), line(WIDGET, 4, 'L2'), line(GADGET, 4)], {WIDGET})
        self.assertEqual(found, [])

    def test_over_and_unknown_product(self):
        # The done-when case: one line over-delivered, one product Odoo has never heard of.
        found = rc.against_order({WIDGET: 10, GADGET: 4}, NAMES,
                                 [line(WIDGET, 12), line(GADGET, 4), line(None, 3, ref='{"barcode":"999"}')], set())
        self.assertEqual(kinds(found), [('over', 'Widget', None), ('unknown_product', '{"barcode":"999"}', None)])
        over = next(d for d in found if d.kind == 'over')
        self.assertEqual((over.expected, over.actual), (10, 12))
        self.assertEqual(rc.describe(over, 'announced'), 'Widget: 12 announced, 10 expected (more)')
        unknown = next(d for d in found if d.kind == 'unknown_product')
        self.assertEqual(rc.describe(unknown, 'announced'), '{"barcode":"999"}: 3 announced, no such product in Odoo')

    def test_under_includes_products_not_announced_at_all(self):
        found = rc.against_order({WIDGET: 10, GADGET: 4}, NAMES, [line(WIDGET, 7)], set())
        self.assertEqual(kinds(found), [('under', 'Gadget', None), ('under', 'Widget', None)])
        self.assertEqual(rc.describe(found[0], 'announced'), 'Widget: 7 announced, 10 expected (less)')

    def test_a_known_product_not_on_the_order_is_unknown_to_it(self):
        found = rc.against_order({WIDGET: 10}, NAMES, [line(WIDGET, 10), line(BOLT, 1)], set())
        self.assertEqual(kinds(found), [('unknown_product', 'Bolt', None)])
        self.assertEqual(rc.describe(found[0], 'announced'), 'Bolt: 1 announced, not on the order')

    def test_a_lot_for_an_untracked_product(self):
        found = rc.against_order({WIDGET: 2, GADGET: 2}, NAMES, [line(WIDGET, 2, 'L1'), line(GADGET, 2, 'G1')], {WIDGET})
        self.assertEqual(kinds(found), [('unknown_lot', 'Gadget', 'G1')])

    def test_rounding_noise_is_no_discrepancy(self):
        self.assertEqual(rc.against_order({WIDGET: 0.3}, NAMES, [line(WIDGET, 0.1), line(WIDGET, 0.2)], set()), [])


class TestAgainstNotice(BaseCase):
    NOTICE = [line(WIDGET, 6, 'L1'), line(WIDGET, 4, 'L2'), line(GADGET, 4), line(None, 3, ref='?')]

    def test_only_counted_products_are_compared(self):
        self.assertEqual(rc.against_notice(self.NOTICE, [line(GADGET, 4)]), [])

    def test_over_under_unknown_product_and_lot(self):
        found = rc.against_notice(self.NOTICE, [line(WIDGET, 11, 'L1', 'L9'), line(GADGET, 3), line(BOLT, 2)])
        self.assertEqual(kinds(found), [('over', 'Widget', None), ('under', 'Gadget', None),
                                        ('unknown_lot', 'Widget', 'L9'), ('unknown_product', 'Bolt', None)])
        described = [rc.describe(d, 'counted') for d in found]
        self.assertIn('Widget: 11 counted, 10 announced (more)', described)
        self.assertIn('Widget: lot L9 counted, not announced', described)
        self.assertIn('Bolt: 2 counted, not announced', described)

    def test_lots_are_not_checked_when_the_notice_announced_none(self):
        self.assertEqual(rc.against_notice(self.NOTICE, [line(GADGET, 4, 'ANY')]), [])
