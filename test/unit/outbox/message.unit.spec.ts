import assert from 'node:assert/strict';
import { EVENTS_EXCHANGE } from '../../../sidecar/src/broker';
import { buildMessage } from '../../../sidecar/src/outbox';
import { event } from './fixtures';

describe('message contract (unit)', () => {
  it('maps an outbox event to the documented AMQP message', () => {
    const e = event({ id: 42, payload: '{"b":1,"a":"é"}', correlation_id: 'c-42', company_id: 3 });
    const m = buildMessage(e, { appId: 'logistics-bridge' });
    assert.equal(m.exchange, EVENTS_EXCHANGE);
    assert.equal(m.routingKey, 'stock.picking.ready');
    assert.ok(m.content.equals(Buffer.from('{"b":1,"a":"é"}', 'utf8')), 'body is the payload bytes, unchanged');
    assert.equal(m.options.persistent, true);
    assert.equal(m.options.messageId, e.uuid);
    assert.equal(m.options.correlationId, 'c-42');
    assert.equal(m.options.type, 'stock.picking.ready');
    assert.equal(m.options.contentType, 'application/json');
    assert.equal(m.options.appId, 'logistics-bridge');
    assert.equal(m.options.timestamp, Math.floor(Date.parse('2026-11-26T10:00:00.123Z') / 1000));
    assert.deepEqual(m.options.headers, {
      'x-schema-version': 1,
      'x-aggregate-key': 'stock.picking:42',
      'x-company-id': 3,
      'x-odoo-database': 'lb_test',
      'x-outbox-id': 42,
      'x-created-at': '2026-11-26T10:00:00.123456Z',
    });
  });

  it('leaves out a missing correlation id and company, and marks replays', () => {
    const m = buildMessage(event({ correlation_id: null, company_id: null }), { appId: 'a', replayedAt: new Date('2026-01-02T03:04:05Z') });
    assert.equal(m.options.correlationId, undefined);
    assert.equal((m.options.headers as Record<string, unknown>)['x-company-id'], undefined);
    assert.equal((m.options.headers as Record<string, unknown>)['x-replayed-at'], '2026-01-02T03:04:05.000Z');
  });
});
