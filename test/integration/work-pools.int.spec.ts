import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { poolNames, type TopologyNames } from '../../sidecar/src/broker';
import { AMQP_URL } from '../support/env';
import { counts, deleteWorkTopology, poolReady, publishEvents, queueDepth, readyEvent, routerReady, startWorkNode, withdrawnEvent, WorkAdapter, workTopology, type WorkNode } from '../support/work';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ready = (ids: readonly string[], firstPicking = 1000, warehouse = 'WH') => ids.map((id, i) => ({ type: 'stock.picking.ready', id, body: readyEvent(firstPicking + i, warehouse) }));
const uuids = (n: number) => Array.from({ length: n }, () => randomUUID());

/**
 * Flow 3 delivery that is never lost (issue 11): work waits in its pool's queue until an adapter of the
 * pool answers work_ack, through absences, disconnects with work in flight, and a killed sidecar; void
 * work is never sent, delivered work is withdrawn. Runs on the broker at AMQP_URL (3.10 and 4.0).
 */
describe('work pools (Flow 3): delivery to devices that is never lost', function () {
  this.timeout(120_000);
  let topology: TopologyNames;
  let node: WorkNode;
  beforeEach(async () => {
    topology = workTopology();
    node = await startWorkNode(topology);
    await routerReady(topology);
  });
  afterEach(async () => {
    await node.stop();
    await deleteWorkTopology(topology, ['WH', 'WH2']);
  });

  it('gives an adapter that stays away for longer than 20 redelivery intervals its work once', async () => {
    const fleet = new WorkAdapter('robot_fleet', 'fleet-1');
    // Known to the cluster before: the warehouse's pool exists (an adapter of WH connected once).
    fleet.connect(node.port);
    await poolReady(topology, 'robot_fleet', 'WH');
    fleet.close();
    const ids = uuids(3);
    await publishEvents(topology, ready(ids));
    // The old router offered held work again every second (and a requeue loop would hit RabbitMQ 4's
    // limit of 20 deliveries): stay away for 21 of those intervals.
    await sleep(21_000);
    fleet.connect(node.port);
    await fleet.until(() => fleet.acked.length >= 3);
    await sleep(1000);
    assert.deepEqual([...counts(fleet.received.map((r) => r.workId)).values()], [1, 1, 1], 'each work once');
    assert.deepEqual(new Set(fleet.ackedIds()), new Set(ids));
    assert.equal(await queueDepth(poolNames(topology, 'robot_fleet', 'WH').queue), 0);
    fleet.close();
  });

  it('delivers every work item once it is acknowledged, after 25 disconnects with work in flight (past RabbitMQ 4 default delivery limit)', async () => {
    const fleet = new WorkAdapter('robot_fleet', 'fleet-1');
    const scan = new WorkAdapter('barcode', 'scan-1');
    fleet.ack = false;
    scan.ack = false;
    fleet.connect(node.port);
    scan.connect(node.port);
    await poolReady(topology, 'robot_fleet', 'WH');
    await poolReady(topology, 'barcode', 'WH');
    const ids = uuids(40);
    await publishEvents(topology, ready(ids));
    for (let i = 0; i < 25; i++) {
      const before = [fleet.received.length, scan.received.length];
      await fleet.until(() => fleet.received.length > (before[0] as number));
      await scan.until(() => scan.received.length > (before[1] as number));
      fleet.drop();
      scan.drop();
      await sleep(150);
      fleet.connect(node.port);
      scan.connect(node.port);
    }
    const first = ids[0] as string;
    assert.ok(fleet.received.filter((r) => r.workId === first).length >= 25, 'the oldest work was in flight at every disconnect');
    fleet.ack = true;
    scan.ack = true;
    fleet.drop();
    scan.drop();
    await sleep(150);
    fleet.connect(node.port);
    scan.connect(node.port);
    const missing = (a: WorkAdapter) => ids.filter((id) => !a.ackedIds().includes(id)).map((id) => `${id} received ${a.received.filter((r) => r.workId === id).length}`);
    await fleet.until(() => new Set(fleet.ackedIds()).size >= ids.length).catch((e: Error) => assert.fail(`${e.message}; missing ${missing(fleet).join(', ')}`));
    await scan.until(() => new Set(scan.ackedIds()).size >= ids.length).catch((e: Error) => assert.fail(`${e.message}; missing ${missing(scan).join(', ')}`));
    await sleep(1000);
    for (const a of [fleet, scan]) {
      assert.deepEqual(new Set(a.ackedIds()), new Set(ids), `${a.family}: every work acknowledged`);
      assert.ok([...counts(a.ackedIds()).values()].every((n) => n === 1), `${a.family}: none delivered again after its work_ack`);
    }
    assert.equal(await queueDepth(poolNames(topology, 'robot_fleet', 'WH').queue), 0);
  });

  it('never sends work withdrawn or whose picking is done before it was delivered, and withdraws delivered work (cancelOrder, removal messages)', async () => {
    const fleet = new WorkAdapter('robot_fleet', 'fleet-1');
    const scan = new WorkAdapter('barcode', 'scan-1');
    const sorter = new WorkAdapter('sorter', 'sorter-1');
    for (const a of [fleet, scan, sorter]) a.connect(node.port);
    for (const a of [fleet, scan, sorter]) await poolReady(topology, a.family, 'WH');
    for (const a of [fleet, scan, sorter]) a.close();
    // While every adapter is away: one picking released then cancelled, one released then done.
    const [cancelled, done, marker] = uuids(3) as [string, string, string];
    await publishEvents(topology, [
      { type: 'stock.picking.ready', id: cancelled, body: readyEvent(1) },
      { type: 'stock.picking.ready', id: done, body: readyEvent(2) },
      { type: 'stock.picking.withdrawn', id: randomUUID(), body: withdrawnEvent(1, [cancelled], 'cancelled') },
      { type: 'stock.picking.done', id: randomUUID(), body: { shipment: { id: 2, name: 'WH/OUT/2', direction: 'outbound', warehouse: { code: 'WH' } } } },
      { type: 'stock.picking.ready', id: marker, body: readyEvent(3) },
    ]);
    await sleep(500);
    for (const a of [fleet, scan, sorter]) a.connect(node.port);
    for (const a of [fleet, scan, sorter]) await a.until(() => a.acked.some((r) => r.workId === marker));
    await sleep(1000);
    for (const a of [fleet, scan, sorter]) {
      assert.deepEqual(a.received.map((r) => r.workId), [marker], `${a.family}: neither the void work nor a withdrawal of it`);
    }
    // Delivered and acknowledged, then cancelled in Odoo: withdrawn from every family.
    await publishEvents(topology, [{ type: 'stock.picking.withdrawn', id: randomUUID(), body: withdrawnEvent(3, [marker], 'cancelled') }]);
    await fleet.until(() => fleet.acked.some((r) => r.kind === 'instant_action'));
    await scan.until(() => scan.acked.some((r) => r.kind === 'expected_scans_removed'));
    await sorter.until(() => sorter.acked.some((r) => r.kind === 'sort_plan_removed'));
    const cancel = fleet.stream?.received.map((m) => m.work as Record<string, unknown> | undefined).find((w) => w?.work === 'instant_action')?.instant_action as { action_type: string; header: { work_id: string }; parameters: Record<string, string> };
    assert.equal(cancel.action_type, 'cancelOrder');
    assert.equal(cancel.header.work_id, marker);
    assert.deepEqual(cancel.parameters, { order_id: marker, reason: 'cancelled' });
    for (const a of [fleet, scan, sorter]) a.close();
  });

  it('parks work an adapter refuses in the pool dead-letter queue with its reason', async () => {
    const scan = new WorkAdapter('barcode', 'scan-1');
    scan.ack = false;
    const s = scan.connect(node.port);
    await poolReady(topology, 'barcode', 'WH'); // the first adapter of WH ever: its pool queue is bound once the dispatcher consumes it
    const [id] = uuids(1) as [string];
    await publishEvents(topology, ready([id]));
    await scan.until(() => scan.received.length > 0);
    s.send({ work_ack: { work_id: id, outcome: 'OUTCOME_REFUSED', reason: 'location A-01 unknown to this scanner' } });
    const dead = `${poolNames(topology, 'barcode', 'WH').queue}.dead`;
    for (let i = 0; i < 50 && (await queueDepth(dead)) < 1; i++) await sleep(100);
    assert.equal(await queueDepth(dead), 1);
    scan.close();
  });
});

/** Two sidecars (their Flow 3 half as processes) on one broker, adapters on either, one SIGKILLed. */
describe('work pools (Flow 3): two sidecars, one killed', function () {
  this.timeout(180_000);
  const topology = workTopology();
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await sleep(1500);
    await deleteWorkTopology(topology, ['WH', 'WH2']);
  });

  function child(): Promise<{ proc: ChildProcess; port: number }> {
    const proc = spawn(process.execPath, ['--require', 'tsx/cjs', resolve(__dirname, '../support/work-child.ts')], {
      cwd: resolve(__dirname, '../..'),
      env: { PATH: process.env.PATH ?? '', AMQP_URL, WORK_EVENTS: topology.events, WORK_UNROUTABLE: topology.unroutableExchange },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(proc);
    return new Promise((res, rej) => {
      let out = '';
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /PORT (\d+)/.exec(out);
        if (m) res({ proc, port: Number(m[1]) });
      });
      proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      proc.once('exit', (code) => rej(new Error(`work child exited ${code}: ${out}`)));
    });
  }

  it('delivers each work item once per pool and acknowledged, none lost when one sidecar is SIGKILLed', async () => {
    const [a, b] = await Promise.all([child(), child()]);
    await routerReady(topology);
    // Two pools (robot fleet and scanners of WH), an adapter of each on either sidecar.
    const adapters = [new WorkAdapter('robot_fleet', 'fleet-1'), new WorkAdapter('robot_fleet', 'fleet-2'), new WorkAdapter('barcode', 'scan-1'), new WorkAdapter('barcode', 'scan-2')];
    const onA = [adapters[0], adapters[2]] as WorkAdapter[];
    const onB = [adapters[1], adapters[3]] as WorkAdapter[];
    for (const x of adapters) x.ackDelayMs = 20;
    for (const x of onA) x.connect(a.port);
    for (const x of onB) x.connect(b.port);
    await poolReady(topology, 'robot_fleet', 'WH', 2);
    await poolReady(topology, 'barcode', 'WH', 2);
    const ids = uuids(300);
    await publishEvents(topology, ready(ids));
    // Every event routed into the pools (the kill below hits delivery, not routing).
    for (let i = 0; i < 200 && (await queueDepth(`${topology.events}.device-work`)) !== 0; i++) await sleep(100);
    const pool = (x: WorkAdapter) => (x.family === 'robot_fleet' ? [adapters[0], adapters[1]] : [adapters[2], adapters[3]]) as WorkAdapter[];
    await adapters[0]?.until(() => pool(adapters[0] as WorkAdapter).reduce((n, x) => n + x.acked.length, 0) >= 60);
    a.proc.kill('SIGKILL');
    await new Promise((r) => a.proc.once('exit', r));
    // The adapters of the killed sidecar reconnect to the other one.
    for (const x of onA) {
      x.drop();
      x.connect(b.port);
    }
    for (const family of ['robot_fleet', 'barcode'] as const) {
      const members = adapters.filter((x) => x.family === family);
      const acked = () => new Set(members.flatMap((x) => x.ackedIds()));
      for (let i = 0; i < 600 && acked().size < ids.length; i++) await sleep(100);
      assert.deepEqual(acked(), new Set(ids), `${family}: every work acknowledged, none lost`);
      await sleep(500);
      const twice = [...counts(members.flatMap((x) => x.ackedIds())).entries()].filter(([, n]) => n > 1).map(([id]) => id);
      // Only work that was in flight through the killed sidecar (sent by it, its work_ack not yet passed
      // on to RabbitMQ) can come again: at least once. A's pool consumer sends up to its prefetch at once.
      const viaKilled = new Set(members.flatMap((x) => x.received.filter((r) => r.via === a.port).map((r) => r.workId)));
      const stray = twice.filter((id) => !viaKilled.has(id));
      const trail = (id: string) => `${id}: ${members.flatMap((x) => x.received.filter((r) => r.workId === id).map((r) => `${x.streamId}@${r.via === a.port ? 'A' : 'B'}`)).join(' ')}`;
      assert.deepEqual(stray.map(trail), [], `${family}: delivered twice without having been in flight through the killed sidecar`);
      if (process.env.WORK_DEBUG) console.log(`${family}: ${twice.length} of ${ids.length} delivered again after the kill, all in flight through the killed sidecar`);
      const onBOnly = members.flatMap((x) => x.acked.filter((r) => r.via === b.port).map((r) => r.workId));
      assert.ok([...counts(onBOnly).values()].every((n) => n === 1), `${family}: none doubled through the surviving sidecar`);
    }
    for (const x of adapters) x.close();
  });

  it('hands work an adapter held unanswered on one sidecar to it again when it reconnects to the other', async () => {
    const [a, b] = await Promise.all([child(), child()]);
    await routerReady(topology);
    const scan = new WorkAdapter('barcode', 'scan-9', 'WH2');
    scan.ack = false;
    scan.connect(a.port);
    await poolReady(topology, 'barcode', 'WH2');
    const ids = uuids(5);
    await publishEvents(topology, ready(ids, 5000, 'WH2'));
    await scan.until(() => scan.received.length >= 5);
    scan.close(); // gracefully, without answering: sidecar A stops consuming the pool and gives the work back
    scan.ack = true;
    scan.connect(b.port);
    await scan.until(() => new Set(scan.ackedIds()).size >= 5);
    assert.deepEqual(new Set(scan.ackedIds()), new Set(ids));
    assert.ok(scan.acked.every((r) => r.via === b.port), 'answered on the other sidecar');
    scan.close();
    a.proc.kill('SIGTERM');
    b.proc.kill('SIGTERM');
  });
});
