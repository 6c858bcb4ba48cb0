/**
 * The work-following simulators' I/O: read the work a connected client receives, plan it (./work, pure)
 * and send the plan's updates, paced, from a pool of simulated devices. Several families in one process
 * share a Floor, which keeps the warehouse's order per picking (robot pick → scan and pack → sort, label,
 * dispatch): a stage starts once the earlier stages' updates are durable at the gateway, so the applier
 * sees them in that order, and a failed or withdrawn picking goes no further.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { sleep, type Family } from '@logistics-bridge/contract';
import type { AdapterClient, Work } from '@logistics-bridge/adapter-sdk';
import { seededRandom } from './common';
import { parseWork, planJob, workIdOf, type SimUpdate, type Task } from './work';
import { WORK_CAPABILITY } from '../../sidecar/src/work/messages';

/** What the runner needs of a connected AdapterClient (tests pass a double). */
export interface WorkClient {
  work(): AsyncIterable<Work>;
  sendUpdate: AdapterClient['sendUpdate'];
  sendReading?: AdapterClient['sendReading'];
  /** The gateway's work_ack; the runner answers every work item with it unless `FollowOptions.ack` is given. */
  ackWork?: AdapterClient['ackWork'];
  flush(timeoutMs?: number): Promise<void>;
}

/** The capability each family announces in its Hello to be sent work. */
export const WORK_CAPABILITIES: Readonly<Record<Family, string>> = WORK_CAPABILITY;

const STAGES: readonly Family[] = ['robot_fleet', 'barcode', 'sorter'];

interface Stage {
  ok?: boolean;
  waiters: Array<(ok: boolean) => void>;
}

/** Per-work progress of the families run in this process; bounded (oldest work forgotten first). */
export class Floor {
  private readonly stages = new Map<string, Map<Family, Stage>>();
  private readonly withdrawn = new Set<string>();

  constructor(
    readonly families: readonly Family[],
    /** How long a stage waits for an earlier one that has not got its work (it may have gone elsewhere). */
    private readonly waitMs = 30_000,
    private readonly capacity = 10_000,
  ) {}

  private stage(key: string, family: Family): Stage {
    let m = this.stages.get(key);
    if (!m) {
      m = new Map();
      this.stages.set(key, m);
      if (this.stages.size > this.capacity) this.stages.delete(this.stages.keys().next().value as string);
    }
    let s = m.get(family);
    if (!s) {
      s = { waiters: [] };
      m.set(family, s);
    }
    return s;
  }

  settle(key: string, family: Family, ok: boolean): void {
    const s = this.stage(key, family);
    s.ok = ok;
    for (const w of s.waiters.splice(0)) w(ok);
  }

  /** Work `workId` is void, for every family of this floor (one release is one work id for all). */
  withdraw(workId: string): void {
    this.withdrawn.add(workId);
    if (this.withdrawn.size > this.capacity) this.withdrawn.delete(this.withdrawn.values().next().value as string);
  }

  isWithdrawn(workId: string): boolean {
    return this.withdrawn.has(workId);
  }

  /** The earlier stage run here for a job of `family` (undefined when none is). */
  previous(family: Family, job: Task): Family | undefined {
    if (job.kind === 'expected_scans' && job.operation === 'OPERATION_RECEIVE') return undefined;
    const before = STAGES.slice(0, STAGES.indexOf(family)).filter((f) => this.families.includes(f));
    return before.at(-1);
  }

  /** True when the earlier stage succeeded (or never came within waitMs); false when it failed. */
  async ready(key: string, family: Family, job: Task, signal?: AbortSignal): Promise<boolean> {
    const prev = this.previous(family, job);
    if (!prev) return true;
    const s = this.stage(key, prev);
    if (s.ok !== undefined) return s.ok;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(ok);
      };
      const onAbort = () => done(false);
      const timer = setTimeout(() => {
        s.waiters.splice(s.waiters.indexOf(done), 1);
        done(true);
      }, this.waitMs);
      s.waiters.push(done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

export interface FollowOptions {
  family: Family;
  client: WorkClient;
  /** The devices doing the jobs, one job at a time each. */
  devices: readonly string[];
  seed?: number;
  /** Share of jobs that fail (default 0). */
  failRate?: number;
  /** Device time per step at speed 1 (default 1500 ms); speed Infinity = no pause. */
  stepMs?: number;
  speed?: number;
  floor?: Floor;
  defaultChute?: string;
  carrier?: string;
  /**
   * The answer to each work item or withdrawal (the gateway's work_ack): accepted before the simulator
   * acts on it, and for withdrawals and repeats; refused, with the reason, for work it cannot read.
   */
  ack?: (workId: string, outcome: 'accepted' | 'refused', reason?: string) => void | Promise<void>;
  /** One line per thing worth telling a person (a bad work item, a failed job). */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface FollowStats {
  received: number;
  /** The same work id again (a redelivery): answered again, not acted on twice. */
  repeats: number;
  invalid: number;
  done: number;
  failed: number;
  withdrawn: number;
  updates: number;
}

/** Reads work until the client's work stream ends or the signal aborts; then waits for jobs in progress. */
export async function followWork(o: FollowOptions): Promise<FollowStats> {
  const stats: FollowStats = { received: 0, repeats: 0, invalid: 0, done: 0, failed: 0, withdrawn: 0, updates: 0 };
  const rnd = seededRandom((o.seed ?? 1) + STAGES.indexOf(o.family) * 7919);
  const floor = o.floor ?? new Floor([o.family]);
  const speed = o.speed ?? Number.POSITIVE_INFINITY;
  const pause = (): Promise<void> => (Number.isFinite(speed) && speed > 0 ? sleep((o.stepMs ?? 1500) / speed, o.signal) : Promise.resolve());
  const free = [...o.devices];
  const waiting: Array<(device: string) => void> = [];
  const running = new Set<Promise<void>>();
  const take = (): Promise<string> => {
    const d = free.shift();
    return d !== undefined ? Promise.resolve(d) : new Promise((resolve) => waiting.push(resolve));
  };
  const give = (device: string) => {
    const w = waiting.shift();
    if (w) w(device);
    else free.push(device);
  };

  // Every device's pause and floor wait listens on the signal (several families share it).
  if (o.signal) setMaxListeners(Math.max(getMaxListeners(o.signal), 50 + 8 * o.devices.length), o.signal);
  const ackWork = o.client.ackWork?.bind(o.client);
  const ack = o.ack ?? (ackWork ? (id: string, outcome: 'accepted' | 'refused', reason?: string) => void ackWork(id, outcome, reason) : undefined);
  const seen = new Set<string>();
  const act = async (job: Task, device: string): Promise<void> => {
    // One release is one work id for every family (the ready event's id): the floor meets on it, not on
    // the picking, whose later releases (after an unreserve) are other work.
    const workId = job.header.work_id;
    const key = workId;
    let ok = false;
    try {
      if (!(await floor.ready(key, o.family, job, o.signal)) || floor.isWithdrawn(workId)) {
        stats.withdrawn += floor.isWithdrawn(workId) ? 1 : 0;
        return;
      }
      // Run alone (one family per process, as in the compose demo), a later stage gives the earlier ones
      // on the floor a head start of three steps each: a parcel reaches the sorter after it was packed.
      if (!floor.previous(o.family, job) && !(job.kind === 'expected_scans' && job.operation === 'OPERATION_RECEIVE')) {
        for (let i = 0; i < STAGES.indexOf(o.family) * 3; i++) await pause();
      }
      const plan = planJob(job, { deviceId: device, rnd, failRate: o.failRate ?? 0, nowMs: Date.now(), ...(o.defaultChute ? { defaultChute: o.defaultChute } : {}), ...(o.carrier ? { carrier: o.carrier } : {}) });
      if (!plan) return;
      for (const u of plan.updates) {
        await pause();
        // Work withdrawn while the device was at it: what is not sent yet is not sent.
        if (floor.isWithdrawn(workId) || o.signal?.aborted) {
          stats.withdrawn += 1;
          return;
        }
        await send(o.client, u);
        stats.updates += 1;
      }
      // Durable at the gateway before the next stage starts: the applier then sees this stage first.
      await o.client.flush(60_000);
      ok = plan.ok;
      if (plan.ok) stats.done += 1;
      else {
        stats.failed += 1;
        o.log?.(`${o.family} ${device}: ${JSON.stringify(job.header.picking)} failed: ${plan.updates[0]?.type === 'task.failed' ? (plan.updates[0].payload as { reason: string }).reason : ''}`);
      }
    } finally {
      floor.settle(key, o.family, ok);
      give(device);
    }
  };

  const heartbeat = o.client.sendReading ? startHeartbeats(o.client, o.devices, o.signal) : undefined;
  try {
    for await (const raw of o.client.work()) {
      if (o.signal?.aborted) break;
      stats.received += 1;
      const parsed = parseWork(raw);
      if (!parsed.ok) {
        stats.invalid += 1;
        o.log?.(`${o.family}: refusing work with ${parsed.path}: ${parsed.message}`);
        const id = workIdOf(raw);
        if (id) await ack?.(id, 'refused', `${parsed.path}: ${parsed.message}`);
        continue;
      }
      const job = parsed.job;
      if (job.kind === 'withdrawal' || job.kind === 'ignored') {
        if (job.kind === 'withdrawal') {
          floor.withdraw(job.workId);
          stats.withdrawn += 1;
        }
        await ack?.(job.workId, 'accepted');
        continue;
      }
      if (job.family !== o.family) {
        stats.invalid += 1;
        await ack?.(job.header.work_id, 'refused', `${job.kind} is not work for a ${o.family} adapter`);
        continue;
      }
      await ack?.(job.header.work_id, 'accepted');
      if (seen.has(job.header.work_id) || floor.isWithdrawn(job.header.work_id)) {
        stats.repeats += seen.has(job.header.work_id) ? 1 : 0;
        continue;
      }
      seen.add(job.header.work_id);
      if (seen.size > 100_000) seen.delete(seen.values().next().value as string);
      const device = await take();
      const p = act(job, device).catch((err: unknown) => o.log?.(`${o.family} ${device}: ${err instanceof Error ? err.message : String(err)}`));
      running.add(p);
      void p.finally(() => running.delete(p));
    }
  } finally {
    await Promise.allSettled([...running]);
    heartbeat?.stop();
  }
  return stats;
}

function send(client: WorkClient, u: SimUpdate): Promise<void> {
  return client.sendUpdate(u.deviceId, u.type, u.payload, { idempotencyKey: u.idempotencyKey, correlationId: u.correlationId, eventTimeMs: u.eventTimeMs });
}

/** A heartbeat per device every 10 s, so Odoo shows the simulated devices online. */
function startHeartbeats(client: WorkClient, devices: readonly string[], signal?: AbortSignal): { stop(): void } {
  const beat = () => {
    for (const d of devices) client.sendReading?.(d, { heartbeat: { time_ms: Date.now() } }).catch(() => undefined);
  };
  beat();
  const timer = setInterval(beat, 10_000);
  timer.unref();
  const stop = () => clearInterval(timer);
  signal?.addEventListener('abort', stop, { once: true });
  return { stop };
}
