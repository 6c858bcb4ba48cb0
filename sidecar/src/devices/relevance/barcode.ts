import type { ReadingContext, Sink } from './context';
import { ScanDebouncer } from './debounce';
import { parseScan, type ParseOptions } from './gs1';
import { BoundedMap } from './lru';
import type { ExpectedScansMsg, PickLine, PickingRef, ProductRef, ScanReadingMsg } from '@logistics-bridge/contract';
import { idempotencyKey, makeUpdate } from './types';

export interface BarcodeOptions {
  /** Same code from the same scanner within this window is one scan (default 500 ms). */
  debounceMs: number;
  /** Open scan sessions and expected-scan lists kept per stream. */
  capacity: number;
  gs1?: ParseOptions;
}

interface Session {
  lines: Map<string, PickLine>;
  sscc?: string;
  weightKg?: number;
}

/**
 * Scans become ERP updates when the operator confirms: product scans in a session (scanner, mode,
 * picking) add up to lines, and the confirming scan emits one update for the whole session:
 *   PICK → pick.confirmed, RECEIVE → receipt.counted, PACK → pack.completed (needs an SSCC scan),
 *   SHIP → shipment.dispatched, COUNT → one inventory.counted per product (needs a location).
 * Double scans are debounced, unreadable codes and wrong check digits dropped (counted as
 * invalid_barcode), and when the gateway has told us which products a picking expects (ExpectedScans),
 * a wrong item is dropped too: the device has already told the operator, the ERP must not count it.
 *
 * A confirming scan whose data is the picking name or the location barcode (operators close a task by
 * scanning its document) confirms without adding a product.
 *
 * Sessions live in memory: a gateway restart forgets unconfirmed scans. Keys of confirmed updates come
 * from the device, picking and the confirming scan's device time, so a replay cannot apply twice.
 */
export class ScanSessions {
  private readonly debouncer: ScanDebouncer;
  private readonly sessions: BoundedMap<string, Session>;
  private readonly expected: BoundedMap<string, Set<string>>;

  constructor(private readonly options: BarcodeOptions) {
    this.debouncer = new ScanDebouncer(options.debounceMs, options.capacity);
    this.sessions = new BoundedMap(options.capacity);
    this.expected = new BoundedMap(options.capacity);
  }

  /** Flow 3: the products a picking expects, by barcode and internal reference. */
  rememberExpected(work: ExpectedScansMsg): void {
    const picking = work.header?.picking?.name;
    if (!picking) return;
    const products = new Set<string>();
    for (const line of work.lines ?? []) {
      if (line.product_barcode) products.add(normaliseBarcode(line.product_barcode));
      if (line.default_code) products.add(line.default_code);
    }
    this.expected.set(picking, products);
  }

  handle(scan: ScanReadingMsg, ctx: ReadingContext, sink: Sink): void {
    const mode = modeOf(scan.mode);
    const picking = scan.picking_name ?? '';
    if (!mode || (mode !== 'count' && !picking)) {
      sink.drop('unsupported');
      return;
    }
    const deviceId = scan.device_id || ctx.deviceId;
    const sessionKey = `${deviceId}\u0000${mode}\u0000${picking}`;
    const closesOnly = scan.data === picking || (scan.data !== '' && scan.data === scan.location_barcode);
    const accepted = scan.data !== '' && !closesOnly ? this.accept(scan, mode, picking, deviceId, sessionKey, ctx, sink) : false;
    if (closesOnly && !scan.confirmed) {
      sink.drop('unsupported');
      return;
    }
    if (!scan.confirmed) {
      if (accepted) sink.drop('scan_buffered');
      return;
    }
    const session = this.sessions.get(sessionKey);
    this.sessions.delete(sessionKey);
    const emitted = session ? this.flush(mode, picking, session, scan, ctx, sink) : 0;
    if (emitted === 0 && accepted) sink.drop('scan_buffered');
  }

  /** Adds one scan to its session; false when the scan was dropped (the drop is counted). */
  private accept(scan: ScanReadingMsg, mode: Mode, picking: string, deviceId: string, sessionKey: string, ctx: ReadingContext, sink: Sink): boolean {
    const parsed = parseScan(scan.data, this.options.gs1);
    if (!parsed.ok) {
      sink.drop('invalid_barcode');
      return false;
    }
    if (this.debouncer.isRepeat(deviceId, scan.data, ctx.eventTimeMs)) {
      sink.drop('duplicate_scan');
      return false;
    }
    const session = this.sessions.get(sessionKey) ?? { lines: new Map<string, PickLine>() };
    this.sessions.set(sessionKey, session);
    if (parsed.kind === 'gs1' && parsed.elements.sscc) {
      session.sscc = parsed.elements.sscc;
      if (parsed.elements.netWeightKg !== undefined) session.weightKg = parsed.elements.netWeightKg;
      return true;
    }
    let product: { barcode: string };
    let lot: string | undefined;
    let count = 1;
    if (parsed.kind === 'gs1') {
      if (!parsed.elements.gtin) {
        sink.drop('unsupported');
        return false;
      }
      product = { barcode: erpBarcode(parsed.elements.gtin) };
      lot = parsed.elements.lot ?? parsed.elements.serial;
      count = parsed.elements.count ?? 1;
    } else {
      product = { barcode: parsed.code };
    }
    const expected = this.expected.get(picking);
    if (expected && mode !== 'count' && !expected.has(normaliseBarcode(product.barcode)) && !expected.has(product.barcode)) {
      sink.drop('unexpected_item');
      return false;
    }
    const quantity = (scan.quantity && scan.quantity > 0 ? scan.quantity : 1) * count;
    const location = scan.location_barcode || undefined;
    const lineKey = `${product.barcode}\u0000${lot ?? ''}\u0000${location ?? ''}`;
    const line = session.lines.get(lineKey);
    if (line) line.quantity += quantity;
    else {
      const fresh: PickLine = { product, quantity };
      if (lot) fresh.lot = lot;
      if (location) fresh.location = { barcode: location };
      session.lines.set(lineKey, fresh);
    }
    return true;
  }

  private flush(mode: Mode, picking: string, session: Session, scan: ScanReadingMsg, ctx: ReadingContext, sink: Sink): number {
    const ref: PickingRef = { name: picking };
    const lines = [...session.lines.values()];
    // The confirming scan's device time identifies the business event: stable under replay and
    // resend (which keep the reading), independent of how the adapter batched or numbered messages.
    const key = (type: string, ...rest: string[]) => idempotencyKey(ctx.adapterId, ctx.deviceId, type, picking || scan.location_barcode || '-', ctx.eventTimeMs, ...rest);
    switch (mode) {
      case 'pick':
        if (lines.length === 0) return 0;
        sink.emit(makeUpdate('pick.confirmed', key('pick.confirmed'), ctx, { picking: ref, lines }));
        return 1;
      case 'receive':
        if (lines.length === 0) return 0;
        sink.emit(makeUpdate('receipt.counted', key('receipt.counted'), ctx, { picking: ref, lines: lines.map(productLine) }));
        return 1;
      case 'pack': {
        if (!session.sscc) return 0;
        const payload: { picking: PickingRef; sscc: string; weight_kg?: number; lines?: Array<{ product: ProductRef; quantity: number }> } = { picking: ref, sscc: session.sscc };
        if (session.weightKg !== undefined && session.weightKg > 0) payload.weight_kg = session.weightKg;
        if (lines.length > 0) payload.lines = lines.map((l) => ({ product: l.product, quantity: l.quantity }));
        sink.emit(makeUpdate('pack.completed', key('pack.completed'), ctx, payload));
        return 1;
      }
      case 'ship': {
        const payload: { picking: PickingRef; lines?: Array<{ product: ProductRef; quantity: number; lot?: string }> } = { picking: ref };
        if (lines.length > 0) payload.lines = lines.map(productLine);
        sink.emit(makeUpdate('shipment.dispatched', key('shipment.dispatched'), ctx, payload));
        return 1;
      }
      case 'count': {
        let emitted = 0;
        lines.forEach((line, index) => {
          const location = line.location ?? (scan.location_barcode ? { barcode: scan.location_barcode } : undefined);
          if (!location) return;
          const payload: { product: ProductRef; location: typeof location; quantity: number; lot?: string } = { product: line.product, location, quantity: line.quantity };
          if (line.lot) payload.lot = line.lot;
          sink.emit(makeUpdate('inventory.counted', key('inventory.counted', String(index)), ctx, payload));
          emitted += 1;
        });
        return emitted;
      }
    }
  }
}

type Mode = 'pick' | 'pack' | 'receive' | 'count' | 'ship';

function modeOf(mode: string | undefined): Mode | null {
  switch (mode) {
    case 'SCAN_MODE_PICK':
      return 'pick';
    case 'SCAN_MODE_PACK':
      return 'pack';
    case 'SCAN_MODE_RECEIVE':
      return 'receive';
    case 'SCAN_MODE_COUNT':
      return 'count';
    case 'SCAN_MODE_SHIP':
      return 'ship';
    default:
      return null;
  }
}

function productLine(line: PickLine): { product: ProductRef; quantity: number; lot?: string } {
  return line.lot ? { product: line.product, quantity: line.quantity, lot: line.lot } : { product: line.product, quantity: line.quantity };
}

/**
 * Odoo matches product barcodes by exact string, and catalogues store a GTIN in its natural length
 * (EAN-8, UPC-A, EAN-13), so a GTIN-14 from AI (01) or a bare scan is sent without its padding zeros:
 * 000000+8 digits → GTIN-8, 00+12 → GTIN-12, 0+13 → GTIN-13; a real GTIN-14 (indicator digit) stays whole.
 */
export function erpBarcode(gtin14: string): string {
  if (!/^\d{14}$/.test(gtin14)) return gtin14;
  if (gtin14.startsWith('000000')) return gtin14.slice(6);
  if (gtin14.startsWith('00')) return gtin14.slice(2);
  if (gtin14.startsWith('0')) return gtin14.slice(1);
  return gtin14;
}

function normaliseBarcode(code: string): string {
  return /^\d{8,14}$/.test(code) ? code.padStart(14, '0') : code;
}
