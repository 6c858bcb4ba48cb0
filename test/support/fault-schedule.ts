import { seededRandom } from '../../adapters/simulators/common';

/**
 * The whole-chain fault suite's plan, pure: from one seed, which fault happens when and for how long.
 * The same seed gives the same plan, so a failing run is replayed with FAULT_SEED=<seed>.
 */
export const FAULT_KINDS = ['sidecar-kill', 'adapter-kill', 'broker-restart', 'odoo-restart', 'broker-link', 'gateway-link'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** What a link fault does to the TCP connections through its proxy. */
export const LINK_MODES = ['drop', 'stall', 'reset'] as const;
export type LinkMode = (typeof LINK_MODES)[number];

export interface Fault {
  /** Since the start of the fault window (ms). */
  atMs: number;
  kind: FaultKind;
  /** For link faults: drop (refuse and close), stall (hold the bytes), reset (RST every connection). */
  mode?: LinkMode;
  /** How long the fault lasts before it is healed (the process restarted, the link restored). */
  holdMs: number;
}

export interface ScheduleOptions {
  /** Length of the window the faults start in (ms). */
  windowMs: number;
  /** Each kind is injected at least once; `rounds` times in all (default 1). */
  kinds?: readonly FaultKind[];
  rounds?: number;
  holdMs?: readonly [number, number];
  /** Quiet time after a fault is healed before the next one starts (ms). */
  gapMs?: readonly [number, number];
}

/**
 * A plan where faults never overlap (each is healed and followed by a quiet gap before the next), so a
 * failure names one fault; the kinds come in a seeded order, each `rounds` times, at seeded moments
 * spread over the window. Throws when the window cannot hold them.
 */
export function faultSchedule(seed: number, o: ScheduleOptions): Fault[] {
  const rnd = seededRandom(seed);
  const kinds = o.kinds ?? FAULT_KINDS;
  const [holdMin, holdMax] = o.holdMs ?? [2_000, 6_000];
  const [gapMin, gapMax] = o.gapMs ?? [3_000, 8_000];
  const order: FaultKind[] = [];
  for (let r = 0; r < (o.rounds ?? 1); r++) {
    const round = [...kinds];
    for (let i = round.length - 1; i > 0; i--) {
      const j = rnd.int(0, i);
      [round[i], round[j]] = [round[j] as FaultKind, round[i] as FaultKind];
    }
    order.push(...round);
  }
  const holds = order.map(() => rnd.int(holdMin, holdMax));
  const gaps = order.map(() => rnd.int(gapMin, gapMax));
  const busy = holds.reduce((a, b) => a + b, 0) + gaps.reduce((a, b) => a + b, 0);
  if (busy > o.windowMs) throw new Error(`${order.length} faults need ${busy} ms, more than the ${o.windowMs} ms window`);
  // The slack of the window, split at seeded points: each fault starts after its share of it.
  const cuts = order.map(() => rnd.int(0, o.windowMs - busy)).sort((a, b) => a - b);
  const plan: Fault[] = [];
  let at = 0;
  let slackUsed = 0;
  order.forEach((kind, i) => {
    const cut = cuts[i] as number;
    at += cut - slackUsed;
    slackUsed = cut;
    const fault: Fault = { atMs: at, kind, holdMs: holds[i] as number };
    if (kind === 'broker-link' || kind === 'gateway-link') fault.mode = LINK_MODES[rnd.int(0, LINK_MODES.length - 1)];
    plan.push(fault);
    at += (holds[i] as number) + (gaps[i] as number);
  });
  return plan;
}

/** FAULT_SEED when set (a replay), else a fresh random seed; a positive 31-bit integer either way. */
export function faultSeed(env: NodeJS.ProcessEnv = process.env, random: () => number = Math.random): number {
  const raw = env.FAULT_SEED;
  if (raw === undefined || raw === '') return 1 + Math.floor(random() * 0x7ffffffe);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0 || n > 0x7fffffff) throw new Error(`FAULT_SEED must be an integer from 1 to ${0x7fffffff}, not ${raw}`);
  return n;
}

/** One line per fault, as the suite prints its plan. */
export function describeFault(f: Fault): string {
  return `+${(f.atMs / 1000).toFixed(1)}s ${f.kind}${f.mode ? ` (${f.mode})` : ''} for ${(f.holdMs / 1000).toFixed(1)}s`;
}
