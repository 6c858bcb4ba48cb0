import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import LogisticsBridgeCase


@tagged('post_install', '-at_install')
class TestDeadLetters(LogisticsBridgeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, login='lb_manager', groups='logistics_bridge.logistics_bridge_group_manager')
        cls.DeadLetter = cls.env['logistics.bridge.dead.letter']
        cls.order = cls.confirmed_sale(cls, qty=2)
        cls.picking = cls.order.picking_ids

    def pick(self, barcode, key):
        return {'idempotency_key': key, 'type': 'pick.confirmed', 'adapter_id': 'scanner-1', 'device_id': 'dev-1',
                'correlation_id': self.order.name, 'event_time': '2026-01-02T03:04:05Z',
                'payload': {'picking': {'name': self.picking.name}, 'lines': [{'product': {'barcode': barcode}, 'quantity': 2}]}}

    def letter(self, key):
        return self.DeadLetter.with_user(self.manager).search([('key', '=', key)])

    def record(self, letters):
        return self.Update.with_user(self.service_user).record_dead_letters(letters)

    def test_rejected_update_fixed_in_odoo_is_retried_once(self):
        update = self.pick('5901234123457', 'dl-pick-1')
        self.assertEqual(self.Update.with_user(self.service_user).apply_batch([update])[0]['status'], 'rejected')
        # The applier dead-letters it in RabbitMQ and records that here.
        [answer] = self.record([{'id': 'dl-pick-1', 'stage': 'rejected', 'reason': 'product not found',
                                 'body': json.dumps(update), 'at': '2026-01-02T03:05:00Z'}])
        self.assertEqual(answer['status'], 'recorded')
        letter = self.letter('dl-pick-1')
        self.assertEqual((letter.direction, letter.stage, letter.name, letter.is_open, letter.attempts),
                         ('inbound', 'rejected', 'pick.confirmed', True, 1))
        self.assertIn('product not found', letter.reason)
        self.assertIn('\n  "lines": [', letter.payload_pretty)
        self.assertEqual(str(letter.last_seen), '2026-01-02 03:05:00')

        # Not a manager: an error an administrator can read, and nothing happens.
        with self.assertRaisesRegex(AccessError, 'Only an Integration manager'):
            letter.with_user(self.stock_user).action_retry()
        # Not fixed yet: still rejected, still open.
        self.assertEqual(letter.action_retry()['params']['title'], 'Retry: rejected')
        self.assertTrue(self.letter('dl-pick-1').is_open)

        self.product.barcode = '5901234123457'
        answer = letter.action_retry()
        self.assertEqual(answer['params']['type'], 'success', answer)
        move = self.picking.move_ids
        self.assertEqual((move.quantity, move.picked), (2, True))
        closed = self.letter('dl-pick-1')
        self.assertEqual((closed.is_open, closed.retried_by_id), (False, self.manager))
        self.assertTrue(closed.retried_at)
        applied = self.Update.search([('idempotency_key', '=', 'dl-pick-1')])
        self.assertEqual(applied.state, 'applied')

        # Once more from the screen, and the dead copy replayed from the CLI: both duplicates.
        self.assertEqual(closed.with_user(self.manager).action_retry()['params']['title'], 'Retry: duplicate')
        self.assertEqual(self.Update.with_user(self.service_user).apply_batch([update])[0]['status'], 'duplicate')
        self.assertEqual(self.Update.search_count([('idempotency_key', '=like', 'dl-pick-1%')]), 2)
        self.assertEqual(self.picking.move_ids.quantity, 2)
        # A late record of the same dead letter changes nothing.
        self.assertEqual(self.record([{'id': 'dl-pick-1', 'stage': 'rejected', 'body': json.dumps(update)}])[0]['status'],
                         'applied')

    def test_broker_dead_letters_are_recorded_once_per_key(self):
        update = self.pick(self.product.barcode, 'dl-retries-1')
        letter = {'id': 'dl-retries-1', 'stage': 'retries', 'reason': 'still failing after 8 attempts: lock',
                  'body': json.dumps(update), 'at': '2026-01-02T03:05:00Z'}
        first = self.record([letter])[0]
        again = self.record([dict(letter, at='2026-01-02T04:00:00Z')])[0]
        self.assertEqual((first['status'], again['status'], first['update_id']), ('recorded', 'recorded', again['update_id']))
        row = self.Update.browse(first['update_id'])
        self.assertEqual((row.state, row.dead_stage, row.dead_count, str(row.dead_first_at), str(row.dead_last_at)),
                         ('rejected', 'retries', 2, '2026-01-02 03:05:00', '2026-01-02 04:00:00'))
        self.assertTrue(row.activity_ids, 'an exception activity for the team')
        # Nothing was wrong in Odoo: Retry applies it.
        self.letter('dl-retries-1').action_retry()
        self.assertEqual(self.Update.search([('idempotency_key', '=', 'dl-retries-1')]).state, 'applied')
        self.assertEqual(self.picking.move_ids.quantity, 2)

    def test_schema_failure_is_shown_with_its_field_path_and_not_retried(self):
        body = '{"idempotency_key": 7, "type": "pick.confirmed", "payload": {"lines": "x"}}'
        [answer] = self.record([{'id': 'sha256:0123456789abcdef', 'stage': 'schema', 'path': 'idempotency_key',
                                 'reason': 'idempotency_key: Expected string, received number', 'body': body}])
        letter = self.letter('sha256:0123456789abcdef')
        self.assertEqual((answer['status'], letter.stage, letter.field_path), ('recorded', 'schema', 'idempotency_key'))
        self.assertIn('"lines": "x"', letter.payload_pretty)
        with self.assertRaisesRegex(UserError, 'only its sender can fix it'):
            letter.action_retry()
        letter.action_mark_resolved()
        self.assertFalse(self.letter('sha256:0123456789abcdef').is_open)

    def test_record_dead_letters_is_for_the_service_user(self):
        with self.assertRaises(AccessError):
            self.Update.with_user(self.stock_user).record_dead_letters([{'id': 'x', 'body': '{}'}])
        with self.assertRaisesRegex(UserError, 'needs a string "id"'):
            self.record([{'body': '{}'}])

    def test_dead_outbox_event_retried_is_claimable_again_in_order(self):
        Event = self.Event
        first = Event._emit('test.dl', self.customer, {'n': 1})
        second = Event._emit('test.dl', self.customer, {'n': 2})
        Event.relay_claim('w1', limit=10000)
        Event.relay_nack('w1', [{'id': first, 'error': 'exchange not found', 'permanent': True}])
        Event.relay_release('w1', [second])
        letter = self.DeadLetter.with_user(self.manager).search([('event_id', '=', first)])
        self.assertEqual((letter.direction, letter.stage, letter.reason, letter.is_open), ('outbound', 'publish', 'exchange not found', True))
        self.assertIn('"n": 1', letter.payload_pretty)
        with self.assertRaisesRegex(AccessError, 'Only an Integration manager'):
            Event.browse(first).with_user(self.stock_user).action_requeue()
        letter.action_retry()
        event = Event.browse(first)
        self.assertEqual((event.state, event.attempts, event.operator_action, event.operator_id), ('pending', 0, 'requeue', self.manager))
        closed = self.DeadLetter.with_user(self.manager).search([('event_id', '=', first)])
        self.assertEqual((closed.is_open, closed.retried_by_id), (False, self.manager))
        # The first event of its aggregate goes before the second.
        ids = [e['id'] for e in json.loads(Event.relay_claim('w2', limit=10000)['events']) if e['id'] in (first, second)]
        self.assertEqual(ids, [first])
