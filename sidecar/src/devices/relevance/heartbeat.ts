import type { DeviceStatusValue } from '@logistics-bridge/contract';

export interface DeviceStatusChange {
  deviceId: string;
  status: DeviceStatusValue;
  error?: string;
  warehouse?: string;
  /** The stream sequence of the heartbeat that caused the change, or of the last one seen before a timeout. */
  sequence: string;
  /** Device time of the change: the heartbeat's time, or last heartbeat + timeout for a missed one. */
  eventTimeMs: number;
  /** 'timeout' when the device went silent, so the key can say so. */
  cause: 'heartbeat' | 'timeout';
}

interface DeviceState {
  status: DeviceStatusValue;
  lastSeenMs: number;
  lastSequence: string;
  warehouse?: string;
}

/**
 * Turns heartbeats into device.status changes: one update when a device comes online, reports a
 * fault, recovers, or misses heartbeats for `offlineAfterMs`; nothing for the steady stream in between.
 * A device that flaps between ok and error produces one update per real change, which is what a
 * warehouse manager wants to see; the debounce for that belongs to the device, not to us.
 */
export class HeartbeatTracker {
  private readonly devices = new Map<string, DeviceState>();

  constructor(private readonly offlineAfterMs: number) {}

  observe(deviceId: string, beat: { error: boolean; errorText?: string; warehouse?: string; sequence: string; timeMs: number }): DeviceStatusChange | null {
    const status: DeviceStatusValue = beat.error ? 'error' : 'online';
    const previous = this.devices.get(deviceId);
    const warehouse = beat.warehouse || previous?.warehouse;
    // Keep the latest time even if a late heartbeat arrives out of order.
    const lastSeenMs = Math.max(previous?.lastSeenMs ?? beat.timeMs, beat.timeMs);
    const state: DeviceState = { status, lastSeenMs, lastSequence: beat.sequence };
    if (warehouse) state.warehouse = warehouse;
    this.devices.set(deviceId, state);
    if (previous?.status === status) return null;
    const change: DeviceStatusChange = { deviceId, status, sequence: beat.sequence, eventTimeMs: beat.timeMs, cause: 'heartbeat' };
    if (status === 'error') change.error = beat.errorText || 'device reported a fault';
    if (warehouse) change.warehouse = warehouse;
    return change;
  }

  /** Devices silent for longer than the timeout go offline, once. */
  tick(nowMs: number): DeviceStatusChange[] {
    const changes: DeviceStatusChange[] = [];
    for (const [deviceId, state] of this.devices) {
      if (state.status === 'offline' || nowMs - state.lastSeenMs < this.offlineAfterMs) continue;
      state.status = 'offline';
      const change: DeviceStatusChange = {
        deviceId,
        status: 'offline',
        sequence: state.lastSequence,
        eventTimeMs: state.lastSeenMs + this.offlineAfterMs,
        cause: 'timeout',
      };
      if (state.warehouse) change.warehouse = state.warehouse;
      changes.push(change);
    }
    return changes;
  }

  /** The adapter said goodbye or its stream closed: report offline now rather than after the timeout. */
  disconnect(deviceId: string, nowMs: number): DeviceStatusChange | null {
    const state = this.devices.get(deviceId);
    if (!state || state.status === 'offline') return null;
    state.status = 'offline';
    const change: DeviceStatusChange = { deviceId, status: 'offline', sequence: state.lastSequence, eventTimeMs: nowMs, cause: 'timeout' };
    if (state.warehouse) change.warehouse = state.warehouse;
    return change;
  }

  /** Every device not yet offline goes offline now (the stream's state is discarded). */
  disconnectAll(nowMs: number): DeviceStatusChange[] {
    const changes: DeviceStatusChange[] = [];
    for (const deviceId of this.devices.keys()) {
      const change = this.disconnect(deviceId, nowMs);
      if (change) changes.push(change);
    }
    return changes;
  }

  statusOf(deviceId: string): DeviceStatusValue | undefined {
    return this.devices.get(deviceId)?.status;
  }

  get size(): number {
    return this.devices.size;
  }
}
