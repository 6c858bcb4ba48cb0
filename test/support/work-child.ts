/**
 * A sidecar's Flow 3 half as its own process (gateway + work router + voids feed + dispatcher, wired as
 * main.ts wires them, without Odoo) for tests that run two at once and SIGKILL one. Topology from
 * WORK_EVENTS / WORK_UNROUTABLE; prints `PORT <n>` once listening; SIGTERM stops it.
 */
import { startWorkNode } from './work';

async function main(): Promise<void> {
  const events = process.env.WORK_EVENTS ?? '';
  const unroutable = process.env.WORK_UNROUTABLE ?? '';
  const node = await startWorkNode({ events, unroutableExchange: unroutable, unroutableQueue: unroutable });
  process.stdout.write(`PORT ${node.port}\n`);
  process.once('SIGTERM', () => void node.stop().then(() => process.exit(0)));
}

void main().catch((err: unknown) => {
  process.stderr.write(`work child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
