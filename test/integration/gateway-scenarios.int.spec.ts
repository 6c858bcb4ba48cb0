import { strict as assert } from 'node:assert';
import { robotFleetTraffic, telemetryMessages } from '../support/device-traffic';
import { clientFor, hello, readQueue, startGateway, TestStream, tokenOf, type GatewayFixture } from '../support/gateway';

/**
 * Scenario runs through the whole gateway (validation, relevance, durable publish): the torrent of
 * telemetry goes in, exactly the expected ERP updates (and nothing else) come out on logistics.updates.
 */
describe('device gateway scenarios', function () {
  this.timeout(60_000);
  let fx: GatewayFixture;
  beforeEach(async () => {
    fx = await startGateway();
  });
  afterEach(async () => {
    await fx.stop();
  });

  it('robot fleet: 10 Hz state of 5 robots for 30 s becomes one update per task milestone and one status per robot', async () => {
    const traffic = robotFleetTraffic('fleet-a', { robots: 5, seconds: 30, taskSeconds: 6, failEvery: 5 });
    const messages = telemetryMessages('fleet-a', 'fleet-1', traffic.readings, 50);
    const s = new TestStream(clientFor('robot_fleet', fx.port), tokenOf('fleet-a'));
    s.send(hello('fleet-a', 'robot_fleet', 'fleet-1'));
    for (const m of messages) s.send(m);
    await s.until(() => s.answers().length === messages.length, 30_000);
    assert.ok(s.answers().every((a) => a.kind === 'ack'));
    const published = s.answers().reduce((n, a) => n + Number(a.msg.updates), 0);

    const expectedTasks = [...traffic.expected].filter(([k]) => !k.startsWith('device.status:'));
    const expectedStatuses = [...traffic.expected.keys()].filter((k) => k.startsWith('device.status:')).sort();
    const q = await readQueue(fx.queue, traffic.expected.size);
    assert.equal(q.length, published, 'acks count exactly what was published');
    const tasks = q.filter((m) => m.body.type !== 'device.status').map((m) => [m.properties.messageId, m.body.type]);
    assert.deepEqual(new Map(tasks as Array<[string, string]>), new Map(expectedTasks));
    assert.equal(tasks.length, expectedTasks.length, 'one update per task milestone');
    const statuses = q.filter((m) => m.body.type === 'device.status').map((m) => `device.status:${m.body.device_id}:${String(m.body.payload.status)}`).sort();
    assert.deepEqual(statuses, expectedStatuses);
    const picked = q.find((m) => m.body.type === 'pick.confirmed');
    assert.deepEqual(picked?.body.payload.lines, [{ product: { barcode: '4006381333931' }, quantity: 2, location: { barcode: 'A-01-02' } }]);
    const failed = q.find((m) => m.body.type === 'task.failed');
    assert.equal(failed?.body.payload.code, 'gripperFault');
    // The reduction the ERP sees: 1650 readings in, a few dozen updates out.
    assert.ok(traffic.readings.length / q.length > 20, `reduction ${traffic.readings.length}/${q.length}`);
    s.close();
  });
});
