/**
 * Deterministic device traffic for gateway tests and the ingest benchmark, in the wire shape of
 * proto/logistics/device/v1 (proto-loader objects). Pure: the same options give the same readings.
 */

export interface RobotTrafficOptions {
  robots: number;
  seconds: number;
  /** State messages per robot per second (VDA 5050 fleets send about 10). */
  hz?: number;
  taskSeconds?: number;
  /** Every n-th task of a robot fails (fatal error on its pick action). */
  failEvery?: number;
  startMs?: number;
  /** Heartbeat per robot per second. */
  heartbeats?: boolean;
}

export interface Traffic {
  readings: Array<Record<string, unknown>>;
  /**
   * The ERP updates a correct gateway must produce: idempotency key -> type; device.status updates
   * (whose keys carry the stream position) are listed as `device.status:<device>:<status>`.
   */
  expected: Map<string, string>;
}

export function robotFleetTraffic(adapterId: string, o: RobotTrafficOptions): Traffic {
  const hz = o.hz ?? 10;
  const taskTicks = (o.taskSeconds ?? 6) * hz;
  const failEvery = o.failEvery ?? 5;
  const start = o.startMs ?? 1_767_225_600_000;
  const ticks = o.seconds * hz;
  const readings: Array<Record<string, unknown>> = [];
  const expected = new Map<string, string>();
  for (let t = 0; t < ticks; t++) {
    const time = start + Math.round((t * 1000) / hz);
    for (let r = 0; r < o.robots; r++) {
      const robot = `robot-${r}`;
      if (o.heartbeats !== false && t % hz === 0) {
        readings.push({ heartbeat: { device_id: robot, time_ms: String(time), error: false, error_text: '', warehouse: 'WH' } });
        if (t === 0) expected.set(`device.status:${robot}:online`, 'device.status');
      }
      const k = Math.floor(t / taskTicks);
      const i = t % taskTicks;
      const taskId = `${robot}-t${k}`;
      const fails = k % failEvery === failEvery - 1;
      const picking = `WH/OUT/${String(r * 1000 + k).padStart(5, '0')}`;
      let status = 'ACTION_STATUS_WAITING';
      let driving = false;
      const errors: Array<Record<string, unknown>> = [];
      let result = '';
      if (i < taskTicks * 0.6) driving = true;
      else if (i < taskTicks * 0.85) status = 'ACTION_STATUS_RUNNING';
      else if (fails) {
        status = 'ACTION_STATUS_FAILED';
        errors.push({ error_type: 'gripperFault', error_level: 'LEVEL_FATAL', error_description: 'gripper could not close' });
        result = 'gripper could not close';
      } else {
        status = 'ACTION_STATUS_FINISHED';
        result = 'product_barcode=4006381333931;quantity=2;location_barcode=A-01-02';
      }
      if (i === Math.ceil(taskTicks * 0.85)) expected.set(`${adapterId}:task:${taskId}:${fails ? 'failed' : 'completed'}`, fails ? 'task.failed' : 'pick.confirmed');
      readings.push({
        state: {
          time_ms: String(time),
          robot_id: robot,
          order_id: `order-${taskId}`,
          order_update_id: 0,
          last_node_id: `n${Math.floor(i / 10)}`,
          driving,
          operating_mode: 'AUTOMATIC',
          battery_charge: 90 - ((t / hz) % 60) / 2,
          agv_position: { x: driving ? i * 0.1 : 6, y: r, theta: 0, map_id: 'hall-1', position_initialized: true },
          velocity: driving ? 1 : 0,
          action_states: [{ action_id: `${taskId}-pick`, action_type: 'pick', action_status: status, result_description: result }],
          errors,
          load_id: '',
          picking_name: picking,
          task_id: taskId,
        },
      });
    }
  }
  return { readings, expected };
}

/** Groups readings into telemetry messages of `batch` readings with consecutive sequences from `firstSeq`. */
export function telemetryMessages(adapterId: string, deviceId: string, readings: Array<Record<string, unknown>>, batch: number, firstSeq = 1): unknown[] {
  const out: unknown[] = [];
  for (let i = 0, seq = firstSeq; i < readings.length; i += batch, seq++) {
    const chunk = readings.slice(i, i + batch);
    const first = chunk[0] as Record<string, Record<string, unknown>>;
    const time = (first.state ?? first.heartbeat ?? first.event ?? first.scan)?.time_ms ?? '1767225600000';
    out.push({ telemetry: { envelope: { adapter_id: adapterId, device_id: deviceId, sequence: String(seq), idempotency_key: '', correlation_id: '', event_time_ms: time }, readings: chunk } });
  }
  return out;
}
