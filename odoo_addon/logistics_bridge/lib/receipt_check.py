"""Advance ship notices (``receipt.announced``) against the receipt they announce, and the count of the
receipt (``receipt.counted``) against the notice.

Pure code, no ORM: the inbox hands it plain tuples (products by their id, quantities in the product's
unit) and stores the ``Discrepancy`` list it answers on the receipt. Kinds:

- ``over`` / ``under``: more / less of a product than the order still expects (at announcement), or
  than the notice announced (at counting);
- ``unknown_product``: a product the order does not expect (or Odoo does not know), or a counted
  product the notice did not announce;
- ``unknown_lot``: a lot for a product that is not tracked by lot (at announcement), or a counted lot
  that the notice did not announce for its product (when it announced lots for it).

At counting only the products counted so far are compared: a receipt counted product by product has
no "under" for the products still to come.
"""
from collections import namedtuple

KINDS = ('over', 'under', 'unknown_product', 'unknown_lot')
STAGES = ('announced', 'counted')

# product: its id, or None when Odoo knows no product by the notice's reference; ref: how to name it to a
# person (the product's name, or the reference as sent); lots: the lot names (a tuple, possibly empty).
Line = namedtuple('Line', ['product', 'ref', 'quantity', 'lots'])
# expected: what the order (at announcement) or the notice (at counting) says; actual: what the notice
# (at announcement) or the count says. lot: the lot at issue, for unknown_lot.
Discrepancy = namedtuple('Discrepancy', ['kind', 'product', 'ref', 'lot', 'expected', 'actual'])

_DIGITS = 6  # quantities are compared in the product's unit, rounded to this many decimals


def _totals(lines):
    totals, refs, lots = {}, {}, {}
    for line in lines:
        if line.product is None:
            continue
        totals[line.product] = totals.get(line.product, 0.0) + line.quantity
        refs.setdefault(line.product, line.ref)
        lots.setdefault(line.product, set()).update(line.lots)
    return totals, refs, lots


def _quantity(product, ref, expected, actual):
    difference = round(actual - expected, _DIGITS)
    if difference > 0:
        return [Discrepancy('over', product, ref, None, expected, actual)]
    if difference < 0:
        return [Discrepancy('under', product, ref, None, expected, actual)]
    return []


def against_order(expected, names, announced, lot_tracked):
    """The notice's ``announced`` lines against ``expected`` ({product: quantity the receipt still
    expects}, ``names`` {product: name}); ``lot_tracked``: the products tracked by lot or serial."""
    found = []
    for line in announced:
        if line.product is None or line.product not in expected:
            found.append(Discrepancy('unknown_product', line.product, line.ref, None, 0.0, line.quantity))
        elif line.product not in lot_tracked:
            found.extend(Discrepancy('unknown_lot', line.product, line.ref, lot, None, None) for lot in line.lots)
    totals, _refs, _lots = _totals(line for line in announced if line.product in expected)
    for product, quantity in expected.items():
        found.extend(_quantity(product, names.get(product, str(product)), quantity, totals.get(product, 0.0)))
    return found


def against_notice(announced, counted):
    """The ``counted`` lines (each product counted so far, its quantity and lots) against the notice."""
    totals, refs, lots = _totals(announced)
    found = []
    for line in counted:
        if line.product not in totals:
            found.append(Discrepancy('unknown_product', line.product, line.ref, None, 0.0, line.quantity))
            continue
        found.extend(_quantity(line.product, refs[line.product], totals[line.product], line.quantity))
        if lots[line.product]:
            found.extend(Discrepancy('unknown_lot', line.product, line.ref, lot, None, None)
                         for lot in sorted(set(line.lots) - lots[line.product]))
    return found


def _number(value):
    return f'{value:g}'


def describe(discrepancy, stage):
    """One line for the receipt and the activity, e.g. "Widget: 12 announced, 10 expected"."""
    d = discrepancy
    actual, expected = ('announced', 'expected') if stage == 'announced' else ('counted', 'announced')
    if d.kind in ('over', 'under'):
        word = 'more' if d.kind == 'over' else 'less'
        return f'{d.ref}: {_number(d.actual)} {actual}, {_number(d.expected)} {expected} ({word})'
    if d.kind == 'unknown_product':
        if stage == 'counted':
            where = 'not announced'
        else:
            where = 'not on the order' if d.product is not None else 'no such product in Odoo'
        return f'{d.ref}: {_number(d.actual)} {actual}, {where}'
    if stage == 'announced':
        return f'{d.ref}: lot {d.lot} announced, the product is not tracked by lot'
    return f'{d.ref}: lot {d.lot} counted, not announced'
