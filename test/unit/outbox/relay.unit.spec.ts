import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { PublishError, type PublishRequest } from '../../../sidecar/src/broker';
import { OdooAuthError, OdooTransportError } from '../../../sidecar/src/odoo';
import { Relay, RelayMetrics, type Failure, type OutboxEvent, type OutboxSource, type RelayPublisher } from '../../../sidecar/src/outbox';
import { createLogger } from '../../../sidecar/src/telemetry';
import { event } from './fixtures';

/** An in-memory outbox with the addon's claim semantics reduced to what the relay relies on. */
class FakeSource implements OutboxSource {
  pending: OutboxEvent[] = [];
  acked: number[] = [];
  nacked: Failure[] = [];
  released: number[] = [];
  claims = 0;
  /** Acks that came with a claim (relay_claim's ack_ids), per claim call. */
  ackedByClaim: number[][] = [];
  async claim(_w: string, limit: number, _lease = 60, ackIds: number[] = []) {
    this.claims++;
    if (ackIds.length) {
      this.acked.push(...ackIds);
      this.ackedByClaim.push(ackIds);
    }
    const events = this.pending.splice(0, limit);
    return { events, malformed: [], acked: ackIds, refused: [] };
  }
  async ack(_w: string, ids: number[]) {
    this.acked.push(...ids);
    return { acked: ids, refused: [] };
  }
  async nack(_w: string, failures: Failure[]) {
    this.nacked.push(...failures);
    return { retried: [], dead: failures.filter((f) => f.permanent).map((f) => f.id), refused: [] };
  }
  async release(_w: string, ids: number[]) {
    this.released.push(...ids);
    return { released: ids };
  }
  async wait(afterId: number, _t: number, signal?: AbortSignal) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 20);
      signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    return { ready: this.pending.length > 0, max_id: afterId, next_due_in: null };
  }
  async stats() {
    return { pending: this.pending.length, claimed: 0, published: this.acked.length, dead: 0, oldest_pending_age_s: null, oldest_pending_created_at: null, oldest_claim_age_s: null, relays: [] };
  }
  async replay() {
    return [];
  }
}

class FakePublisher implements RelayPublisher {
  sent: PublishRequest[] = [];
  constructor(private readonly outcome: (req: PublishRequest) => Promise<void> = async () => undefined) {}
  async ready() {}
  async publish(req: PublishRequest) {
    this.sent.push(req);
    await this.outcome(req);
  }
}

function relay(source: OutboxSource, publisher: RelayPublisher, claimers = 1) {
  return new Relay(source, publisher, {
    workerId: 'w1',
    batchSize: 10,
    leaseSeconds: 60,
    maxBatchesInFlight: 2,
    appId: 'test',
    log: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
    metrics: new RelayMetrics(),
    statsIntervalMs: 0,
    waitTimeoutSeconds: 1,
    claimers,
  });
}

async function until(cond: () => boolean, signal: AbortController): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  signal.abort(new Error('test done'));
}

describe('Relay loop (unit, fake outbox and broker)', () => {
  it('publishes every claimed event and acks exactly the confirmed ones', async () => {
    const source = new FakeSource();
    source.pending = Array.from({ length: 25 }, (_, i) => event({ id: 100 + i }));
    const publisher = new FakePublisher();
    const ac = new AbortController();
    const run = relay(source, publisher).run(ac.signal);
    await until(() => source.acked.length === 25, ac);
    await run;
    assert.deepEqual([...source.acked].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => 100 + i));
    assert.equal(publisher.sent.length, 25);
    assert.deepEqual(source.nacked, []);
  });

  it('acks a confirmed batch with the next claim (one Odoo call), and on its own when no claim comes', async () => {
    const source = new FakeSource();
    source.pending = Array.from({ length: 25 }, (_, i) => event({ id: 100 + i }));
    const standalone: number[][] = [];
    const ack = source.ack.bind(source);
    source.ack = async (w: string, ids: number[]) => (standalone.push(ids), ack(w, ids));
    const ac = new AbortController();
    const run = relay(source, new FakePublisher()).run(ac.signal);
    await until(() => source.acked.length === 25, ac);
    await run;
    assert.deepEqual([...source.acked].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => 100 + i), 'each event acked once');
    assert.ok(source.ackedByClaim.length >= 2, 'batches acked through relay_claim');
    assert.ok(standalone.length <= 1, 'at most the last batch, when the relay goes idle, has its own ack call');
  });

  it('acks again on their own the ids a failed claim carried', async () => {
    const source = new FakeSource();
    source.pending = [event({ id: 1 }), event({ id: 2 })];
    const claim = source.claim.bind(source);
    let calls = 0;
    source.claim = async (w: string, limit: number, _lease?: number, ackIds?: number[]) => {
      if (ackIds?.length && calls++ === 0) throw new OdooTransportError('Odoo unreachable: ECONNRESET', 'ECONNRESET');
      return claim(w, limit, 1, ackIds);
    };
    const r = new Relay(source, new FakePublisher(), {
      workerId: 'w1', batchSize: 1, leaseSeconds: 60, maxBatchesInFlight: 2, appId: 'test',
      log: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
      metrics: new RelayMetrics(), statsIntervalMs: 0, waitTimeoutSeconds: 1, retryDelay: () => 5,
    });
    const ac = new AbortController();
    const run = r.run(ac.signal);
    await until(() => new Set(source.acked).size === 2, ac);
    await run;
    assert.deepEqual([...new Set(source.acked)].sort(), [1, 2]);
  });

  it('nacks a payload failing its schema as permanent and still publishes the others', async () => {
    const source = new FakeSource();
    source.pending = [event({ id: 1 }), event({ id: 2, payload: '{"shipment":{}}' }), event({ id: 3 })];
    const publisher = new FakePublisher();
    const ac = new AbortController();
    const run = relay(source, publisher).run(ac.signal);
    await until(() => source.acked.length === 2 && source.nacked.length === 1, ac);
    await run;
    assert.deepEqual([...source.acked].sort(), [1, 3]);
    assert.equal(source.nacked[0]?.id, 2);
    assert.equal(source.nacked[0]?.permanent, true);
    assert.match(source.nacked[0]?.error ?? '', /schema/);
    assert.deepEqual(publisher.sent.map((m) => m.options.headers?.['x-outbox-id']).sort(), [1, 3]);
  });

  it('nacks a broker refusal for a retry and releases what the broker never confirmed', async () => {
    const source = new FakeSource();
    source.pending = [event({ id: 1 }), event({ id: 2 }), event({ id: 3 })];
    const publisher = new FakePublisher(async (req) => {
      const id = req.options.headers?.['x-outbox-id'];
      if (id === 1) throw new PublishError('nacked', 'broker did not confirm: message nacked');
      if (id === 2) throw new PublishError('channel-closed', 'broker did not confirm: channel closed');
    });
    const ac = new AbortController();
    const run = relay(source, publisher).run(ac.signal);
    await until(() => source.acked.length + source.nacked.length + source.released.length === 3, ac);
    await run;
    assert.deepEqual(source.acked, [3]);
    assert.deepEqual(source.nacked.map((f) => [f.id, f.permanent ?? false]), [[1, false]]);
    assert.deepEqual(source.released, [2]);
  });

  it('publishes N+1 of an aggregate only after N is confirmed, and holds it back when N fails', async () => {
    const source = new FakeSource();
    source.pending = [event({ id: 1, aggregate_key: 'a' }), event({ id: 2, aggregate_key: 'a' }), event({ id: 3, aggregate_key: 'b' }), event({ id: 4, aggregate_key: 'b' })];
    const order: number[] = [];
    const publisher = new FakePublisher(async (req) => {
      const id = Number(req.options.headers?.['x-outbox-id']);
      order.push(id);
      await new Promise((r) => setTimeout(r, 5));
      if (id === 1) throw new PublishError('nacked', 'message nacked');
    });
    const ac = new AbortController();
    const run = relay(source, publisher).run(ac.signal);
    await until(() => source.acked.length + source.nacked.length + source.released.length === 4, ac);
    await run;
    assert.ok(order.indexOf(3) < order.indexOf(4));
    assert.ok(!order.includes(2), 'event 2 must not overtake the failed event 1');
    assert.deepEqual(source.released, [2]);
    assert.deepEqual([...source.acked].sort(), [3, 4]);
  });

  it('on abort acks what is confirmed and releases what was not sent', async () => {
    const source = new FakeSource();
    source.pending = [event({ id: 1 }), event({ id: 2 })];
    const ac = new AbortController();
    const publisher = new FakePublisher(async (req) => {
      if (req.options.headers?.['x-outbox-id'] === 2) {
        ac.abort(new Error('SIGTERM'));
        throw new PublishError('aborted', 'aborted');
      }
    });
    await relay(source, publisher).run(ac.signal);
    assert.deepEqual(source.acked, [1]);
    assert.deepEqual(source.released, [2]);
    assert.deepEqual(source.nacked, []);
  });

  it('with concurrent claimers still publishes each event once and stops cleanly', async () => {
    const source = new FakeSource();
    source.pending = Array.from({ length: 95 }, (_, i) => event({ id: 500 + i }));
    const publisher = new FakePublisher(async () => {
      await new Promise((r) => setTimeout(r, 1));
    });
    const ac = new AbortController();
    const run = relay(source, publisher, 3).run(ac.signal);
    await until(() => source.acked.length === 95, ac);
    await run;
    assert.equal(new Set(publisher.sent.map((m) => m.options.messageId)).size, 95);
    assert.equal(publisher.sent.length, 95);
    assert.ok(source.claims >= 10);
  });

  it('survives wrong credentials and an Odoo outage: logs what to fix, counts the errors, recovers by itself', async () => {
    const source = new FakeSource();
    source.pending = [event({ id: 1 })];
    const failures = [new OdooAuthError('Access Denied', 'odoo.exceptions.AccessDenied'), new OdooTransportError('Odoo unreachable: ECONNREFUSED', 'ECONNREFUSED')];
    const claim = source.claim.bind(source);
    source.claim = async (w: string, limit: number, lease?: number, ackIds?: number[]) => {
      const err = failures.shift();
      if (err) throw err;
      return claim(w, limit, lease, ackIds);
    };
    const lines: string[] = [];
    const registry = new Registry();
    const ac = new AbortController();
    const r = new Relay(source, new FakePublisher(), {
      workerId: 'w1',
      batchSize: 10,
      leaseSeconds: 60,
      maxBatchesInFlight: 2,
      appId: 'test',
      log: createLogger('info', new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) })),
      metrics: new RelayMetrics(registry),
      statsIntervalMs: 0,
      waitTimeoutSeconds: 1,
      retryDelay: () => 5,
    });
    const run = r.run(ac.signal);
    await until(() => source.acked.length === 1, ac);
    await run;
    assert.deepEqual(source.acked, [1]);
    assert.ok(lines.some((l) => l.includes('check ODOO_LOGIN and ODOO_API_KEY')), 'the credentials problem is named');
    assert.ok(lines.some((l) => l.includes('Odoo is unreachable')));
    assert.ok(lines.some((l) => l.includes('relay resumes')));
    const metrics = await registry.getSingleMetricAsString('logistics_bridge_relay_errors_total');
    assert.match(metrics, /stage="claim",kind="auth"} 1/);
    assert.match(metrics, /stage="claim",kind="transport"} 1/);
  });
});

describe('Relay stats (unit, fake outbox)', () => {
  it('exports the open SLA breaches relay_stats reads from Odoo, by rule, with the age of the oldest', async () => {
    const source = new FakeSource();
    const stats = source.stats.bind(source);
    source.stats = async () => ({ ...(await stats()), sla_breaches: { not_acknowledged: { count: 3, oldest_age_s: 600 }, no_tracking: { count: 0, oldest_age_s: null } } });
    const registry = new Registry();
    const ac = new AbortController();
    const r = new Relay(source, new FakePublisher(), {
      workerId: 'w1', batchSize: 10, leaseSeconds: 60, maxBatchesInFlight: 2, appId: 'test',
      log: createLogger('error', new Writable({ write: (_c, _e, cb) => cb() })),
      metrics: new RelayMetrics(registry), statsIntervalMs: 5, waitTimeoutSeconds: 1,
    });
    const run = r.run(ac.signal);
    let text = '';
    for (let i = 0; i < 200 && !/logistics_bridge_sla_breaches\{rule="not_acknowledged"\} 3/.test(text); i++) {
      await new Promise((res) => setTimeout(res, 5));
      text = await registry.metrics();
    }
    ac.abort(new Error('test done'));
    await run;
    assert.match(text, /^logistics_bridge_sla_breaches\{rule="not_acknowledged"\} 3$/m);
    assert.match(text, /^logistics_bridge_sla_breaches\{rule="no_tracking"\} 0$/m);
    assert.match(text, /^logistics_bridge_sla_breach_oldest_age_seconds\{rule="not_acknowledged"\} 600$/m);
    assert.match(text, /^logistics_bridge_sla_breach_oldest_age_seconds\{rule="no_tracking"\} 0$/m);
  });
});
