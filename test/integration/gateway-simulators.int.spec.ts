import { strict as assert } from 'node:assert';
import { connect } from '@logistics-bridge/adapter-sdk';
import { barcodeScenario, robotFleetScenario, runScenario, sorterScenario, type AnyScenario } from '../../adapters/simulators';
import { readQueue, startGateway, TOKENS, type GatewayFixture } from '../support/gateway';

/**
 * Each simulator scenario, through its reference adapter and the SDK, against the real gateway and
 * RabbitMQ: exactly the scenario's expected ERP updates land on logistics.updates, and nothing else.
 */
const scenarios: Array<[string, () => AnyScenario]> = [
  ['barcode', () => ({ kind: 'barcode', scenario: barcodeScenario({ seed: 11, startMs: Date.now() }) })],
  ['sorter', () => ({ kind: 'sorter', scenario: sorterScenario({ seed: 12, startMs: Date.now() }) })],
  ['robot fleet', () => ({ kind: 'robot_fleet', scenario: robotFleetScenario({ seed: 13, startMs: Date.now() }) })],
];

describe('device gateway with the simulators', function () {
  this.timeout(120_000);
  let fx: GatewayFixture | undefined;
  afterEach(async () => {
    await fx?.stop();
    fx = undefined;
  });

  for (const [name, make] of scenarios) {
    it(`${name}: the scenario's expected updates land, and nothing else`, async () => {
      const s = make();
      const sc = s.scenario;
      const token = `sim-${sc.adapterId}-token-0123456789`;
      fx = await startGateway({ tokens: { ...TOKENS, [sc.adapterId]: { token, devices: sc.deviceIds, family: s.kind, ratePerSecond: 100_000 } } });
      const client = await connect({ address: `127.0.0.1:${fx.port}`, token, family: s.kind, adapterId: sc.adapterId });
      await runScenario(s, client);
      await client.flush();
      await client.close();
      const got = await readQueue(fx.queue, sc.expected.length, 20_000);
      const byKey = (a: { idempotency_key: string }, b: { idempotency_key: string }) => a.idempotency_key.localeCompare(b.idempotency_key);
      assert.ok(sc.expected.length > 0);
      assert.deepEqual(got.map((m) => m.body).sort(byKey), [...sc.expected].sort(byKey));
      for (const m of got) assert.equal(m.properties.messageId, m.body.idempotency_key);
    });
  }
});
