"""Sort destinations (lib/sort_rules.py): the admin's rules decide the chute, the most specific first."""
from odoo.tests import BaseCase

from ..lib.sort_rules import SortRule, destination

RULES = [
    SortRule(1, 10, None, None, None, None, 'C99', None),            # catch-all
    SortRule(2, 10, 'DHL', None, None, None, 'C10', 'L1'),
    SortRule(3, 10, 'DHL', None, 'FR', None, 'C11', 'L2'),
    SortRule(4, 5, None, None, 'FR', None, 'C20', None),
    SortRule(5, 10, None, 'EXPRESS', None, '1', 'C30', 'L9'),
    SortRule(6, 20, 'UPS', None, 'DE', None, 'C40', None),
    SortRule(7, 10, 'UPS', None, 'DE', None, 'C41', None),
]


class TestSortRules(BaseCase):

    def test_most_specific_rule_wins(self):
        self.assertEqual(destination(RULES, carrier='DHL', country='FR'), ('C11', 'L2', 3))
        self.assertEqual(destination(RULES, carrier='DHL', country='BE'), ('C10', 'L1', 2))
        self.assertEqual(destination(RULES, carrier='GLS', country='FR'), ('C20', None, 4))
        self.assertEqual(destination(RULES, route='EXPRESS', priority='1'), ('C30', 'L9', 5))

    def test_ties_go_to_the_lower_sequence_whatever_the_order(self):
        self.assertEqual(destination(RULES, carrier='UPS', country='DE').chute, 'C41')
        self.assertEqual(destination(list(reversed(RULES)), carrier='UPS', country='DE').chute, 'C41')

    def test_values_compare_without_case_and_blanks(self):
        self.assertEqual(destination(RULES, carrier=' dhl ', country='fr').chute, 'C11')

    def test_catch_all_or_nothing(self):
        self.assertEqual(destination(RULES, carrier='POST').chute, 'C99')
        self.assertIsNone(destination(RULES[1:], carrier='POST'))
        self.assertIsNone(destination([], carrier='DHL'))
