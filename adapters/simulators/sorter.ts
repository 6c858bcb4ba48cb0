/**
 * A cross-belt sorter: parcels inducted at 2–5 per second per induction, a scan tunnel that sometimes
 * cannot read a label (no-read → reject chute), full chutes that send parcels round again, a PLC that
 * now and then confirms a divert twice, a few parcels that never find their chute, and a jam that puts
 * the sorter into fault for a few seconds. Output: PLC telegrams for adapters/sorter.
 */
import { expected, seededRandom, sscc, type ExpectedUpdate, type Scenario } from './common';
import { DEFAULT_ADAPTERS } from './defaults';

export interface SorterScenarioOptions {
  seed?: number;
  adapterId?: string;
  sorterId?: string;
  /** Device time of the first telegram (default now). */
  startMs?: number;
  durationMs?: number;
  /** Parcels per second per induction (default 3). */
  rate?: number;
  inductions?: number;
  noReadRate?: number;
  recirculationRate?: number;
  /** Parcels that recirculate past the limit and become task.failed. */
  lostRate?: number;
  duplicateDivertRate?: number;
  /** A jam (fault for 6 s) in the middle of runs of 20 s or more (default true). */
  jam?: boolean;
  warehouse?: string;
}

/** The gateway's default: a parcel may go round 3 times; the 4th recirculation fails it. */
const MAX_RECIRCULATIONS = 3;
const COMPANY_PREFIX = '4012345';

export function sorterScenario(o: SorterScenarioOptions = {}): Scenario<string> {
  const rnd = seededRandom(o.seed ?? 1);
  const adapterId = o.adapterId ?? DEFAULT_ADAPTERS.sorter.adapterId;
  const sorterId = o.sorterId ?? 'sorter-1';
  const start = o.startMs ?? Date.now();
  const duration = o.durationMs ?? 60_000;
  const rate = o.rate ?? 3;
  const warehouse = o.warehouse ?? 'WH';
  const events: Array<{ atMs: number; event: string; order: number }> = [];
  const want: ExpectedUpdate[] = [];
  const summary = { parcels: 0, noReads: 0, recirculated: 0, lost: 0, duplicateDiverts: 0, telegrams: 0 };
  let order = 0;
  const at = (atMs: number, telegram: string) => events.push({ atMs, event: `${atMs};${telegram}`, order: order++ });
  const status = (t: number, value: 'online' | 'error', error?: string) =>
    want.push(expected(adapterId, sorterId, 'device.status', `${adapterId}:${sorterId}:device.status:${t}:${value}`, t, { status: value, family: 'sorter', warehouse, ...(error ? { error } : {}) }));

  // Heartbeats every 2 s, with a jam in the middle.
  const jamFrom = o.jam !== false && duration >= 20_000 ? start + Math.floor(duration * 0.4 / 2000) * 2000 : Number.POSITIVE_INFINITY;
  const jamTo = jamFrom + 6_000;
  for (let t = start; t <= start + duration; t += 2_000) {
    const faulty = t >= jamFrom && t < jamTo;
    at(t, faulty ? 'STATUS;FAULT;jam at induction I1' : 'STATUS;OK;');
    if (t === start) status(t, 'online');
    else if (t === jamFrom) status(t, 'error', 'jam at induction I1');
    else if (t === jamTo) status(t, 'online');
  }

  let serial = 0;
  let pickingNo = 0;
  let parcelsLeftInPicking = 0;
  for (let induction = 1; induction <= (o.inductions ?? 2); induction += 1) {
    for (let t = start + 150 * induction; t < start + duration; t += Math.max(50, Math.round((1000 / rate) * (0.7 + 0.6 * rnd.next())))) {
      if (t >= jamFrom && t < jamTo) continue; // nothing is inducted while the sorter is in fault
      serial += 1;
      summary.parcels += 1;
      if (parcelsLeftInPicking <= 0) {
        pickingNo += 1;
        parcelsLeftInPicking = rnd.int(1, 4);
      }
      parcelsLeftInPicking -= 1;
      const picking = `WH/OUT/${String(pickingNo).padStart(5, '0')}`;
      const chute = `C${String((pickingNo % 24) + 1).padStart(2, '0')}`;
      const lane = `L${(pickingNo % 2) + 1}`;
      const code = sscc(COMPANY_PREFIX, serial);
      const parcel = `P${serial % 5000}`;
      at(t, `INDUCT;${parcel};I${induction}`);
      const readAt = t + rnd.int(800, 1200);
      if (rnd.chance(o.noReadRate ?? 0.03)) {
        summary.noReads += 1;
        at(readAt, `NOREAD;${parcel}`);
        at(readAt + rnd.int(2000, 4000), `DIVERT;${parcel};NR;;`);
        continue;
      }
      at(readAt, `READ;${parcel};]C100${code}`);
      let loopAt = readAt + rnd.int(2000, 5000);
      if (rnd.chance(o.lostRate ?? 0.01)) {
        summary.lost += 1;
        for (let round = 1; round <= MAX_RECIRCULATIONS + 1; round += 1) {
          at(loopAt, `RECIRC;${parcel};chute full`);
          if (round === MAX_RECIRCULATIONS + 1) {
            want.push(
              expected(adapterId, sorterId, 'task.failed', `${adapterId}:task.failed:${code}:recirculation`, loopAt, {
                reason: `parcel ${code} recirculated ${round} times (chute full)`,
                code: 'RECIRCULATION_LIMIT',
              }),
            );
          }
          loopAt += 20_000;
        }
        at(loopAt - 15_000, `REJECT;${parcel};recirculation limit`);
        continue;
      }
      if (rnd.chance(o.recirculationRate ?? 0.08)) {
        summary.recirculated += 1;
        const rounds = rnd.int(1, 2);
        for (let round = 1; round <= rounds; round += 1) {
          at(loopAt, `RECIRC;${parcel};chute full`);
          loopAt += 20_000;
        }
      }
      at(loopAt, `DIVERT;${parcel};${chute};${lane};${picking}`);
      want.push(expected(adapterId, sorterId, 'parcel.sorted', `${adapterId}:parcel.sorted:${code}`, loopAt, { sscc: code, chute, lane, picking: { name: picking } }));
      if (rnd.chance(o.duplicateDivertRate ?? 0.05)) {
        summary.duplicateDiverts += 1;
        at(loopAt + 50, `DIVERT;${parcel};${chute};${lane};${picking}`);
      }
    }
  }
  events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  summary.telegrams = events.length;
  return { family: 'sorter', adapterId, deviceIds: [sorterId], events: events.map(({ atMs, event }) => ({ atMs, event })), expected: want, summary };
}
