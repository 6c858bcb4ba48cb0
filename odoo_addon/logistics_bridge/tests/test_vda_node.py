import psycopg2

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import LogisticsBridgeCase


@tagged('post_install', '-at_install')
class TestVdaNode(LogisticsBridgeCase):

    def setUp(self):
        super().setUp()
        self.Node = self.env['logistics.bridge.vda.node']
        self.stock_location.barcode = 'WH-STOCK'
        self.pack = self.env['stock.location'].create({'name': 'Pack', 'location_id': self.warehouse.view_location_id.id, 'barcode': 'WH-PACK'})
        self.rack = self.Node.create({'location_id': self.stock_location.id, 'node_id': 'rack-1', 'x': 10, 'y': 2, 'theta': 1.5,
                                      'map_id': 'hall-1', 'station_type': 'rack'})
        self.Node.create({'location_id': self.pack.id, 'node_id': 'pack-1', 'x': 1, 'y': 1, 'map_id': 'hall-1', 'drop_point': True})

    def test_layout_is_what_the_fleet_adapter_reads(self):
        layout = self.Node.with_user(self.service_user).vda_layout()
        rack = next(n for n in layout['nodes'] if n['node_id'] == 'rack-1')
        self.assertEqual(rack['location_barcode'], 'WH-STOCK')
        self.assertEqual(rack['warehouse'], self.warehouse.code)
        self.assertEqual((rack['x'], rack['y'], rack['theta'], rack['map_id'], rack['station_type'], rack['drop_point']),
                         (10, 2, 1.5, 'hall-1', 'rack', False))
        self.assertTrue(next(n for n in layout['nodes'] if n['node_id'] == 'pack-1')['drop_point'])

    def test_node_ids_are_unique_per_map_and_a_location_has_one_node(self):
        other = self.env['stock.location'].create({'name': 'Other', 'location_id': self.warehouse.view_location_id.id})
        with mute_logger('odoo.sql_db'), self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.Node.create({'location_id': other.id, 'node_id': 'rack-1', 'map_id': 'hall-1'})
        with mute_logger('odoo.sql_db'), self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.Node.create({'location_id': self.stock_location.id, 'node_id': 'rack-9', 'map_id': 'hall-1'})
        self.Node.create({'location_id': other.id, 'node_id': 'rack-1', 'map_id': 'hall-2'})

    def test_theta_is_an_angle(self):
        with self.assertRaises(ValidationError):
            self.rack.theta = 4

    def test_the_service_user_only_reads_the_layout(self):
        with self.assertRaises(AccessError):
            self.rack.with_user(self.service_user).write({'x': 3})
