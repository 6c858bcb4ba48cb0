import { strict as assert } from 'node:assert';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import fc from 'fast-check';
import { DEFAULT_PROTO_ROOT, Outbox, Pacer, backoffDelay, isWithdrawal, wireMessage, workId, type OutgoingMessage } from '@logistics-bridge/adapter-sdk';

describe('adapter SDK (unit)', () => {
  describe('outbox: resume without gap or duplicate', () => {
    it('numbers messages on first transmission, after the gateway\'s resume point', () => {
      const box = new Outbox<string>(10);
      box.push('a');
      box.push('b');
      // The adapter restarted; the gateway remembers 41 for this stream.
      box.resume(41);
      assert.deepEqual([box.next()?.sequence, box.next()?.sequence], [42, 43]);
      assert.equal(box.inFlight, 2);
    });

    it('drops what became durable and resends the rest with the same numbers after a reconnect', () => {
      const box = new Outbox<string>(10);
      box.resume(0);
      for (const m of ['a', 'b', 'c', 'd']) box.push(m);
      const sent = [box.next(), box.next(), box.next()].map((e) => e?.sequence);
      assert.deepEqual(sent, [1, 2, 3]);
      box.settle(1);
      // Connection lost; the gateway made 2 durable before it went.
      box.resume(2);
      const resent = [box.next(), box.next()].map((e) => [e?.sequence, e?.message]);
      assert.deepEqual(resent, [
        [3, 'c'],
        [4, 'd'],
      ]);
      assert.equal(box.next(), undefined);
    });

    it('a retryable reject requeues the message ahead of unsent ones with a fresh number', () => {
      const box = new Outbox<string>(10);
      box.resume(0);
      for (const m of ['a', 'b', 'c']) box.push(m);
      box.next();
      box.next();
      box.settle(1);
      box.requeue(2);
      assert.deepEqual([box.next(), box.next()].map((e) => [e?.sequence, e?.message]), [
        [3, 'b'],
        [4, 'c'],
      ]);
    });

    it('delivers every message exactly once across random disconnects (property)', () => {
      // Model: the gateway makes a prefix of what it received durable; the connection drops at random.
      fc.assert(
        fc.property(fc.array(fc.record({ sendN: fc.nat(5), durableN: fc.nat(5), drop: fc.boolean(), push: fc.nat(4) }), { maxLength: 60 }), (steps) => {
          const box = new Outbox<number>(1000);
          let produced = 0;
          let gatewayLast = 0;
          const durable: number[] = [];
          let received: Array<{ seq: number; msg: number }> = [];
          box.resume(0);
          const run = (s: { sendN: number; durableN: number; drop: boolean; push: number }) => {
            for (let i = 0; i < s.push; i += 1) box.push(produced++);
            for (let i = 0; i < s.sendN; i += 1) {
              const e = box.next();
              if (e) received.push({ seq: e.sequence, msg: e.message });
            }
            for (let i = 0; i < s.durableN && received.length > 0; i += 1) {
              const r = received.shift() as { seq: number; msg: number };
              if (r.seq <= gatewayLast) continue; // replay: acked as duplicate, not stored again
              gatewayLast = r.seq;
              durable.push(r.msg);
              box.settle(r.seq);
            }
            if (s.drop) {
              received = [];
              box.resume(gatewayLast);
            }
          };
          steps.forEach(run);
          // Drain: reconnect and deliver everything.
          received = [];
          box.resume(gatewayLast);
          for (let e = box.next(); e; e = box.next()) {
            if (e.sequence > gatewayLast) {
              gatewayLast = e.sequence;
              durable.push(e.message);
            }
            box.settle(e.sequence);
          }
          assert.deepEqual(durable, Array.from({ length: produced }, (_, i) => i));
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('wire messages', () => {
    const pkg = loadPackageDefinition(
      loadSync(['logistics/device/v1/sorter.proto'], { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [DEFAULT_PROTO_ROOT] }),
    ) as unknown as { logistics: { device: { v1: Record<string, { service: ServiceDefinition }> } } };
    const method = pkg.logistics.device.v1.SorterGateway?.service.Connect;
    const roundTrip = (m: Record<string, unknown>) => method?.requestDeserialize(method.requestSerialize(m)) as Record<string, unknown>;

    it('encodes an update with enums and oneof references as the gateway decodes it', () => {
      const m: OutgoingMessage = {
        kind: 'update',
        deviceId: 'sorter-1',
        type: 'device.status',
        payload: { status: 'error', family: 'sorter', error: 'jam' },
        idempotencyKey: 'k:1',
        correlationId: '',
        eventTimeMs: 1_700_000_000_000,
      };
      const decoded = roundTrip(wireMessage('ad-1', 7, m));
      assert.equal(decoded.kind, 'update');
      const update = decoded.update as Record<string, Record<string, unknown>>;
      assert.equal(update.payload as unknown, 'device_status');
      assert.deepEqual(update.envelope?.sequence, '7');
      assert.equal(update.device_status?.status, 'STATUS_ERROR');
      assert.equal(update.device_status?.family, 'FAMILY_SORTER');

      const sorted = roundTrip(
        wireMessage('ad-1', 8, { ...m, type: 'parcel.sorted', payload: { sscc: '106141411234567897', chute: 'C1', picking: { name: 'WH/OUT/1' } } }),
      ).update as Record<string, Record<string, Record<string, unknown>>>;
      assert.deepEqual(sorted.parcel_sorted?.picking, { ref: 'name', name: 'WH/OUT/1' });
    });

    it('encodes telemetry readings with their oneof member', () => {
      const decoded = roundTrip(
        wireMessage('ad-1', 9, { kind: 'telemetry', deviceId: 'sorter-1', correlationId: '', eventTimeMs: 5, readings: [{ event: { time_ms: 5, kind: 'KIND_NO_READ', parcel_id: 'p1' } }] }),
      );
      const t = decoded.telemetry as { readings: Array<Record<string, unknown>> };
      assert.equal(t.readings[0]?.reading, 'event');
      assert.equal((t.readings[0]?.event as Record<string, unknown>).kind, 'KIND_NO_READ');
    });
  });

  it('paces sends to the advertised rate after a burst of one second', () => {
    const pacer = new Pacer(10);
    let sent = 0;
    for (let t = 1000; t <= 3000; t += 1) {
      if (pacer.wait(t) === 0) {
        pacer.take();
        sent += 1;
      }
    }
    // 10 at once, then 10 per second for 2 s.
    assert.ok(sent >= 29 && sent <= 31, `sent ${sent}`);
    const fresh = new Pacer(2);
    fresh.wait(0);
    fresh.take();
    fresh.take();
    assert.equal(fresh.wait(0), 500);
  });

  it('names the work id of work and withdrawals, and tells withdrawals apart (what ackWork answers)', () => {
    const header = { work_id: 'evt-1' };
    assert.equal(workId({ work: 'order', order: { header } }), 'evt-1');
    assert.equal(workId({ work: 'sort_plan_removed', sort_plan_removed: { header, reason: 'cancelled' } }), 'evt-1');
    assert.equal(workId({ work: 'order', order: null }), '');
    assert.equal(isWithdrawal({ work: 'expected_scans_removed', expected_scans_removed: { header } }), true);
    assert.equal(isWithdrawal({ work: 'instant_action', instant_action: { header, action_type: 'cancelOrder' } }), true);
    assert.equal(isWithdrawal({ work: 'instant_action', instant_action: { header, action_type: 'startPause' } }), false);
    assert.equal(isWithdrawal({ work: 'expected_scans', expected_scans: { header } }), false);
  });

  it('backoff grows and stays within bounds', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    assert.equal(backoffDelay(0, policy, () => 0), 50);
    assert.equal(backoffDelay(3, policy, () => 1), 800);
    assert.equal(backoffDelay(30, policy, () => 1), 1000);
  });
});
