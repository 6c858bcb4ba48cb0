/**
 * The glue between the bridge and the fleet, and the only file here that imports the adapter SDK:
 * work from the gateway (robot orders, cancelOrder withdrawals) goes into the fleet core, its orders
 * and instant actions out through master control, and the updates the vehicles' reports mean back to
 * the gateway as SDK update sends (device id = the vehicle's serial number).
 */
import { workId, type AdapterClient, type Work } from '@logistics-bridge/adapter-sdk';
import type { Logger } from './log';
import type { Effects, Fleet } from './fleet';
import { parseWork } from './jobs';
import type { MasterControl } from './master-control';

/** What the glue needs of the SDK client: tests pass the real one or a recorder. */
export type BridgeLink = Pick<AdapterClient, 'sendUpdate'> & { work(): AsyncIterable<Work>; ackWork?: AdapterClient['ackWork'] };

export interface FleetAdapterOptions {
  bridge: BridgeLink;
  master: MasterControl;
  fleet: Fleet;
  log: Logger;
  signal: AbortSignal;
  /** How often orders a vehicle has not shown in its state yet are sent again (default 5 s). */
  resendMs?: number;
}

/** Runs until the signal aborts or the bridge's work stream ends. Effects are applied in arrival order. */
export async function runFleetAdapter(o: FleetAdapterOptions): Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  const apply = (effects: Effects): void => {
    chain = chain
      .then(async () => {
        for (const p of effects.publish) {
          if (p.subtopic === 'order') await o.master.publishOrder(p.serialNumber, p.body);
          else await o.master.publishInstantActions(p.serialNumber, p.body);
        }
        for (const u of effects.updates) {
          await o.bridge.sendUpdate(u.deviceId, u.type, u.payload, { idempotencyKey: u.idempotencyKey, correlationId: u.correlationId, eventTimeMs: u.eventTimeMs });
        }
      })
      .catch((e: unknown) => {
        o.log.error('applying fleet effects failed', { error: e instanceof Error ? e.message : String(e) });
      });
  };
  // A defect in the core must not end the adapter: the message is logged and the next one handled.
  const guarded = (what: string, run: () => Effects): void => {
    try {
      apply(run());
    } catch (e) {
      o.log.error(`handling ${what} failed`, { error: e instanceof Error ? e.message : String(e) });
    }
  };
  const onState = (s: Parameters<Fleet['onState']>[0]) => guarded('a state', () => o.fleet.onState(s));
  const onConnection = (c: Parameters<Fleet['onConnection']>[0], receivedMs: number) => guarded('a connection message', () => o.fleet.onConnection(c, receivedMs));
  const onInvalid = (i: { topic: string; reason: string }) => o.log.warn('invalid VDA 5050 message', i);
  const resend = setInterval(() => guarded('a resend', () => o.fleet.resendUnconfirmed()), o.resendMs ?? 5_000);
  o.master.on('state', onState);
  o.master.on('connection', onConnection);
  o.master.on('invalid', onInvalid);
  try {
    for await (const work of o.bridge.work()) {
      if (o.signal.aborted) break;
      const parsed = parseWork(work);
      if (parsed.kind === 'job') guarded('work', () => o.fleet.addJob(parsed.job));
      else if (parsed.kind === 'withdrawal') guarded('a withdrawal', () => o.fleet.withdraw(parsed.withdrawal));
      else o.log.info('work not for VDA 5050', { reason: parsed.reason });
      // The gateway keeps work until it is answered (work_ack): taken by the fleet, or refused for good.
      const id = workId(work);
      if (id) o.bridge.ackWork?.(id, parsed.kind === 'ignored' ? 'refused' : 'accepted', parsed.kind === 'ignored' ? parsed.reason : '');
    }
  } finally {
    clearInterval(resend);
    o.master.off('state', onState);
    o.master.off('connection', onConnection);
    o.master.off('invalid', onInvalid);
    await chain;
  }
}
