/**
 * An adapter process in durable mode, for the edge-journal faults: the SDK client with its journal in
 * JOURNAL_DIR, connecting to GRPC_ADDRESS (which may be down for as long as the test likes). It sends
 * COUNT `device.status` updates keyed `<KEY_PREFIX>:<i>` (none when 0) and prints one JSON line per fact
 * the test waits for: `journal` (what it restored), `buffered` (every send* resolved, i.e. fsync'd),
 * `acked` (progress) and `drained` (nothing unanswered). It runs until it is killed.
 */
import { AdapterClient } from '@logistics-bridge/adapter-sdk';

const say = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(): Promise<void> {
  const env = process.env;
  const count = Number(env.COUNT ?? 0);
  const prefix = env.KEY_PREFIX ?? 'journal';
  const client = new AdapterClient({
    address: env.GRPC_ADDRESS ?? '',
    token: env.ADAPTER_TOKEN ?? '',
    family: 'sorter',
    adapterId: env.ADAPTER_ID ?? '',
    streamId: env.STREAM_ID,
    journal: { dir: env.JOURNAL_DIR ?? '' },
    backoff: { baseMs: 100, maxMs: 1_000 },
  });
  client.on('journal', (j) => say({ journal: j }));
  client.on('reject', (r) => say({ reject: r }));
  client.on('error', (err) => say({ error: err.message }));
  client.start().then(
    () => say({ connected: true }),
    (err: unknown) => say({ error: String(err) }),
  );
  // Many send* at once: the journal commits them in batches, one fsync each.
  const window = 500;
  for (let from = 0; from < count; from += window) {
    const sends: Array<Promise<void>> = [];
    for (let i = from; i < Math.min(count, from + window); i++) {
      sends.push(client.sendUpdate(`journal-dev-${i % 50}`, 'device.status', { status: i % 2 ? 'online' : 'offline', family: 'sorter' }, { idempotencyKey: `${prefix}:${i}` }));
    }
    await Promise.all(sends);
  }
  if (count > 0) say({ buffered: count, pending: client.pending, journalBytes: client.journalBytes });
  let last = -1;
  setInterval(() => {
    if (client.stats.acked !== last) {
      last = client.stats.acked;
      say({ acked: last, pending: client.pending });
    }
    if (client.isConnected && client.pending === 0) say({ drained: true, acked: client.stats.acked });
  }, 50);
}

void main().catch((err: unknown) => {
  say({ error: err instanceof Error ? err.stack : String(err) });
  process.exit(1);
});
