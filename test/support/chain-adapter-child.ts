/**
 * The reference simulators of the three families as one adapter process (as `npm run simulate -- all`
 * runs them), for the whole-chain fault suite, which SIGKILLs and restarts it. What it did goes to stdout
 * as it happens, so the parent knows it even after a SIGKILL (the pipe keeps what was written):
 *   `S <family> <key>`   an update buffered in the SDK (sendUpdate resolved);
 *   `D <family> <n>`     the first n updates this process sent for the family are acknowledged by the
 *                        gateway (a flush that began after the n-th send resolved);
 *   `A <family> <workId> <accepted|refused>`  a work answer written to a connected stream.
 * Env: CHAIN_ADDRESS, CHAIN_ADAPTERS ({family: {adapterId, token}}), CHAIN_WAREHOUSE, CHAIN_SEED,
 * CHAIN_SPEED. SIGTERM closes the clients (flushing) and exits.
 */
import { AdapterClient } from '@logistics-bridge/adapter-sdk';
import type { Family } from '@logistics-bridge/contract';
import { Floor, WORK_CAPABILITIES, followWork, type WorkClient } from '../../adapters/simulators';

const out = (line: string) => process.stdout.write(`${line}\n`);

function logged(family: Family, client: AdapterClient): WorkClient {
  let sent = 0;
  return {
    work: () => client.work(),
    sendReading: client.sendReading.bind(client),
    async sendUpdate(deviceId, type, payload, opts) {
      await client.sendUpdate(deviceId, type, payload, opts);
      sent += 1;
      out(`S ${family} ${opts.idempotencyKey}`);
    },
    ackWork(workId, outcome = 'accepted', reason) {
      const written = client.ackWork(workId, outcome, reason);
      if (written) out(`A ${family} ${workId} ${outcome}`);
      return written;
    },
    async flush(timeoutMs) {
      const upTo = sent;
      await client.flush(timeoutMs);
      out(`D ${family} ${upTo}`);
    },
  };
}

async function main(): Promise<void> {
  const adapters = JSON.parse(process.env.CHAIN_ADAPTERS ?? '{}') as Partial<Record<Family, { adapterId: string; token: string }>>;
  const families = Object.keys(adapters) as Family[];
  const controller = new AbortController();
  const floor = new Floor(families, 20_000);
  const clients = families.map((family) => {
    const { adapterId, token } = adapters[family] as { adapterId: string; token: string };
    const client = new AdapterClient({
      address: process.env.CHAIN_ADDRESS ?? '',
      token,
      family,
      adapterId,
      hello: { model: `${family}-simulator`, warehouse: process.env.CHAIN_WAREHOUSE ?? 'WH', capabilities: [WORK_CAPABILITIES[family]] },
      // Reconnect soon after a cut heals: the suite's faults last seconds.
      backoff: { baseMs: 200, maxMs: 2_000 },
      signal: controller.signal,
    });
    client.on('reject', (r) => process.stderr.write(`${adapterId}: reject ${r.status} ${r.fieldPath}: ${r.message}\n`));
    return { family, client };
  });
  process.once('SIGTERM', () => {
    void Promise.all(clients.map((c) => c.client.close(5_000).catch(() => undefined))).then(() => controller.abort());
  });
  await Promise.all(clients.map((c) => c.client.start()));
  out('READY');
  await Promise.all(
    clients.map((c) =>
      followWork({
        family: c.family,
        client: logged(c.family, c.client),
        devices: [`${c.family}-01`, `${c.family}-02`],
        seed: Number(process.env.CHAIN_SEED ?? 1),
        failRate: 0,
        speed: Number(process.env.CHAIN_SPEED ?? 10),
        floor,
        log: (line) => process.stderr.write(`${line}\n`),
        signal: controller.signal,
      }),
    ),
  );
  process.exit(0);
}

void main().catch((err: unknown) => {
  process.stderr.write(`chain adapter failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
