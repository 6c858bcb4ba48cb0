/**
 * Telemetry readings as an adapter writes them: the proto messages of proto/logistics/device/v1 with
 * snake_case fields, enums by name and times as numbers (Unix epoch milliseconds, UTC). Only the
 * fields marked REQUIRED in the protos are required here; see the comments there for units.
 */

import type {
  ActionStateMsg,
  ActionStatusName,
  AgvPositionMsg,
  HeartbeatMsg,
  RobotErrorMsg,
  RobotStateMsg,
  ScanModeName,
  ScanReadingMsg,
  SorterEventKindName,
  SorterEventMsg,
} from '@logistics-bridge/contract';

// The proto mirror's message shapes, narrowed to what an adapter writes: times as numbers, enums closed
// to the names a device means (no *_UNSPECIFIED where the proto requires a value), no null sub-messages.

export type Heartbeat = Omit<HeartbeatMsg, 'time_ms'> & { time_ms?: number };

export type ScanMode = ScanModeName;

/** `data` is the decoded barcode as the scanner delivered it, GS1 FNC1 as ASCII 29, symbology prefix kept. */
export type ScanReading = Omit<ScanReadingMsg, 'time_ms' | 'mode'> & { time_ms: number; mode?: ScanMode };

export type SorterEventKind = Exclude<SorterEventKindName, 'KIND_UNSPECIFIED'>;

export type SorterEvent = Omit<SorterEventMsg, 'time_ms' | 'kind'> & { time_ms: number; kind: SorterEventKind };

export type ActionStatus = Exclude<ActionStatusName, 'ACTION_STATUS_UNSPECIFIED'>;

export type RobotState = Omit<RobotStateMsg, 'time_ms' | 'agv_position' | 'action_states' | 'errors'> & {
  time_ms: number;
  agv_position?: AgvPositionMsg;
  action_states?: Array<Omit<ActionStateMsg, 'action_status'> & { action_status: ActionStatus }>;
  errors?: Array<Omit<RobotErrorMsg, 'error_level'> & { error_level?: 'LEVEL_WARNING' | 'LEVEL_FATAL' }>;
};

/** One reading: exactly one member set, matching the family of the connection. */
export type Reading = { heartbeat: Heartbeat } | { scan: ScanReading } | { event: SorterEvent } | { state: RobotState };

/** Work for the devices (Flow 3), as the gateway sends it; see the `*Work` messages in the protos. */
export interface Work {
  /**
   * Which member is set: "expected_scans", "sort_plan", "order" (work), or a withdrawal of work:
   * "expected_scans_removed", "sort_plan_removed", "instant_action" (`cancelOrder`). Answer each with
   * `ackWork(workId(work))` once it is held (or removed); dedupe on the work id.
   */
  work: string;
  expected_scans?: Record<string, unknown> | null;
  sort_plan?: Record<string, unknown> | null;
  order?: Record<string, unknown> | null;
  instant_action?: Record<string, unknown> | null;
  expected_scans_removed?: Record<string, unknown> | null;
  sort_plan_removed?: Record<string, unknown> | null;
}

/** The `header.work_id` of work or a withdrawal ('' if it has none). */
export function workId(work: Work): string {
  const body = (work as unknown as Record<string, unknown>)[work.work] as { header?: { work_id?: unknown } } | null | undefined;
  return typeof body?.header?.work_id === 'string' ? body.header.work_id : '';
}

/** True for a withdrawal (removal message, or the robot `cancelOrder` instant action). */
export function isWithdrawal(work: Work): boolean {
  return work.work === 'expected_scans_removed' || work.work === 'sort_plan_removed' || (work.work === 'instant_action' && (work.instant_action as { action_type?: unknown } | null)?.action_type === 'cancelOrder');
}

/** Event time of a reading, for the envelope when the caller gives none. */
export function readingTime(reading: Reading): number | undefined {
  if ('heartbeat' in reading) return reading.heartbeat.time_ms;
  if ('scan' in reading) return reading.scan.time_ms;
  if ('event' in reading) return reading.event.time_ms;
  return reading.state.time_ms;
}
