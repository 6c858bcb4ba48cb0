/**
 * What the three simulators share: a seeded random source (so a seed gives the same traffic and the same
 * expected ERP updates every time), GS1 number makers, the scenario shape, and the player that feeds a
 * scenario's vendor events to a reference adapter in real time, faster, or as fast as possible.
 */

import { gs1CheckDigit } from '@logistics-bridge/contract';

/** mulberry32: small, fast, good enough for traffic generation, and identical on every platform. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
  };
}

export interface Random {
  /** [0, 1) */
  next(): number;
  /** Integer in [min, max]. */
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
}


/** A GTIN-13 (EAN-13) with a valid check digit from a 12-digit body. */
export function gtin13(body12: string): string {
  return body12 + gs1CheckDigit(body12);
}

/** An SSCC: extension digit, GS1 company prefix and serial reference, 17 digits + check digit. */
export function sscc(companyPrefix: string, serial: number, extension = 0): string {
  const body = `${extension}${companyPrefix}${String(serial).padStart(16 - companyPrefix.length, '0')}`;
  return body + gs1CheckDigit(body);
}

/** Replaces the check digit with a wrong one: what a misread or a damaged label looks like. */
export function corruptCheckDigit(code: string): string {
  const last = Number(code[code.length - 1]);
  return code.slice(0, -1) + String((last + 1 + (last % 3)) % 10);
}

export const GS = '\u001d';

/** An ERP update a scenario expects on `logistics.updates`: the apply contract, exactly. */
export interface ExpectedUpdate {
  idempotency_key: string;
  type: string;
  adapter_id: string;
  device_id: string;
  correlation_id: string | null;
  event_time: string;
  payload: Record<string, unknown>;
}

export function expected(adapterId: string, deviceId: string, type: string, key: string, timeMs: number, payload: Record<string, unknown>): ExpectedUpdate {
  return { idempotency_key: key, type, adapter_id: adapterId, device_id: deviceId, correlation_id: null, event_time: new Date(timeMs).toISOString(), payload };
}

/**
 * A generated run: the vendor events a reference adapter receives, in time order, and the ERP updates
 * that must land because of them, and nothing else. Expectations assume the gateway's default relevance
 * options (500 ms debounce, 3 recirculations, 30 s blocked, 30 s heartbeat timeout) and a run that ends
 * before the devices' heartbeat timeout passes in real time.
 */
export interface Scenario<E> {
  family: 'barcode' | 'sorter' | 'robot_fleet';
  adapterId: string;
  /** Every device the adapter speaks for: the gateway's allowlist for this adapter must contain them. */
  deviceIds: string[];
  events: Array<{ atMs: number; event: E }>;
  expected: ExpectedUpdate[];
  /** For reports: what the traffic consisted of. */
  summary: Record<string, number>;
}

export interface PlayOptions {
  /** 1 = real time, 10 = ten times faster, Infinity = as fast as the gateway takes it (default). */
  speed?: number;
  signal?: AbortSignal;
}

/** Feeds the events to `handle` in order, paced by their times; `handle` applies back-pressure. */
export async function play<E>(scenario: Scenario<E>, handle: (event: E) => Promise<void>, options: PlayOptions = {}): Promise<void> {
  const speed = options.speed ?? Number.POSITIVE_INFINITY;
  const first = scenario.events[0]?.atMs ?? 0;
  const startedAt = Date.now();
  for (const { atMs, event } of scenario.events) {
    if (options.signal?.aborted) return;
    if (Number.isFinite(speed)) {
      const due = startedAt + (atMs - first) / speed;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await handle(event);
  }
}
