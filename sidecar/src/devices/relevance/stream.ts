import { ScanSessions } from './barcode';
import { countingSink, type ReadingContext } from './context';
import { HeartbeatTracker, type DeviceStatusChange } from './heartbeat';
import { RobotCollapser } from './robot';
import { SorterCoalescer } from './sorter';
import type { ErpPayloads, ErpUpdate, ExpectedScansMsg, Family, HeartbeatMsg, RobotOrderMsg, RobotStateMsg, ScanReadingMsg, SorterEventMsg, TelemetryMsg } from '@logistics-bridge/contract';
import { toMs } from '@logistics-bridge/contract';
import { emptyDropCounters, idempotencyKey, makeUpdate, type DropCounters } from './types';
import type { ParseOptions } from './gs1';

export interface RelevanceOptions {
  /** Reported in device.status payloads. */
  family?: Family;
  /** Double-scan window (default 500 ms). */
  debounceMs?: number;
  /** A device whose heartbeats stop for this long goes offline (default 3 heartbeat periods, 30 s). */
  offlineAfterMs?: number;
  /** Recirculations a parcel may make before it becomes task.failed (default 3). */
  maxRecirculations?: number;
  /** A robot blocked this long becomes task.failed (default 30 s). */
  blockedAfterMs?: number;
  /** Entries kept per kind of state (default 100,000): the memory bound of one stream. */
  capacity?: number;
  gs1?: ParseOptions;
}

export interface RelevanceCounters {
  /** Telemetry messages and readings in, ERP updates out: their ratio is the gateway's reduction metric. */
  telemetryMessages: number;
  readings: number;
  updates: number;
  /** Readings that produced no update, by reason. */
  dropped: DropCounters;
  /** Sorter scan-tunnel no-reads (also in dropped.no_read, which includes diverts of unreadable parcels). */
  noReads: number;
  /** Robot task milestones seen (started, completed, failed, blocked), whether or not Odoo has an update for them. */
  milestones: number;
}

/**
 * The ERP-relevance state of one gateway stream (adapter + stream id). Pure: no I/O, no clock of its
 * own; the caller passes `nowMs` and owns the timer that calls `tick`.
 */
export interface RelevanceStream {
  /** One telemetry message in, the ERP updates it causes out (often none). Readings are handled in order. */
  ingest(telemetry: TelemetryMsg, nowMs?: number): ErpUpdate[];
  /** Time-driven updates: missed heartbeats (offline), robots blocked too long. Call every second or so. */
  tick(nowMs?: number): ErpUpdate[];
  /**
   * The state is being discarded: its devices go offline now. A dropped connection is not a reason to
   * call this: keep the stream object per adapter + stream id across reconnects (resume replays into the
   * same state) and keep ticking it, so a silent adapter goes offline after the heartbeat timeout and a
   * blip of a few seconds is no device.status flap.
   */
  close(nowMs?: number): ErpUpdate[];
  /** Flow 3 work the gateway routed to this stream, so completions can name their lines. */
  rememberWork(work: { order?: RobotOrderMsg | null; expected_scans?: ExpectedScansMsg | null }): void;
  readonly counters: RelevanceCounters;
  /** For each update the last `ingest` returned, the index of the reading that made it. */
  readonly origins: readonly number[];
}

interface AnyReading {
  reading?: string;
  heartbeat?: HeartbeatMsg | null;
  scan?: ScanReadingMsg | null;
  event?: SorterEventMsg | null;
  state?: RobotStateMsg | null;
}

export function createRelevance(options: RelevanceOptions = {}): RelevanceStream {
  const capacity = options.capacity ?? 100_000;
  const heartbeats = new HeartbeatTracker(options.offlineAfterMs ?? 30_000);
  const scans = new ScanSessions({ debounceMs: options.debounceMs ?? 500, capacity: Math.min(capacity, 50_000), gs1: options.gs1 ?? {} });
  const sorter = new SorterCoalescer({ maxRecirculations: options.maxRecirculations ?? 3, capacity });
  const robots = new RobotCollapser({ blockedAfterMs: options.blockedAfterMs ?? 30_000, capacity });
  const counters: RelevanceCounters = { telemetryMessages: 0, readings: 0, updates: 0, dropped: emptyDropCounters(), noReads: 0, milestones: 0 };
  // Adapter id of the stream, learned from the first envelope; used for updates made on ticks.
  let adapterId = '';

  const statusUpdate = (change: DeviceStatusChange, correlationId: string | null): ErpUpdate => {
    const payload: ErpPayloads['device.status'] = { status: change.status };
    if (options.family) payload.family = options.family;
    if (change.warehouse) payload.warehouse = change.warehouse;
    if (change.error) payload.error = change.error;
    // Keyed by the device time of the change: a replayed heartbeat stream gives the same keys, and a
    // simulator can predict them. A timeout's time is last heartbeat + timeout, also replay-stable.
    const key = idempotencyKey(adapterId, change.deviceId, 'device.status', change.eventTimeMs, change.cause === 'timeout' ? `${change.status}-timeout` : change.status);
    return makeUpdate('device.status', key, { adapterId, deviceId: change.deviceId, correlationId, eventTimeMs: change.eventTimeMs }, payload);
  };

  const finish = (updates: ErpUpdate[]): ErpUpdate[] => {
    counters.updates += updates.length;
    counters.noReads = sorter.noReads;
    counters.milestones = robots.milestones;
    return updates;
  };

  const origins: number[] = [];
  return {
    counters,
    origins,
    ingest(telemetry, nowMs = Date.now()) {
      const updates: ErpUpdate[] = [];
      origins.length = 0;
      const sink = countingSink(updates, counters.dropped);
      counters.telemetryMessages += 1;
      const envelope = telemetry.envelope;
      const base = { adapterId: envelope.adapterId, deviceId: envelope.deviceId, correlationId: envelope.correlationId, sequence: String(envelope.sequence) };
      adapterId = base.adapterId;
      const envelopeTime = envelope.eventTimeMs || nowMs;
      // A plain loop and an explicit literal (not a spread of `base` in a closure made per reading): this
      // runs for every reading the gateway receives, and was its largest cost with batched telemetry.
      const readings = telemetry.readings as readonly AnyReading[];
      let readingIndex = 0;
      const ctx = (deviceId: string | undefined, timeMs: number): ReadingContext => ({
        adapterId: base.adapterId,
        deviceId: deviceId || base.deviceId,
        correlationId: base.correlationId,
        sequence: base.sequence,
        readingIndex,
        eventTimeMs: timeMs || envelopeTime,
      });
      for (; readingIndex < readings.length; readingIndex++) {
        ingestReading(readings[readingIndex] as AnyReading);
        while (origins.length < updates.length) origins.push(readingIndex);
      }
      return finish(updates);

      function ingestReading(r: AnyReading): void {
        counters.readings += 1;
        const which = r.reading ?? (r.heartbeat ? 'heartbeat' : r.scan ? 'scan' : r.event ? 'event' : r.state ? 'state' : undefined);
        if (which === 'heartbeat' && r.heartbeat) {
          const hb = r.heartbeat;
          const c = ctx(hb.device_id, toMs(hb.time_ms));
          const beat: { error: boolean; errorText?: string; warehouse?: string; sequence: string; timeMs: number } = {
            error: hb.error === true,
            sequence: `${c.sequence}.${readingIndex}`,
            timeMs: c.eventTimeMs,
          };
          if (hb.error_text) beat.errorText = hb.error_text;
          if (hb.warehouse) beat.warehouse = hb.warehouse;
          const change = heartbeats.observe(c.deviceId, beat);
          if (change) sink.emit(statusUpdate(change, base.correlationId));
          else sink.drop('heartbeat_unchanged');
          return;
        }
        if (which === 'scan' && r.scan) {
          scans.handle(r.scan, ctx(r.scan.device_id, toMs(r.scan.time_ms)), sink);
          return;
        }
        if (which === 'event' && r.event) {
          sorter.handle(r.event, ctx(r.event.device_id, toMs(r.event.time_ms)), sink);
          return;
        }
        if (which === 'state' && r.state) {
          robots.handle(r.state, ctx(r.state.robot_id, toMs(r.state.time_ms)), sink);
          return;
        }
        sink.drop('unsupported');
      }
    },
    tick(nowMs = Date.now()) {
      const updates: ErpUpdate[] = [];
      for (const change of heartbeats.tick(nowMs)) updates.push(statusUpdate(change, null));
      robots.tick(nowMs, countingSink(updates, counters.dropped));
      return finish(updates);
    },
    close(nowMs = Date.now()) {
      return finish(heartbeats.disconnectAll(nowMs).map((change) => statusUpdate(change, null)));
    },
    rememberWork(work) {
      if (work.order) robots.rememberOrder(work.order);
      if (work.expected_scans) scans.rememberExpected(work.expected_scans);
    },
  };
}
