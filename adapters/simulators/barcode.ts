/**
 * Warehouse operators with handheld scanners at human pace (a scan every 1.2–3.5 s): picking lines
 * from locations and packing parcels with an SSCC label. They make the usual mistakes: the wrong item
 * (the device refuses it), a double scan (the trigger fires twice within 200 ms), a misread that yields a
 * wrong check digit. Output: barcode platform events for adapters/barcode.
 */
import type { ScannerEvent } from '../barcode';
import { GS, corruptCheckDigit, expected, gtin13, seededRandom, sscc, type ExpectedUpdate, type Scenario } from './common';
import { DEFAULT_ADAPTERS } from './defaults';

export interface BarcodeScenarioOptions {
  seed?: number;
  adapterId?: string;
  scanners?: number;
  startMs?: number;
  durationMs?: number;
  wrongItemRate?: number;
  doubleScanRate?: number;
  misreadRate?: number;
  /** Share of tasks that are packing rather than picking (default 0.3). */
  packShare?: number;
  warehouse?: string;
}

interface Product {
  ean: string;
  /** Lot-tracked products carry a GS1-128 label with (01) and (10). */
  lotTracked: boolean;
}

const CATALOGUE: Product[] = [
  { ean: gtin13('400638133393'), lotTracked: false },
  { ean: gtin13('590123412345'), lotTracked: true },
  { ean: gtin13('871234567890'), lotTracked: false },
  { ean: gtin13('501234567890'), lotTracked: true },
  { ean: gtin13('761234567890'), lotTracked: false },
  { ean: gtin13('978020137962'), lotTracked: false },
];

export function barcodeScenario(o: BarcodeScenarioOptions = {}): Scenario<ScannerEvent> {
  const rnd = seededRandom(o.seed ?? 1);
  const adapterId = o.adapterId ?? DEFAULT_ADAPTERS.barcode.adapterId;
  const start = o.startMs ?? Date.now();
  const end = start + (o.durationMs ?? 60_000);
  const warehouse = o.warehouse ?? 'WH';
  const events: Array<{ atMs: number; event: ScannerEvent; order: number }> = [];
  const want: ExpectedUpdate[] = [];
  const summary = { scanners: o.scanners ?? 3, tasks: 0, scans: 0, wrongItems: 0, doubleScans: 0, misreads: 0 };
  const deviceIds: string[] = [];
  let order = 0;
  let pickingNo = 0;
  let parcelSerial = 0;

  for (let s = 1; s <= summary.scanners; s += 1) {
    const scanner = `scanner-${String(s).padStart(2, '0')}`;
    deviceIds.push(scanner);
    const at = (t: number, e: Omit<ScannerEvent, 'ts' | 'scanner'>) => events.push({ atMs: t, event: { ts: t, scanner, ...e }, order: order++ });
    const first = start + s * 53;
    for (let t = first; t <= end; t += 10_000) at(t, { kind: 'keepalive', battery: 90 - (t - start) / 60_000 });
    want.push(expected(adapterId, scanner, 'device.status', `${adapterId}:${scanner}:device.status:${first}:online`, first, { status: 'online', family: 'barcode', warehouse }));

    let t = first + rnd.int(500, 2000);
    while (t < end) {
      summary.tasks += 1;
      pickingNo += 1;
      const picking = `WH/OUT/${String(pickingNo).padStart(5, '0')}`;
      const packing = rnd.chance(o.packShare ?? 0.3);
      const mode = packing ? 'pack' : 'pick';
      const products = [...CATALOGUE].sort(() => rnd.next() - 0.5).slice(0, rnd.int(1, packing ? 3 : 4));
      const lines: Array<Record<string, unknown>> = [];
      for (const product of products) {
        const lot = product.lotTracked ? `LOT${rnd.int(1000, 9999)}` : '';
        const raw = lot ? `]C101${product.ean.padStart(14, '0')}10${lot}${GS}` : product.ean;
        const location = packing ? '' : `A-${String(rnd.int(1, 30)).padStart(2, '0')}-${String(rnd.int(1, 12)).padStart(2, '0')}`;
        const quantity = packing ? 1 : rnd.int(1, 3);
        for (let unit = 0; unit < quantity; unit += 1) {
          t += rnd.int(1200, 3500);
          if (rnd.chance(o.wrongItemRate ?? 0.05)) {
            summary.wrongItems += 1;
            const other = CATALOGUE.find((p) => !products.includes(p)) ?? product;
            at(t, { kind: 'scan', mode, order: picking, location, raw: other.ean, verdict: 'wrong_item' });
            t += rnd.int(1500, 3000);
          }
          if (!lot && rnd.chance(o.misreadRate ?? 0.04)) {
            summary.misreads += 1;
            at(t, { kind: 'scan', mode, order: picking, location, raw: corruptCheckDigit(product.ean), verdict: 'ok' });
            t += rnd.int(1200, 2000);
          }
          summary.scans += 1;
          at(t, { kind: 'scan', mode, order: picking, location, raw, verdict: 'ok' });
          if (rnd.chance(o.doubleScanRate ?? 0.08)) {
            summary.doubleScans += 1;
            at(t + rnd.int(40, 200), { kind: 'scan', mode, order: picking, location, raw, verdict: 'ok' });
          }
        }
        const line: Record<string, unknown> = { product: { barcode: product.ean }, quantity };
        if (!packing) {
          if (lot) line.lot = lot;
          line.location = { barcode: location };
        }
        lines.push(line);
      }
      t += rnd.int(1000, 2500);
      if (packing) {
        parcelSerial += 1;
        const code = sscc('4012345', 100_000 + s * 10_000 + parcelSerial, 3);
        const grams = rnd.int(300, 12_000);
        at(t, { kind: 'scan', mode, order: picking, raw: `]C100${code}3103${String(grams).padStart(6, '0')}`, verdict: 'ok', done: true });
        want.push(
          expected(adapterId, scanner, 'pack.completed', `${adapterId}:${scanner}:pack.completed:${picking}:${t}`, t, {
            picking: { name: picking },
            sscc: code,
            weight_kg: grams / 1000,
            lines,
          }),
        );
      } else {
        at(t, { kind: 'done', mode, order: picking });
        want.push(expected(adapterId, scanner, 'pick.confirmed', `${adapterId}:${scanner}:pick.confirmed:${picking}:${t}`, t, { picking: { name: picking }, lines }));
      }
      t += rnd.int(3000, 8000);
    }
  }
  events.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return { family: 'barcode', adapterId, deviceIds, events: events.map(({ atMs, event }) => ({ atMs, event })), expected: want, summary };
}
