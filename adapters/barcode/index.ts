/**
 * Reference adapter for a barcode platform that pushes one JSON event per scanner action:
 *   {ts, scanner, kind: "scan", mode, order, location?, raw, qty?, verdict: "ok" | "wrong_item", done?}
 *   {ts, scanner, kind: "done", mode, order}          the operator closed the task on the device
 *   {ts, scanner, kind: "keepalive", battery, fault?}
 * Scans the device itself refused (wrong item for the task) stop here: the operator was told and the ERP
 * must not count them. Everything else goes to the bridge as is, double scans and misreads included:
 * debouncing and GS1 check digits are the bridge's job, done once for every vendor.
 */
import type { ReadingSink, ScanMode } from '@logistics-bridge/adapter-sdk';

export interface ScannerEvent {
  ts: number;
  scanner: string;
  kind: 'scan' | 'done' | 'keepalive';
  mode?: 'pick' | 'pack' | 'receive' | 'count' | 'ship';
  order?: string;
  location?: string;
  raw?: string;
  qty?: number;
  verdict?: 'ok' | 'wrong_item';
  done?: boolean;
  operator?: string;
  battery?: number;
  fault?: string;
}

const MODES: Record<NonNullable<ScannerEvent['mode']>, ScanMode> = {
  pick: 'SCAN_MODE_PICK',
  pack: 'SCAN_MODE_PACK',
  receive: 'SCAN_MODE_RECEIVE',
  count: 'SCAN_MODE_COUNT',
  ship: 'SCAN_MODE_SHIP',
};

export function barcodeAdapter(client: ReadingSink, warehouse = '') {
  const stats = { events: 0, refusedOnDevice: 0 };
  return {
    stats,
    async handle(e: ScannerEvent): Promise<void> {
      stats.events += 1;
      if (e.kind === 'keepalive') {
        await client.sendReading(e.scanner, { heartbeat: { time_ms: e.ts, error: Boolean(e.fault), error_text: e.fault ?? '', warehouse } });
        return;
      }
      if (e.kind === 'scan' && e.verdict === 'wrong_item') {
        stats.refusedOnDevice += 1;
        return;
      }
      const order = e.order ?? '';
      // Closing a task is sent as a scan of the picking document with confirmed set (the protocol's way).
      const data = e.kind === 'done' ? order : (e.raw ?? '');
      if (!data) return;
      await client.sendReading(e.scanner, {
        scan: {
          time_ms: e.ts,
          data,
          mode: MODES[e.mode ?? 'pick'],
          picking_name: order,
          location_barcode: e.location ?? '',
          quantity: e.qty ?? 0,
          operator_id: e.operator ?? '',
          confirmed: e.kind === 'done' || e.done === true,
        },
      });
    },
  };
}
