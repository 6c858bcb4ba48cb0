import threading
import time

from odoo import api
from odoo.tools import SQL
from odoo.tests import tagged

from .common import LogisticsBridgeCase, claimed


@tagged('post_install', '-at_install')
class TestRelay(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Relay = cls.Event.with_user(cls.service_user)
        cls.partners = cls.env['res.partner'].create([{'name': f'Aggregate {i}'} for i in range(3)])

    def emit(self, partner, n=1, priority=50):
        return [self.Event._emit('test.happened', partner, {'n': i}, priority) for i in range(n)]

    def expire_leases(self, ids):
        self.env.cr.execute(SQL("""UPDATE logistics_bridge_event SET lease_expires_at = now() AT TIME ZONE 'UTC'
                                   - interval '1 second' WHERE id = ANY(%s)""", ids))

    def test_claim_orders_by_priority_and_holds_back_later_events_of_an_aggregate(self):
        a1, a2 = self.emit(self.partners[0], 2)
        b1, = self.emit(self.partners[1], priority=10)
        c1, c2 = self.emit(self.partners[2], 2, priority=90)
        batch = claimed(self.Relay.relay_claim('w1', limit=10))
        self.assertEqual([e['id'] for e in batch], [b1, a1, c1])
        first = batch[0]
        self.assertEqual(first['aggregate_key'], f'res.partner:{self.partners[1].id}')
        self.assertEqual(first['payload'], '{"n":0}')
        self.assertEqual(first['database'], self.env.cr.dbname)
        self.assertTrue(first['created_at'].endswith('Z'))
        # Nothing more while the first events are unpublished, even for another worker.
        self.assertEqual(claimed(self.Relay.relay_claim('w2', limit=10)), [])
        self.assertEqual(self.Relay.relay_ack('w1', [a1, c1]), {'acked': [a1, c1], 'refused': []})
        self.assertEqual([e['id'] for e in claimed(self.Relay.relay_claim('w2', limit=10))], [a2, c2])

    def test_ack_by_non_owner_is_refused(self):
        e1, = self.emit(self.partners[0])
        self.Relay.relay_claim('w1')
        self.assertEqual(self.Relay.relay_ack('w2', [e1]), {'acked': [], 'refused': [e1]})
        self.assertEqual(self.Event.browse(e1).state, 'claimed')
        self.assertEqual(self.Relay.relay_ack('w1', [e1]), {'acked': [e1], 'refused': []})
        event = self.Event.browse(e1)
        self.assertEqual(event.state, 'published')
        self.assertTrue(event.published_at)

    def test_claim_acks_first_and_hands_out_what_the_ack_unblocked(self):
        a1, a2 = self.emit(self.partners[0], 2)
        b1, = self.emit(self.partners[1])
        self.assertEqual([e['id'] for e in claimed(self.Relay.relay_claim('w1'))], [a1, b1])
        self.assertEqual([e['id'] for e in claimed(self.Relay.relay_claim('w2'))], [])
        answer = self.Relay.relay_claim('w2', ack_ids=[a1])
        self.assertEqual((answer['acked'], answer['refused'], claimed(answer)), ([], [a1], []),
                         'only the lease owner acks, also through relay_claim')
        answer = self.Relay.relay_claim('w1', ack_ids=[a1, b1])
        self.assertEqual((answer['acked'], answer['refused']), ([a1, b1], []))
        self.assertEqual([e['id'] for e in claimed(answer)], [a2], 'a2 was blocked by a1 until the ack')
        self.assertEqual(self.Event.browse([a1, b1]).mapped('state'), ['published', 'published'])
        self.assertEqual(self.Event.browse(a2).state, 'claimed', 'the ORM cache sees what the raw SQL wrote')

    def test_expired_lease_is_claimable_again(self):
        e1, = self.emit(self.partners[0])
        self.assertEqual(len(claimed(self.Relay.relay_claim('w1', lease_seconds=30))), 1)
        self.assertEqual(claimed(self.Relay.relay_claim('w2')), [])
        self.expire_leases([e1])
        self.assertEqual([e['id'] for e in claimed(self.Relay.relay_claim('w2'))], [e1])
        self.assertEqual(self.Relay.relay_ack('w1', [e1])['refused'], [e1])
        self.assertEqual(self.Relay.relay_ack('w2', [e1])['acked'], [e1])

    def test_nack_backs_off_then_dies_and_a_dead_event_blocks_its_aggregate(self):
        self.env['ir.config_parameter'].set_param('logistics_bridge.max_attempts', '2')
        e1, e2 = self.emit(self.partners[0], 2)
        self.Relay.relay_claim('w1')
        self.assertEqual(self.Relay.relay_nack('w2', [{'id': e1, 'error': 'x'}])['refused'], [e1])
        self.assertEqual(self.Relay.relay_nack('w1', [{'id': e1, 'error': 'broker down'}])['retried'], [e1])
        event = self.Event.browse(e1)
        self.assertEqual((event.state, event.attempts, event.last_error), ('pending', 1, 'broker down'))
        self.assertGreater(event.next_attempt_at, event.create_date)
        self.assertEqual(claimed(self.Relay.relay_claim('w1')), [], 'backing off, and e2 waits for e1')
        self.env.cr.execute(SQL("UPDATE logistics_bridge_event SET next_attempt_at = NULL WHERE id = %s", e1))
        self.Relay.relay_claim('w1')
        self.assertEqual(self.Relay.relay_nack('w1', [{'id': e1, 'error': 'still down'}])['dead'], [e1])
        self.assertEqual(self.Event.browse(e1).state, 'dead')
        self.assertEqual(claimed(self.Relay.relay_claim('w1')), [], 'a dead event blocks its aggregate')
        self.assertEqual(self.Relay.relay_stats()['dead'], 1)

        self.Event.browse(e1).action_mark_resolved()
        self.assertEqual(self.Event.browse(e1).operator_id, self.env.user)
        self.assertEqual([e['id'] for e in claimed(self.Relay.relay_claim('w1'))], [e2])

    def test_permanent_failure_dies_at_once_and_can_be_requeued(self):
        e1, = self.emit(self.partners[0])
        self.Relay.relay_claim('w1')
        result = self.Relay.relay_nack('w1', [{'id': e1, 'error': 'schema', 'permanent': True}])
        self.assertEqual(result, {'retried': [], 'dead': [e1], 'refused': []})
        event = self.Event.browse(e1)
        event.action_requeue()
        self.assertEqual((event.state, event.attempts, event.operator_action), ('pending', 0, 'requeue'))
        self.assertTrue(event.operator_at)
        self.assertEqual(len(claimed(self.Relay.relay_claim('w1'))), 1)

    def test_release_does_not_count_an_attempt(self):
        e1, = self.emit(self.partners[0])
        self.Relay.relay_claim('w1')
        self.assertEqual(self.Relay.relay_release('w2', [e1]), {'released': []})
        self.assertEqual(self.Relay.relay_release('w1', [e1]), {'released': [e1]})
        self.assertEqual((self.Event.browse(e1).state, self.Event.browse(e1).attempts), ('pending', 0))

    def test_stats_and_replay(self):
        e1, e2 = self.emit(self.partners[0], 2)
        stats = self.Relay.relay_stats()
        self.assertEqual(stats['pending'], 2)
        self.assertIsNotNone(stats['oldest_pending_age_s'])
        self.Relay.relay_claim('w1')
        self.Relay.relay_ack('w1', [e1])
        replay = self.Relay.relay_replay(since_id=e1 - 1, event_types=['test.happened'], limit=10)
        self.assertEqual([e['id'] for e in replay], [e1])
        self.assertEqual(self.Event.browse(e1).state, 'published')

    def test_skip_locked_with_two_concurrent_cursors(self):
        """Two relays claiming at once get disjoint batches, and neither waits for the other."""
        with self.registry.cursor() as setup:
            env = api.Environment(setup, self.env.uid, {})
            partners = env['res.partner'].search([], limit=4, order='id')
            ids = [env['logistics.bridge.event']._emit('test.concurrent', p, {}, priority=0) for p in partners]
            setup.commit()
        try:
            with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
                cr2.execute("SET LOCAL lock_timeout = '2s'")
                first = claimed(api.Environment(cr1, self.env.uid, {})['logistics.bridge.event'].relay_claim('w1', limit=2))
                second = claimed(api.Environment(cr2, self.env.uid, {})['logistics.bridge.event'].relay_claim('w2', limit=2))
                self.assertEqual([e['id'] for e in first], ids[:2])
                self.assertEqual([e['id'] for e in second], ids[2:])
                cr1.rollback()
                cr2.rollback()
        finally:
            with self.registry.cursor() as cleanup:
                cleanup.execute(SQL('DELETE FROM logistics_bridge_event WHERE id = ANY(%s)', ids))

    def test_wait_wakes_up_on_commit(self):
        idle = self.Relay.relay_wait(after_id=0, timeout=0.2)
        self.assertFalse(idle['ready'])
        ids = []

        def commit_an_event():
            # Raw SQL: an ORM environment in a thread would wait for the registry lock the test runner holds.
            time.sleep(0.3)
            with self.registry.cursor() as cr:
                cr.execute(SQL("""
                    NOTIFY logistics_bridge_outbox;
                    INSERT INTO logistics_bridge_event (uuid, event_type, schema_version, aggregate_key, state,
                                                        priority, attempts, create_date)
                    VALUES (gen_random_uuid(), 'test.wake', 1, 'test:1', 'pending', 50, 0, now() AT TIME ZONE 'UTC')
                    RETURNING id"""))
                ids.append(cr.fetchone()[0])

        thread = threading.Thread(target=commit_an_event)
        start = time.monotonic()
        thread.start()
        try:
            answer = self.Relay.relay_wait(after_id=idle['max_id'], timeout=10)
            self.assertLess(time.monotonic() - start, 5)
            self.assertTrue(answer['ready'])
            self.assertEqual(answer['max_id'], ids[0])
        finally:
            thread.join()
            with self.registry.cursor() as cleanup:
                cleanup.execute(SQL('DELETE FROM logistics_bridge_event WHERE id = ANY(%s)', ids))

    def test_housekeeping_keeps_pending_and_dead_events(self):
        published, pending, dead = (self.emit(partner)[0] for partner in self.partners)
        self.Relay.relay_claim('w1')
        self.Relay.relay_ack('w1', [published])
        self.Relay.relay_nack('w1', [{'id': dead, 'error': 'x', 'permanent': True}])
        self.Relay.relay_release('w1', [pending])
        self.env.cr.execute(SQL("""UPDATE logistics_bridge_event SET create_date = create_date - interval '90 days',
                                   published_at = published_at - interval '90 days' WHERE id = ANY(%s)""",
                                [published, pending, dead]))
        self.Event.invalidate_model()
        self.Event._cron_housekeeping()
        self.assertEqual(self.Event.browse([published, pending, dead]).exists().ids, [pending, dead])
