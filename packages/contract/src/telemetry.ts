/**
 * TypeScript shapes of the telemetry messages in proto/logistics/device/v1, as @grpc/proto-loader hands
 * them over with `{keepCase: true, longs: String, enums: String, defaults: true, oneofs: true}`:
 * snake_case fields, int64 as decimal strings, enums as their names, unset scalars as defaults, unset
 * sub-messages as null, and a virtual field naming the member set in each oneof.
 *
 * The readings are the wire objects (validated by the contract's schemas or their fast path, which
 * leave int64 times as strings or turn them into numbers: both fit `Int64`); the envelope is always the
 * parsed one. The relevance code still reads readings defensively (empty strings, zero times) because
 * "validated" means well-formed, not meaningful.
 */

export type Int64 = string | number;

/**
 * The envelope of an adapter message once the contract's schemas accepted it (camelCase, numbers):
 * the one shape the gateway's pipeline and the relevance logic read. Sequences are safe integers;
 * the schemas refuse anything at or above 2^53.
 */
export interface ParsedEnvelope {
  adapterId: string;
  deviceId: string;
  sequence: number;
  /** '' on telemetry without one. */
  idempotencyKey: string;
  correlationId: string | null;
  eventTimeMs: number;
}

export interface HeartbeatMsg {
  device_id?: string;
  time_ms?: Int64;
  error?: boolean;
  error_text?: string;
  warehouse?: string;
}

export type ScanModeName = 'SCAN_MODE_UNSPECIFIED' | 'SCAN_MODE_PICK' | 'SCAN_MODE_PACK' | 'SCAN_MODE_RECEIVE' | 'SCAN_MODE_COUNT' | 'SCAN_MODE_SHIP';

export interface ScanReadingMsg {
  time_ms: Int64;
  data: string;
  symbology?: string;
  mode?: ScanModeName | string;
  picking_name?: string;
  location_barcode?: string;
  quantity?: number;
  operator_id?: string;
  task_id?: string;
  device_id?: string;
  confirmed?: boolean;
}

export interface BarcodeReadingMsg {
  reading?: 'scan' | 'heartbeat';
  scan?: ScanReadingMsg | null;
  heartbeat?: HeartbeatMsg | null;
}

export interface BarcodeTelemetryMsg {
  envelope: ParsedEnvelope;
  readings: BarcodeReadingMsg[];
}

export type SorterEventKindName =
  | 'KIND_UNSPECIFIED'
  | 'KIND_INDUCTED'
  | 'KIND_SCANNED'
  | 'KIND_NO_READ'
  | 'KIND_DIVERTED'
  | 'KIND_RECIRCULATED'
  | 'KIND_REJECTED';

export interface SorterEventMsg {
  time_ms: Int64;
  kind: SorterEventKindName | string;
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

export interface SorterReadingMsg {
  reading?: 'event' | 'heartbeat';
  event?: SorterEventMsg | null;
  heartbeat?: HeartbeatMsg | null;
}

export interface SorterTelemetryMsg {
  envelope: ParsedEnvelope;
  readings: SorterReadingMsg[];
}

export type ActionStatusName =
  | 'ACTION_STATUS_UNSPECIFIED'
  | 'ACTION_STATUS_WAITING'
  | 'ACTION_STATUS_INITIALIZING'
  | 'ACTION_STATUS_RUNNING'
  | 'ACTION_STATUS_PAUSED'
  | 'ACTION_STATUS_FINISHED'
  | 'ACTION_STATUS_FAILED';

export interface ActionStateMsg {
  action_id: string;
  action_type?: string;
  action_status: ActionStatusName | string;
  result_description?: string;
}

export interface RobotErrorMsg {
  error_type: string;
  error_level?: 'LEVEL_UNSPECIFIED' | 'LEVEL_WARNING' | 'LEVEL_FATAL' | string;
  error_description?: string;
}

export interface AgvPositionMsg {
  x: number;
  y: number;
  theta?: number;
  map_id?: string;
  position_initialized?: boolean;
}

export interface RobotStateMsg {
  time_ms: Int64;
  robot_id: string;
  order_id?: string;
  order_update_id?: number;
  last_node_id?: string;
  driving?: boolean;
  operating_mode?: string;
  battery_charge?: number;
  agv_position?: AgvPositionMsg | null;
  velocity?: number;
  action_states?: ActionStateMsg[];
  errors?: RobotErrorMsg[];
  load_id?: string;
  picking_name?: string;
  task_id?: string;
}

export interface RobotFleetReadingMsg {
  reading?: 'state' | 'heartbeat';
  state?: RobotStateMsg | null;
  heartbeat?: HeartbeatMsg | null;
}

export interface RobotFleetTelemetryMsg {
  envelope: ParsedEnvelope;
  readings: RobotFleetReadingMsg[];
}

/** Any family's telemetry; readings are told apart by their oneof member. */
export type TelemetryMsg = BarcodeTelemetryMsg | SorterTelemetryMsg | RobotFleetTelemetryMsg;

/** Flow 3 robot order, as far as relevance needs it: what a pick action is expected to pick. */
export interface RobotOrderMsg {
  header?: { work_id?: string; correlation_id?: string; picking?: { ref?: string; id?: number; name?: string } | null } | null;
  order_id: string;
  nodes?: Array<{
    node_id?: string;
    location_barcode?: string;
    actions?: Array<{ action_id: string; action_type?: string; parameters?: Record<string, string> }>;
  }>;
}

/** Flow 3 expected scans, as far as relevance needs it: which products belong to a picking. */
export interface ExpectedScansMsg {
  header?: { work_id?: string; picking?: { ref?: string; id?: number; name?: string } | null } | null;
  lines?: Array<{ product_barcode?: string; default_code?: string }>;
}

/** int64 from proto-loader (string) or a number, to a JS number; NaN-safe (0 when unreadable). */
export function toMs(value: Int64 | undefined | null): number {
  if (value === undefined || value === null || value === '') return 0;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}
