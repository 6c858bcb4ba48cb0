import assert from 'node:assert/strict';
import amqp, { type ChannelModel } from 'amqplib';
import type { AdapterClient } from '@logistics-bridge/adapter-sdk';
import { FAMILIES } from '@logistics-bridge/contract';
import { brokerMajor, declareQueue, poolNames, TOPOLOGY, updatesQueue, voidsStream } from '../../sidecar/src/broker';
import { createLogger } from '../../sidecar/src/telemetry';
import { odooTarget } from '../odoo/hooks';
import { AMQP_URL } from './env';
import { freePort } from './odoo';
import { pollJson, sidecarEnv, startSidecar, type SidecarProcess } from './sidecar';

export interface WorkChain {
  sidecar: SidecarProcess;
  conn: ChannelModel;
  /** Where adapters connect (the sidecar's gateway). */
  grpcAddress: string;
  /** RabbitMQ's major version at AMQP_URL. */
  brokerMajor: number;
  /** Closes the adapters' clients, stops the sidecar (SIGTERM) and the connection. */
  stop(clients: readonly AdapterClient[]): Promise<void>;
}

/**
 * The whole chain of the work e2e specs (Odoo → relay → RabbitMQ → work → gateway): a sidecar against the
 * odoo tier's Odoo with `tokens` for its gateway, ready. What earlier runs left on the broker is emptied
 * first: their updates, their voids (a stream: an earlier database's done pickings have this one's ids) and
 * the work in the pools of `warehouses` ('' is the family's general pool), whose pickings have this
 * database's names.
 */
export async function startWorkChain(o: { workerId: string; warehouses: readonly string[]; tokens: Record<string, unknown> }): Promise<WorkChain> {
  const t = odooTarget();
  const httpPort = await freePort();
  const grpcAddress = `127.0.0.1:${await freePort()}`;
  const conn = await amqp.connect(AMQP_URL);
  const ch = await conn.createChannel();
  await declareQueue(conn, updatesQueue(), createLogger('error'));
  await ch.purgeQueue(updatesQueue().name);
  const major = brokerMajor(ch);
  await ch.close();
  const tolerant = async () => {
    const c = await conn.createChannel();
    c.on('error', () => undefined); // a missing queue closes the channel: nothing to empty
    return c;
  };
  const voids = await tolerant();
  await voids.deleteQueue(voidsStream(TOPOLOGY).name).catch(() => undefined);
  await voids.close().catch(() => undefined);
  for (const queue of ['logistics.device-work', ...FAMILIES.flatMap((f) => o.warehouses.map((w) => poolNames(TOPOLOGY, f, w).queue))]) {
    const c = await tolerant();
    await c.checkQueue(queue).then(() => c.purgeQueue(queue).then(() => c.close()), () => undefined);
  }
  const sidecar = startSidecar(sidecarEnv(t, { HTTP_LISTEN: `127.0.0.1:${httpPort}`, GRPC_LISTEN: grpcAddress, RELAY_WORKER_ID: `${o.workerId}-${process.pid}`, GATEWAY_TOKENS: JSON.stringify(o.tokens), LOG_LEVEL: 'warn' }));
  const ready = await pollJson(`http://127.0.0.1:${httpPort}/readyz`, (s) => s === 200, 60_000);
  assert.equal(ready.status, 200, `sidecar not ready: ${JSON.stringify(ready.body)}\n${sidecar.output()}`);
  return {
    sidecar,
    conn,
    grpcAddress,
    brokerMajor: major,
    async stop(clients) {
      await Promise.all(clients.map((c) => c.close(2_000).catch(() => undefined)));
      if (sidecar.child.exitCode === null) {
        sidecar.child.kill('SIGTERM');
        await sidecar.exited;
      }
      await conn.close().catch(() => undefined);
    },
  };
}
