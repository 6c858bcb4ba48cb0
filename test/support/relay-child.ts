/**
 * A relay alone in its own process, for tests that kill it (SIGKILL) mid-batch and for the benchmark's
 * memory figure. Configured by the same environment variables as the sidecar (ODOO_*, AMQP_URL,
 * RELAY_*), plus LB_TOPOLOGY_PREFIX (exchanges of its own, for the benchmark) and LB_RELAY_CLAIMERS; prints "relay-child ready".
 */
import { Broker } from '../../sidecar/src/broker';
import { loadConfig } from '../../sidecar/src/config';
import { OdooClient } from '../../sidecar/src/odoo';
import { createRelay } from '../../sidecar/src/outbox';
import { createLogger } from '../../sidecar/src/telemetry';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.log.level);
  const odoo = new OdooClient(config.odoo);
  const broker = await Broker.open(config.amqp, log);
  await broker.model.waitForConnect();
  const prefix = process.env.LB_TOPOLOGY_PREFIX;
  const topology = prefix ? { events: `${prefix}.events`, unroutableExchange: `${prefix}.unroutable`, unroutableQueue: `${prefix}.unroutable` } : undefined;
  const claimers = Number(process.env.LB_RELAY_CLAIMERS ?? 1);
  const { relay, publisher } = createRelay({ config, odoo, broker, log, topology, claimers });
  const ac = new AbortController();
  process.once('SIGTERM', () => ac.abort(new Error('SIGTERM')));
  process.stdout.write('relay-child ready\n');
  await relay.run(ac.signal);
  await publisher.close();
  await broker.close();
  odoo.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`relay-child failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
