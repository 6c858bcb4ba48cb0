/**
 * The master-control core, pure (no I/O, no clock: times are passed in): which vehicle gets which job,
 * what to publish to it, and which ERP updates the vehicles' reports mean. The MQTT client and the
 * adapter glue only carry its effects.
 */
import { buildCancelOrder, buildOrder, type InstantActionsBody, type OrderBody } from './builders';
import { interpretConnection, interpretState, taskFailed, type FleetUpdate, type TrackedOrder } from './interpret';
import type { Job, Withdrawal } from './jobs';
import { LayoutError, planRoute, startStop, type Layout } from './layout';
import type { Connection, ConnectionState, State } from './messages';

export type Outgoing = { serialNumber: string; subtopic: 'order'; body: OrderBody } | { serialNumber: string; subtopic: 'instantActions'; body: InstantActionsBody };

export interface Effects {
  publish: Outgoing[];
  updates: FleetUpdate[];
}

export interface FleetOptions {
  layout: Layout;
  /** `loadType` for pick / drop (default "TOTE"). */
  loadType?: string;
  /** Device id for updates about jobs no vehicle took (e.g. a location missing from the layout). */
  fleetDeviceId: string;
}

interface Vehicle {
  connection?: ConnectionState;
  state?: State;
  /** The order this vehicle runs (sent, not decided yet). */
  orderId?: string;
}

interface Entry extends TrackedOrder {
  job: Job;
  /** The order as sent (resent unchanged when the bridge delivers the same work again). */
  body?: OrderBody;
}

const BUSY = new Set(['WAITING', 'INITIALIZING', 'RUNNING', 'PAUSED']);

function none(): Effects {
  return { publish: [], updates: [] };
}

export class Fleet {
  private readonly vehicles = new Map<string, Vehicle>();
  private readonly orders = new Map<string, Entry>();
  /** Jobs waiting for a free vehicle, oldest first. */
  private readonly queue: string[] = [];
  private cancels = 0;

  constructor(private readonly opts: FleetOptions) {}

  /** Jobs waiting, orders running: for logs and tests. */
  get stats(): { queued: number; running: number; vehicles: number } {
    return { queued: this.queue.length, running: [...this.vehicles.values()].filter((v) => v.orderId).length, vehicles: this.vehicles.size };
  }

  order(orderId: string): Readonly<TrackedOrder> | undefined {
    return this.orders.get(orderId);
  }

  addJob(job: Job): Effects {
    const known = this.orders.get(job.orderId);
    if (known) {
      // The same work again (redelivery): the vehicle ignores an order with the same orderId and
      // orderUpdateId (6.6.4.3), so resending it is harmless and covers a lost QoS 0 message.
      if (known.body && !known.outcome) return { publish: [{ serialNumber: known.serialNumber, subtopic: 'order', body: known.body }], updates: [] };
      return none();
    }
    const actions: Record<string, string> = {};
    for (const s of job.stops) {
      actions[s.pickActionId] = 'pick';
      actions[s.dropActionId] = 'drop';
    }
    this.orders.set(job.orderId, { orderId: job.orderId, serialNumber: '', correlationId: job.correlationId, picking: job.picking, lines: job.lines, actions, job });
    this.queue.push(job.orderId);
    return this.dispatch();
  }

  /** Withdrawn work: dropped while queued, `cancelOrder` to the vehicle while it runs, nothing once decided. */
  withdraw(w: Withdrawal): Effects {
    const entry = [...this.orders.values()].find((o) => (w.orderId ? o.orderId === w.orderId || o.job.workId === w.orderId : samePicking(o, w)));
    if (!entry || entry.outcome) return none();
    const queued = this.queue.indexOf(entry.orderId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      entry.outcome = 'cancelled';
      return none();
    }
    if (entry.cancelActionId) return none();
    this.cancels += 1;
    entry.cancelActionId = `${entry.orderId}:cancel:${this.cancels}`;
    return { publish: [{ serialNumber: entry.serialNumber, subtopic: 'instantActions', body: buildCancelOrder(entry.cancelActionId) }], updates: [] };
  }

  /**
   * Orders sent on QoS 0 that the vehicle's state does not show yet: sent again (same orderId and
   * orderUpdateId, so a vehicle that has it ignores the repeat, 6.6.4.3). The glue calls it periodically.
   */
  resendUnconfirmed(): Effects {
    const publish: Outgoing[] = [];
    for (const [serial, v] of this.vehicles) {
      const entry = v.orderId ? this.orders.get(v.orderId) : undefined;
      if (entry?.body && v.state?.orderId !== entry.orderId) publish.push({ serialNumber: serial, subtopic: 'order', body: entry.body });
    }
    return { publish, updates: [] };
  }

  onState(state: State): Effects {
    const v = this.vehicle(state.serialNumber);
    if (v.state && v.state.headerId === state.headerId && v.state.timestamp === state.timestamp) return none();
    v.state = state;
    const effects = none();
    const entry = v.orderId ? this.orders.get(v.orderId) : undefined;
    if (entry) {
      const verdict = interpretState(entry, state);
      if (verdict) {
        entry.outcome = verdict.outcome;
        v.orderId = undefined;
        if (verdict.update) effects.updates.push(verdict.update);
      }
    }
    const more = this.dispatch();
    return { publish: [...effects.publish, ...more.publish], updates: [...effects.updates, ...more.updates] };
  }

  onConnection(c: Connection, receivedMs: number): Effects {
    const v = this.vehicle(c.serialNumber);
    const update = interpretConnection(v.connection, c, receivedMs);
    v.connection = c.connectionState;
    const more = this.dispatch();
    return { publish: more.publish, updates: [...(update ? [update] : []), ...more.updates] };
  }

  private vehicle(serialNumber: string): Vehicle {
    let v = this.vehicles.get(serialNumber);
    if (!v) {
      v = {};
      this.vehicles.set(serialNumber, v);
    }
    return v;
  }

  /** Online, in AUTOMATIC, no FATAL error, nothing left to drive or do, and no order of ours pending. */
  private free(): Array<[string, Vehicle & { state: State }]> {
    const out: Array<[string, Vehicle & { state: State }]> = [];
    for (const [serial, v] of this.vehicles) {
      const s = v.state;
      if (v.orderId || v.connection !== 'ONLINE' || !s) continue;
      if (s.operatingMode !== 'AUTOMATIC' || s.errors.some((e) => e.errorLevel === 'FATAL')) continue;
      if (s.nodeStates.length > 0 || s.actionStates.some((a) => BUSY.has(a.actionStatus))) continue;
      out.push([serial, { ...v, state: s }]);
    }
    return out;
  }

  private dispatch(): Effects {
    const effects = none();
    const free = this.free();
    while (free.length > 0 && this.queue.length > 0) {
      const [serial, v] = free[0] as [string, Vehicle & { state: State }];
      const entry = this.orders.get(this.queue.shift() as string) as Entry;
      try {
        const route = planRoute(this.opts.layout, startStop(serial, v.state.lastNodeId, v.state.agvPosition), entry.job.stops, {
          warehouse: entry.job.warehouse,
          loadType: this.opts.loadType ?? 'TOTE',
        });
        entry.body = buildOrder(entry.orderId, route);
        entry.serialNumber = serial;
        (this.vehicles.get(serial) as Vehicle).orderId = entry.orderId;
        effects.publish.push({ serialNumber: serial, subtopic: 'order', body: entry.body });
        free.shift();
      } catch (e) {
        // A job no vehicle can run (location not in the layout): failed once, the vehicle stays free.
        if (!(e instanceof LayoutError)) throw e;
        entry.outcome = 'failed';
        effects.updates.push(taskFailed(entry, this.opts.fleetDeviceId, Date.parse(v.state.timestamp), e.message, e.code));
      }
    }
    return effects;
  }
}

function samePicking(o: Entry, w: Withdrawal): boolean {
  if (!w.picking || !o.picking) return false;
  return 'id' in w.picking ? 'id' in o.picking && o.picking.id === w.picking.id : 'name' in o.picking && o.picking.name === w.picking.name;
}
