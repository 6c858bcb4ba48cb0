import { checkErpUpdate, fastTelemetryEnvelope, parseAdapterMessage, peekSequence, type ErpUpdate, type Family, type ParsedEnvelope, type TelemetryMsg } from '@logistics-bridge/contract';
import { checkDevice, type Principal } from './auth';
import { InvalidArgument, PermissionDenied, toGatewayError, type GatewayError } from './errors';
import type { RelevanceStream } from './relevance';

/**
 * The ingest pipeline of one adapter message after the Hello, as steps the session runs in order:
 * validate (the fast path, else the contract's zod schemas) → [sequence check, in answers.ts] →
 * authorise (adapter and device allowlist) → derive (relevance turns telemetry into updates, each
 * checked against the update contract). Each step gets the parsed message, never the wire object, so
 * there is one envelope shape. Pure apart from the relevance state it is handed.
 */

/** A message that passed validation. */
export type Valid = { kind: 'telemetry'; envelope: ParsedEnvelope; telemetry: TelemetryMsg } | { kind: 'update'; envelope: ParsedEnvelope; update: ErpUpdate };

/** A refused message, with the sequence it names when that can be read (0 otherwise). */
export interface Invalid {
  error: GatewayError;
  seq: number;
}

/** Validates one decoded adapter message (not the Hello) of `family`. */
export function validate(family: Family, raw: Record<string, unknown>): Valid | Invalid {
  if (raw.kind === 'telemetry') {
    // The common valid telemetry takes the hand-written fast path; anything it is not sure of goes
    // through the zod schemas, which accept it or name the bad field.
    const envelope = fastTelemetryEnvelope(family, raw);
    if (envelope) return { kind: 'telemetry', envelope, telemetry: { envelope, readings: (raw.telemetry as TelemetryMsg).readings } as TelemetryMsg };
  }
  try {
    const parsed = parseAdapterMessage(family, raw);
    if (parsed.kind === 'hello') return { error: new InvalidArgument('hello', 'a stream has exactly one hello, its first message'), seq: peekSequence(raw) };
    if (parsed.kind === 'work_ack') return { error: new InvalidArgument('work_ack', 'a work_ack is answered by the work router, not the ingest pipeline'), seq: 0 };
    return parsed;
  } catch (err) {
    return { error: toGatewayError(err), seq: peekSequence(raw) };
  }
}

/** The device ids a reading names, in the wire shape (and in the shape zod returns, which keeps them). */
interface ReadingIds {
  reading?: unknown;
  heartbeat?: { device_id?: unknown } | null;
  state?: { robot_id?: unknown } | null;
  scan?: { device_id?: unknown } | null;
  event?: { device_id?: unknown } | null;
}

/** Throws PermissionDenied when the envelope or a reading names an adapter or device the token does not allow. */
export function authorise(principal: Principal, msg: Valid): void {
  const { kind, envelope } = msg;
  if (envelope.adapterId !== principal.adapterId) throw new PermissionDenied(`envelope.adapter_id must be ${principal.adapterId}`, `${kind}.envelope.adapter_id`);
  checkDevice(principal, envelope.deviceId, `${kind}.envelope.device_id`);
  if (msg.kind !== 'telemetry') return;
  const readings = msg.telemetry.readings as readonly ReadingIds[];
  for (let i = 0; i < readings.length; i++) {
    const r = readings[i] as ReadingIds;
    let id: unknown;
    let field = '';
    if (r.reading === 'heartbeat') {
      id = r.heartbeat?.device_id;
      field = 'heartbeat.device_id';
    } else if (r.reading === 'state') {
      id = r.state?.robot_id;
      field = 'state.robot_id';
    } else if (r.reading === 'scan') {
      id = r.scan?.device_id;
      field = 'scan.device_id';
    } else if (r.reading === 'event') {
      id = r.event?.device_id;
      field = 'event.device_id';
    }
    if (typeof id === 'string' && id && id !== envelope.deviceId && !principal.allows(id)) checkDevice(principal, id, `telemetry.readings[${i}].${field}`);
  }
}

/**
 * The updates a valid message makes: an update is itself; telemetry goes through the stream's relevance
 * state. A derived update that breaks the update contract refuses the telemetry (naming the reading that
 * made it and the update field), so nothing is acked as durable that the applier would dead-letter.
 */
export function derive(msg: Valid, relevance: RelevanceStream, nowMs: number): ErpUpdate[] {
  if (msg.kind === 'update') return [msg.update];
  const updates = relevance.ingest(msg.telemetry, nowMs);
  for (let i = 0; i < updates.length; i++) {
    const check = checkErpUpdate(updates[i]);
    if (!check.ok) {
      const reading = relevance.origins[i];
      const path = reading === undefined ? 'telemetry.readings' : `telemetry.readings[${reading}]`;
      throw new InvalidArgument(path, `this reading makes a ${updates[i]?.type} update that breaks the update contract at ${check.path}: ${check.message}`);
    }
  }
  return updates;
}
