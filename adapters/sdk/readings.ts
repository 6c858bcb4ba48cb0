/**
 * Telemetry readings as an adapter writes them: the proto messages of proto/logistics/device/v1 with
 * snake_case fields, enums by name and times as numbers (Unix epoch milliseconds, UTC). Only the
 * fields marked REQUIRED in the protos are required here; see the comments there for units.
 */

export interface Heartbeat {
  device_id?: string;
  time_ms?: number;
  error?: boolean;
  error_text?: string;
  warehouse?: string;
}

export type ScanMode = 'SCAN_MODE_PICK' | 'SCAN_MODE_PACK' | 'SCAN_MODE_RECEIVE' | 'SCAN_MODE_COUNT' | 'SCAN_MODE_SHIP' | 'SCAN_MODE_UNSPECIFIED';

export interface ScanReading {
  time_ms: number;
  /** The decoded barcode as the scanner delivered it, GS1 FNC1 as ASCII 29, symbology prefix kept. */
  data: string;
  symbology?: string;
  mode?: ScanMode;
  picking_name?: string;
  location_barcode?: string;
  quantity?: number;
  operator_id?: string;
  task_id?: string;
  device_id?: string;
  confirmed?: boolean;
}

export type SorterEventKind = 'KIND_INDUCTED' | 'KIND_SCANNED' | 'KIND_NO_READ' | 'KIND_DIVERTED' | 'KIND_RECIRCULATED' | 'KIND_REJECTED';

export interface SorterEvent {
  time_ms: number;
  kind: SorterEventKind;
  parcel_id?: string;
  barcode?: string;
  sscc?: string;
  chute?: string;
  lane?: string;
  induction?: string;
  weight_kg?: number;
  reason?: string;
  picking_name?: string;
  device_id?: string;
}

export type ActionStatus =
  | 'ACTION_STATUS_WAITING'
  | 'ACTION_STATUS_INITIALIZING'
  | 'ACTION_STATUS_RUNNING'
  | 'ACTION_STATUS_PAUSED'
  | 'ACTION_STATUS_FINISHED'
  | 'ACTION_STATUS_FAILED';

export interface RobotState {
  time_ms: number;
  robot_id: string;
  order_id?: string;
  order_update_id?: number;
  last_node_id?: string;
  driving?: boolean;
  operating_mode?: string;
  battery_charge?: number;
  agv_position?: { x: number; y: number; theta?: number; map_id?: string; position_initialized?: boolean };
  velocity?: number;
  action_states?: Array<{ action_id: string; action_type?: string; action_status: ActionStatus; result_description?: string }>;
  errors?: Array<{ error_type: string; error_level?: 'LEVEL_WARNING' | 'LEVEL_FATAL'; error_description?: string }>;
  load_id?: string;
  picking_name?: string;
  task_id?: string;
}

/** One reading: exactly one member set, matching the family of the connection. */
export type Reading = { heartbeat: Heartbeat } | { scan: ScanReading } | { event: SorterEvent } | { state: RobotState };

/** Work for the devices (Flow 3), as the gateway sends it; see the `*Work` messages in the protos. */
export interface Work {
  /** Which member is set: "expected_scans", "sort_plan", "order" or "instant_action". */
  work: string;
  expected_scans?: Record<string, unknown> | null;
  sort_plan?: Record<string, unknown> | null;
  order?: Record<string, unknown> | null;
  instant_action?: Record<string, unknown> | null;
}

/** Event time of a reading, for the envelope when the caller gives none. */
export function readingTime(reading: Reading): number | undefined {
  if ('heartbeat' in reading) return reading.heartbeat.time_ms;
  if ('scan' in reading) return reading.scan.time_ms;
  if ('event' in reading) return reading.event.time_ms;
  return reading.state.time_ms;
}
