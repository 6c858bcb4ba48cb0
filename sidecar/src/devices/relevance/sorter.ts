import type { ReadingContext, Sink } from './context';
import { isValidSscc } from '@logistics-bridge/contract';
import { parseScan } from './gs1';
import { BoundedMap } from './lru';
import type { PickingRef, SorterEventMsg } from '@logistics-bridge/contract';
import { idempotencyKey, makeUpdate } from './types';

export interface SorterOptions {
  /** Recirculations a parcel may make; one more and it becomes task.failed (default 3). */
  maxRecirculations: number;
  /** SSCCs remembered per stream (default 100,000: a day of a busy sorter). */
  capacity: number;
}

interface ParcelState {
  recirculations: number;
  sorted: boolean;
  failed: boolean;
  picking?: string;
}

/**
 * One parcel.sorted per SSCC: the first divert confirmation sorts the parcel, later confirmations of the
 * same SSCC (a PLC repeating itself, a parcel re-inducted by hand) are coalesced. Recirculations are
 * counted and dropped; the one that exceeds the limit turns into task.failed, once. No-reads are counted:
 * a parcel nobody could read is not an ERP fact, but a no-read rate is an operations fact.
 */
export class SorterCoalescer {
  private readonly parcels: BoundedMap<string, ParcelState>;
  // The sorter tracks parcels by its own id and learns the SSCC at the scan tunnel; diverts often carry
  // only the tracking id. The PLC reuses ids, so the map is bounded and overwritten on each new scan.
  private readonly trackingIds: BoundedMap<string, string>;
  noReads = 0;

  constructor(private readonly options: SorterOptions) {
    this.parcels = new BoundedMap(options.capacity);
    this.trackingIds = new BoundedMap(Math.max(1_000, Math.floor(options.capacity / 10)));
  }

  handle(event: SorterEventMsg, ctx: ReadingContext, sink: Sink): void {
    const kind = event.kind;
    // A new induction or a no-read starts a new parcel under a tracking id the PLC may have used before.
    if ((kind === 'KIND_NO_READ' || kind === 'KIND_INDUCTED') && event.parcel_id) this.trackingIds.delete(event.parcel_id);
    if (kind === 'KIND_NO_READ') {
      this.noReads += 1;
      sink.drop('no_read');
      return;
    }
    if (kind === 'KIND_INDUCTED') {
      sink.drop('sorter_event');
      return;
    }
    const sscc = this.resolveSscc(event);
    if (kind === 'KIND_SCANNED') {
      if (!sscc) {
        // A read that is not a valid SSCC is, for the ERP, a no-read.
        this.noReads += 1;
        sink.drop(event.barcode ? 'invalid_barcode' : 'no_read');
        return;
      }
      if (event.parcel_id) this.trackingIds.set(event.parcel_id, sscc);
      this.touch(sscc, event);
      sink.drop('sorter_event');
      return;
    }
    if (!sscc) {
      sink.drop(kind === 'KIND_DIVERTED' || kind === 'KIND_RECIRCULATED' || kind === 'KIND_REJECTED' ? 'no_read' : 'unsupported');
      return;
    }
    const parcel = this.touch(sscc, event);
    const picking: PickingRef | undefined = parcel.picking ? { name: parcel.picking } : undefined;
    if (kind === 'KIND_DIVERTED') {
      if (parcel.sorted || !event.chute) {
        sink.drop('duplicate_divert');
        return;
      }
      parcel.sorted = true;
      const payload: { sscc: string; chute: string; picking?: PickingRef; lane?: string } = { sscc, chute: event.chute };
      if (picking) payload.picking = picking;
      if (event.lane) payload.lane = event.lane;
      sink.emit(makeUpdate('parcel.sorted', idempotencyKey(ctx.adapterId, 'parcel.sorted', sscc), ctx, payload));
      return;
    }
    if (kind === 'KIND_RECIRCULATED') {
      parcel.recirculations += 1;
      if (parcel.recirculations <= this.options.maxRecirculations || parcel.failed || parcel.sorted) {
        sink.drop('recirculation');
        return;
      }
      parcel.failed = true;
      const reason = `parcel ${sscc} recirculated ${parcel.recirculations} times${event.reason ? ` (${event.reason})` : ''}`;
      sink.emit(makeUpdate('task.failed', idempotencyKey(ctx.adapterId, 'task.failed', sscc, 'recirculation'), ctx, withPicking({ reason, code: 'RECIRCULATION_LIMIT' }, picking)));
      return;
    }
    if (kind === 'KIND_REJECTED') {
      // A parcel with a known SSCC sent to the reject chute needs a person: that is an ERP exception.
      if (parcel.sorted || parcel.failed) {
        sink.drop('duplicate_divert');
        return;
      }
      parcel.failed = true;
      const reason = `parcel ${sscc} rejected${event.reason ? `: ${event.reason}` : ''}`;
      sink.emit(makeUpdate('task.failed', idempotencyKey(ctx.adapterId, 'task.failed', sscc, 'rejected'), ctx, withPicking({ reason, code: 'REJECTED' }, picking)));
      return;
    }
    sink.drop('unsupported');
  }

  private touch(sscc: string, event: SorterEventMsg): ParcelState {
    const parcel = this.parcels.get(sscc) ?? { recirculations: 0, sorted: false, failed: false };
    if (event.picking_name) parcel.picking = event.picking_name;
    this.parcels.set(sscc, parcel);
    return parcel;
  }

  private resolveSscc(event: SorterEventMsg): string | null {
    if (event.sscc) return isValidSscc(event.sscc) ? event.sscc : null;
    if (event.barcode) {
      const parsed = parseScan(event.barcode);
      if (parsed.ok && parsed.kind === 'gs1' && parsed.elements.sscc) return parsed.elements.sscc;
      // Sorters often transmit the 18 digits of an SSCC label without the AI.
      if (isValidSscc(event.barcode)) return event.barcode;
      return null;
    }
    if (event.parcel_id) return this.trackingIds.get(event.parcel_id) ?? null;
    return null;
  }
}

function withPicking(payload: { reason: string; code: string }, picking: PickingRef | undefined): { reason: string; code: string; picking?: PickingRef } {
  return picking ? { picking, ...payload } : payload;
}
