import type { Family } from './families';
import type { ParsedEnvelope } from './telemetry';
import { outOfOrderReading } from './messages';
import { ID_TEXT, KEY_TEXT, MAX_TIME_MS } from './update-schema';

/**
 * The hot path of validation: hand-written checks of a telemetry message that accept only what the zod
 * schemas in messages.ts accept, without copying the message. It answers "certainly valid" (the
 * envelope, parsed) or `undefined` ("not sure"), and then the caller runs the zod schemas, which are
 * the contract: they accept it or name the bad field. So a gap here costs speed, never correctness;
 * a unit test runs both over valid and mutated messages and checks that this never accepts what zod
 * refuses.
 */


type Rec = Record<string, unknown>;

function u64(v: unknown): number {
  if (typeof v === 'string') {
    // The zod rule /^\d{1,16}$/ and below 2^53, by hand: this runs for every envelope and reading time.
    const n = v.length;
    if (n < 1 || n > 16) return -1;
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c < 48 || c > 57) return -1;
    }
    const out = Number(v);
    return Number.isSafeInteger(out) ? out : -1;
  }
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  return -1;
}
const ms = (v: unknown): boolean => {
  const n = u64(v);
  return n > 0 && n <= MAX_TIME_MS;
};
const text = (v: unknown, max: number): boolean => typeof v === 'string' && v.length <= max;
const id = (v: unknown): boolean => typeof v === 'string' && ID_TEXT.test(v);
const optId = (v: unknown): boolean => v === '' || id(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const rec = (v: unknown): v is Rec => typeof v === 'object' && v !== null;

function envelope(e: unknown): ParsedEnvelope | undefined {
  if (!rec(e)) return undefined;
  if (!id(e.adapter_id) || !id(e.device_id) || !text(e.correlation_id, 200)) return undefined;
  const key = e.idempotency_key;
  if (key !== '' && !(typeof key === 'string' && KEY_TEXT.test(key))) return undefined;
  const seq = u64(e.sequence);
  if (seq < 1) return undefined;
  if (!ms(e.event_time_ms) || u64(e.header_id) < 0) return undefined;
  return {
    adapterId: e.adapter_id as string,
    deviceId: e.device_id as string,
    sequence: seq,
    idempotencyKey: key,
    correlationId: (e.correlation_id as string) || null,
    eventTimeMs: u64(e.event_time_ms),
  };
}

function heartbeat(h: unknown): boolean {
  return rec(h) && optId(h.device_id) && u64(h.time_ms) >= 0 && u64(h.time_ms) <= MAX_TIME_MS && typeof h.error === 'boolean' && text(h.error_text, 1000) && text(h.warehouse, 50);
}

const SCAN_MODES = new Set(['SCAN_MODE_UNSPECIFIED', 'SCAN_MODE_PICK', 'SCAN_MODE_PACK', 'SCAN_MODE_RECEIVE', 'SCAN_MODE_COUNT', 'SCAN_MODE_SHIP']);
function scan(s: unknown): boolean {
  return (
    rec(s) &&
    ms(s.time_ms) &&
    typeof s.data === 'string' &&
    s.data.length >= 1 &&
    s.data.length <= 4096 &&
    text(s.symbology, 50) &&
    SCAN_MODES.has(s.mode as string) &&
    text(s.picking_name, 200) &&
    text(s.location_barcode, 200) &&
    num(s.quantity) &&
    s.quantity >= 0 &&
    text(s.operator_id, 100) &&
    text(s.task_id, 200) &&
    optId(s.device_id) &&
    typeof s.confirmed === 'boolean'
  );
}

const SSCC_DIGITS = /^\d{18}$/;
const SORTER_KINDS = new Set(['KIND_INDUCTED', 'KIND_SCANNED', 'KIND_NO_READ', 'KIND_DIVERTED', 'KIND_RECIRCULATED', 'KIND_REJECTED']);
function sorterEvent(e: unknown): boolean {
  return (
    rec(e) &&
    ms(e.time_ms) &&
    SORTER_KINDS.has(e.kind as string) &&
    text(e.parcel_id, 100) &&
    text(e.barcode, 4096) &&
    (e.sscc === '' || (typeof e.sscc === 'string' && SSCC_DIGITS.test(e.sscc))) &&
    text(e.chute, 100) &&
    text(e.lane, 100) &&
    text(e.induction, 100) &&
    num(e.weight_kg) &&
    e.weight_kg >= 0 &&
    text(e.reason, 1000) &&
    text(e.picking_name, 200) &&
    optId(e.device_id)
  );
}

const ACTION_STATUSES = new Set(['ACTION_STATUS_UNSPECIFIED', 'ACTION_STATUS_WAITING', 'ACTION_STATUS_INITIALIZING', 'ACTION_STATUS_RUNNING', 'ACTION_STATUS_PAUSED', 'ACTION_STATUS_FINISHED', 'ACTION_STATUS_FAILED']);
const ERROR_LEVELS = new Set(['LEVEL_UNSPECIFIED', 'LEVEL_WARNING', 'LEVEL_FATAL']);
function robotState(s: unknown): boolean {
  if (!rec(s)) return false;
  if (!(ms(s.time_ms) && id(s.robot_id) && text(s.order_id, 200) && text(s.last_node_id, 200) && text(s.operating_mode, 50))) return false;
  const oid = s.order_update_id;
  if (!(typeof oid === 'number' && Number.isSafeInteger(oid) && oid >= 0)) return false;
  if (typeof s.driving !== 'boolean' || !num(s.battery_charge) || s.battery_charge < 0 || s.battery_charge > 100 || !num(s.velocity)) return false;
  if (!(text(s.load_id, 200) && text(s.picking_name, 200) && text(s.task_id, 200))) return false;
  const p = s.agv_position;
  if (p !== null && p !== undefined) {
    if (!rec(p) || !num(p.x) || !num(p.y) || !num(p.theta) || !text(p.map_id, 100) || typeof p.position_initialized !== 'boolean') return false;
  }
  const actions = s.action_states;
  if (!Array.isArray(actions) || actions.length > 100) return false;
  for (const a of actions as unknown[]) {
    if (!rec(a) || !text(a.action_id, 200) || !text(a.action_type, 100) || !ACTION_STATUSES.has(a.action_status as string) || !text(a.result_description, 1000)) return false;
  }
  const errors = s.errors;
  if (!Array.isArray(errors) || errors.length > 100) return false;
  for (const x of errors as unknown[]) {
    if (!rec(x) || !text(x.error_type, 100) || !ERROR_LEVELS.has(x.error_level as string) || !text(x.error_description, 1000)) return false;
  }
  return true;
}

const READING: Record<Family, { kind: string; check: (v: unknown) => boolean }> = {
  barcode: { kind: 'scan', check: scan },
  sorter: { kind: 'event', check: sorterEvent },
  robot_fleet: { kind: 'state', check: robotState },
};

/**
 * The parsed envelope of a telemetry message of `family` when it certainly passes the zod schema
 * (`raw.telemetry`'s readings are then exactly as zod would see them); `undefined` means "ask zod".
 */
export function fastTelemetryEnvelope(family: Family, raw: Rec): ParsedEnvelope | undefined {
  if (raw.kind !== 'telemetry') return undefined;
  const t = raw.telemetry;
  if (!rec(t)) return undefined;
  const readings = t.readings;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > 1000) return undefined;
  const { kind, check } = READING[family];
  for (const r of readings as unknown[]) {
    if (!rec(r)) return undefined;
    if (r.reading === kind) {
      if (!check(r[kind])) return undefined;
    } else if (r.reading === 'heartbeat') {
      if (!heartbeat(r.heartbeat)) return undefined;
    } else return undefined;
  }
  const env = envelope(t.envelope);
  if (!env || outOfOrderReading(env.eventTimeMs, readings as Rec[]) >= 0) return undefined;
  return env;
}
