/**
 * Reference adapter for a VDA 5050 fleet manager: it receives the robots' `state` messages (camelCase,
 * about 10 per second per robot) and `connection` messages, and forwards them as RobotState readings,
 * batched. A heartbeat per robot goes with its first state and then every `heartbeatMs` of device time,
 * and a `connection` message saying the robot is gone is sent as an error heartbeat. The vendor
 * extension `erpReference` carries the picking of the order (the fleet manager got it with the work).
 * Finished pick actions report what they picked in `resultDescription` as
 * `product_barcode=…;quantity=…;lot=…;location_barcode=…` (see adapters/README.md).
 */
import type { ActionStatus, ReadingSink } from '@logistics-bridge/adapter-sdk';

export interface Vda5050State {
  topic: 'state';
  headerId: number;
  timestamp: string;
  serialNumber: string;
  orderId: string;
  orderUpdateId: number;
  lastNodeId: string;
  driving: boolean;
  operatingMode: string;
  batteryState: { batteryCharge: number };
  agvPosition?: { x: number; y: number; theta: number; mapId: string; positionInitialized: boolean };
  velocity?: { vx: number; vy: number };
  actionStates: Array<{ actionId: string; actionType: string; actionStatus: string; resultDescription?: string }>;
  errors: Array<{ errorType: string; errorLevel: 'WARNING' | 'FATAL'; errorDescription?: string }>;
  erpReference?: string;
}

export interface Vda5050Connection {
  topic: 'connection';
  timestamp: string;
  serialNumber: string;
  connectionState: 'ONLINE' | 'OFFLINE' | 'CONNECTIONBROKEN';
}

export type FleetMessage = Vda5050State | Vda5050Connection;

export function robotFleetAdapter(client: ReadingSink, fleetId: string, heartbeatMs = 5_000) {
  const lastBeat = new Map<string, number>();
  const stats = { states: 0, heartbeats: 0 };
  return {
    stats,
    async handle(m: FleetMessage): Promise<void> {
      const time_ms = Date.parse(m.timestamp);
      if (m.topic === 'connection') {
        stats.heartbeats += 1;
        const gone = m.connectionState !== 'ONLINE';
        await client.sendReading(fleetId, { heartbeat: { device_id: m.serialNumber, time_ms, error: gone, error_text: gone ? `connection ${m.connectionState}` : '' } });
        return;
      }
      stats.states += 1;
      const previous = lastBeat.get(m.serialNumber);
      if (previous === undefined || time_ms - previous >= heartbeatMs) {
        lastBeat.set(m.serialNumber, time_ms);
        stats.heartbeats += 1;
        await client.sendReading(fleetId, { heartbeat: { device_id: m.serialNumber, time_ms } });
      }
      await client.sendReading(fleetId, {
        state: {
          time_ms,
          robot_id: m.serialNumber,
          order_id: m.orderId,
          order_update_id: m.orderUpdateId,
          last_node_id: m.lastNodeId,
          driving: m.driving,
          operating_mode: m.operatingMode,
          battery_charge: m.batteryState.batteryCharge,
          ...(m.agvPosition ? { agv_position: { x: m.agvPosition.x, y: m.agvPosition.y, theta: m.agvPosition.theta, map_id: m.agvPosition.mapId, position_initialized: m.agvPosition.positionInitialized } } : {}),
          velocity: m.velocity ? Math.hypot(m.velocity.vx, m.velocity.vy) : 0,
          action_states: m.actionStates.map((a) => ({ action_id: a.actionId, action_type: a.actionType, action_status: `ACTION_STATUS_${a.actionStatus}` as ActionStatus, result_description: a.resultDescription ?? '' })),
          errors: m.errors.map((e) => ({ error_type: e.errorType, error_level: e.errorLevel === 'FATAL' ? 'LEVEL_FATAL' : 'LEVEL_WARNING', error_description: e.errorDescription ?? '' })),
          picking_name: m.erpReference ?? '',
          task_id: m.orderId,
        },
      });
    },
  };
}
