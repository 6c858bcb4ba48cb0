from odoo.tools import SQL
from odoo.tests import tagged

from .common import LogisticsBridgeCase, claimed


@tagged('post_install', '-at_install')
class TestRelayRegistry(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Relay = cls.Event.with_user(cls.service_user)
        cls.Registry = cls.env['logistics.bridge.relay'].with_user(cls.service_user)
        cls.partner = cls.env['res.partner'].create({'name': 'Aggregate'})

    def register(self, worker, instance, host='host-a', pid=100, replaces=()):
        return self.Registry.relay_register(worker, instance, host, pid, f'{pid}@1', 20, replaces=list(replaces))

    def claim_one(self, worker):
        self.Event._emit('test.happened', self.partner, {'n': 1})
        return [e['id'] for e in claimed(self.Relay.relay_claim(worker, limit=10))]

    def state(self, ids):
        return set(self.Event.browse(ids).mapped('state'))

    def test_a_second_live_process_with_the_same_worker_id_is_refused_and_keeps_nothing(self):
        self.assertTrue(self.register('w1', 'i1')['registered'])
        ids = self.claim_one('w1')
        answer = self.register('w1', 'i2', pid=200)
        self.assertFalse(answer['registered'])
        self.assertEqual((answer['holder']['pid'], answer['holder']['instance']), (100, 'i1'))
        self.assertEqual(answer['released'], 0)
        self.assertEqual(self.state(ids), {'claimed'}, "a live relay's claims are never released")
        self.assertTrue(self.Registry.relay_heartbeat('w1', 'i1')['registered'])
        self.assertFalse(self.Registry.relay_heartbeat('w1', 'i2')['registered'])

    def test_a_restart_that_proves_its_predecessor_dead_resumes_its_claims_at_once(self):
        self.register('w1', 'i1')
        ids = self.claim_one('w1')
        first = self.register('w1', 'i2', pid=200)
        self.assertFalse(first['registered'])
        answer = self.register('w1', 'i2', pid=200, replaces=[first['holder']['instance']])
        self.assertTrue(answer['registered'])
        self.assertEqual(answer['released'], 1)
        self.assertEqual(self.state(ids), {'pending'})
        self.assertEqual(self.Event.browse(ids).attempts, 0, 'no attempt counted')
        self.assertEqual([e['id'] for e in claimed(self.Relay.relay_claim('w1'))], ids)

    def test_a_silent_peer_is_declared_dead_by_a_live_relays_heartbeat(self):
        self.register('w1', 'i1')
        self.register('w2', 'j1', host='host-b')
        ids = self.claim_one('w2')
        self.assertEqual(self.Registry.relay_heartbeat('w1', 'i1')['released'], 0)
        self.env.cr.execute(SQL("""UPDATE logistics_bridge_relay SET heartbeat_at = heartbeat_at - interval '21 seconds'
                                   WHERE worker_id = 'w2'"""))
        self.assertEqual(self.Registry.relay_heartbeat('w1', 'i1'), {'registered': True, 'released': 1})
        self.assertEqual(self.state(ids), {'pending'})
        self.assertFalse(self.Registry.relay_heartbeat('w2', 'j1')['registered'], 'the silent one must register again')
        self.assertTrue(self.register('w2', 'j1', host='host-b')['registered'])

    def test_peers_of_the_same_host_are_listed_for_the_pid_check(self):
        self.register('w1', 'i1', pid=100)
        self.register('w2', 'j1', host='host-b', pid=100)
        answer = self.register('w3', 'k1', pid=300)
        self.assertEqual([(p['worker_id'], p['pid'], p['incarnation']) for p in answer['peers']], [('w1', 100, '100@1')])

    def test_unregister_releases_leftovers_and_frees_the_worker_id(self):
        self.register('w1', 'i1')
        ids = self.claim_one('w1')
        self.assertEqual(self.Registry.relay_unregister('w1', 'i1'), {'released': 1})
        self.assertEqual(self.state(ids), {'pending'})
        self.assertTrue(self.register('w1', 'i2', pid=200)['registered'])

    def test_stats_show_claims_per_relay_and_the_oldest_claim(self):
        self.register('w1', 'i1')
        self.claim_one('w1')
        stats = self.Relay.relay_stats()
        self.assertEqual(stats['claimed'], 1)
        self.assertIsNotNone(stats['oldest_claim_age_s'])
        relay = next(r for r in stats['relays'] if r['worker_id'] == 'w1')
        self.assertEqual((relay['alive'], relay['claimed']), (True, 1))

    def test_bridge_ping_answers_the_addon_version_to_the_service_user_only(self):
        answer = self.Relay.bridge_ping()
        self.assertTrue(answer['addon_version'])
        self.assertEqual(answer['login'], 'lb_service')
        with self.assertRaises(Exception):
            self.Event.with_user(self.stock_user).bridge_ping()
