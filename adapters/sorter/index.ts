/**
 * Reference adapter for a sorter PLC that reports one telegram per line, semicolon separated:
 *   <epoch ms>;INDUCT;<parcel>;<induction>     <epoch ms>;READ;<parcel>;<barcode>
 *   <epoch ms>;NOREAD;<parcel>                 <epoch ms>;DIVERT;<parcel>;<chute>;<lane>;<picking>
 *   <epoch ms>;RECIRC;<parcel>;<reason>        <epoch ms>;REJECT;<parcel>;<reason>
 *   <epoch ms>;STATUS;OK|FAULT;<text>
 * Every telegram becomes one reading; the bridge decides what the ERP needs (one parcel.sorted per SSCC).
 */
import type { ReadingSink, Reading, SorterEventKind } from '@logistics-bridge/adapter-sdk';

const KINDS: Record<string, SorterEventKind> = {
  INDUCT: 'KIND_INDUCTED',
  READ: 'KIND_SCANNED',
  NOREAD: 'KIND_NO_READ',
  DIVERT: 'KIND_DIVERTED',
  RECIRC: 'KIND_RECIRCULATED',
  REJECT: 'KIND_REJECTED',
};

export function sorterAdapter(client: ReadingSink, sorterId: string, warehouse = '') {
  const stats = { telegrams: 0, unparsable: 0 };
  return {
    stats,
    async handle(telegram: string): Promise<void> {
      stats.telegrams += 1;
      const reading = toReading(telegram, warehouse);
      if (!reading) {
        stats.unparsable += 1; // a PLC line we do not understand is logged by the vendor, not sent
        return;
      }
      await client.sendReading(sorterId, reading);
    },
  };
}

export function toReading(telegram: string, warehouse = ''): Reading | null {
  const [ts, type, a = '', b = '', c = '', d = ''] = telegram.trim().split(';');
  const time_ms = Number(ts);
  if (!Number.isSafeInteger(time_ms) || time_ms <= 0 || !type) return null;
  if (type === 'STATUS') return { heartbeat: { time_ms, error: a === 'FAULT', error_text: a === 'FAULT' ? b : '', warehouse } };
  const kind = KINDS[type];
  if (!kind) return null;
  switch (type) {
    case 'INDUCT':
      return { event: { time_ms, kind, parcel_id: a, induction: b } };
    case 'READ':
      return { event: { time_ms, kind, parcel_id: a, barcode: b } };
    case 'DIVERT':
      return { event: { time_ms, kind, parcel_id: a, chute: b, lane: c, picking_name: d } };
    case 'RECIRC':
    case 'REJECT':
      return { event: { time_ms, kind, parcel_id: a, reason: b } };
    default:
      return { event: { time_ms, kind, parcel_id: a } };
  }
}
