/**
 * A simulated VDA 5050 2.0 vehicle for tests and the demo. `AgvCore` is the vehicle, pure and
 * stepped: it accepts or rejects orders as 6.6.2 / 6.6.4 say, drives node by node, runs `pick` /
 * `drop` (WAITING → INITIALIZING → RUNNING → FINISHED, or FAILED for a configurable share), honours
 * `cancelOrder` (6.6.3). `SimulatedAgv` puts it on MQTT: last will `connection` CONNECTIONBROKEN
 * (retained, QoS 1), ONLINE on connect, `state` on every change with its own headerId sequence.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { header } from './builders';
import {
  describeIssues,
  instantActionsSchema,
  orderSchema,
  topicOf,
  type Action,
  type ActionState,
  type AgvPosition,
  type Connection,
  type ConnectionState,
  type Order,
  type OrderEdge,
  type OrderNode,
  type State,
  type VdaError,
} from './messages';

export interface AgvOptions {
  manufacturer: string;
  serialNumber: string;
  /** Where the vehicle stands at start. */
  position: { x: number; y: number; theta: number; mapId: string };
  /** Share of pick / drop actions that fail (0..1, default 0). */
  failureRate?: number;
  /** Seed of the failure draws (default 1): the same seed fails the same actions. */
  seed?: number;
}

/** mulberry32: small, seedable, good enough to pick which actions fail. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LOAD_ACTIONS = new Set(['pick', 'drop']);
const OPEN = new Set(['WAITING', 'INITIALIZING', 'RUNNING', 'PAUSED']);

export class AgvCore {
  private orderId = '';
  private orderUpdateId = 0;
  private lastNodeId = '';
  private lastNodeSequenceId = 0;
  private driving = false;
  private position: AgvPosition;
  private nodes: OrderNode[] = [];
  private edges: OrderEdge[] = [];
  private actionStates: ActionState[] = [];
  private errors: VdaError[] = [];
  private loads: Array<{ loadId?: string; loadType?: string }> = [];
  /** Actions of the node the vehicle stands on, run in list order. */
  private pending: Action[] = [];
  private cancelling: string | undefined;
  private readonly draw: () => number;

  constructor(private readonly opts: AgvOptions) {
    this.position = { ...opts.position, positionInitialized: true };
    this.draw = random(opts.seed ?? 1);
  }

  /** Has an order with work left (nodes to drive or actions not done). */
  get busy(): boolean {
    return this.nodes.length > 0 || this.pending.length > 0 || this.actionStates.some((a) => OPEN.has(a.actionStatus));
  }

  /** An `order` message; returns true when the state changed (accepted, or rejected with an error). */
  receiveOrder(raw: unknown): boolean {
    const parsed = orderSchema.safeParse(raw);
    if (!parsed.success) return this.reject('validationError', describeIssues(parsed.error), [{ referenceKey: 'topic', referenceValue: 'order' }]);
    const o = parsed.data;
    const refs = [
      { referenceKey: 'orderId', referenceValue: o.orderId },
      { referenceKey: 'orderUpdateId', referenceValue: String(o.orderUpdateId) },
    ];
    if (o.serialNumber !== this.opts.serialNumber) return this.reject('validationError', `order for ${o.serialNumber}`, refs);
    if (o.orderId === this.orderId) {
      if (o.orderUpdateId === this.orderUpdateId) return false; // the same order again: ignored (6.6.4.3)
      if (o.orderUpdateId < this.orderUpdateId) return this.reject('orderUpdateError', `orderUpdateId ${o.orderUpdateId} is older than ${this.orderUpdateId}`, refs);
      return this.update(o, refs);
    }
    if (this.busy) return this.reject('orderError', `still executing order ${this.orderId}`, refs);
    const problem = this.checkActions(o) ?? this.checkStart(o.nodes[0]);
    if (problem) return this.reject('orderError', problem, refs);
    this.orderId = o.orderId;
    this.orderUpdateId = o.orderUpdateId;
    this.errors = this.errors.filter((e) => !['validationError', 'orderError', 'orderUpdateError', 'noOrderToCancel'].includes(e.errorType));
    this.actionStates = [];
    this.cancelling = undefined;
    this.load(o);
    return true;
  }

  /** An `instantActions` message; only `cancelOrder` is understood, others are FAILED. */
  receiveInstantActions(raw: unknown): boolean {
    const parsed = instantActionsSchema.safeParse(raw);
    if (!parsed.success) return this.reject('validationError', describeIssues(parsed.error), [{ referenceKey: 'topic', referenceValue: 'instantActions' }]);
    for (const a of parsed.data.actions) {
      if (a.actionType !== 'cancelOrder') {
        this.actionStates.push({ actionId: a.actionId, actionType: a.actionType, actionStatus: 'FAILED', resultDescription: 'not supported' });
        continue;
      }
      if (!this.busy) {
        // 6.6.3.2: nothing to cancel → the action fails and a noOrderToCancel warning names it.
        this.actionStates.push({ actionId: a.actionId, actionType: 'cancelOrder', actionStatus: 'FAILED' });
        this.errors.push({ errorType: 'noOrderToCancel', errorLevel: 'WARNING', errorReferences: [{ referenceKey: 'actionId', referenceValue: a.actionId }] });
        continue;
      }
      // Stop where it is (on the last node: this vehicle only stands on nodes), fail what is left.
      this.nodes = [];
      this.edges = [];
      this.pending = [];
      this.driving = false;
      for (const s of this.actionStates) if (OPEN.has(s.actionStatus)) s.actionStatus = 'FAILED';
      this.actionStates.push({ actionId: a.actionId, actionType: 'cancelOrder', actionStatus: 'RUNNING' });
      this.cancelling = a.actionId;
    }
    return true;
  }

  /** One tick of driving or load handling; returns true when the state changed. */
  step(): boolean {
    if (this.cancelling) {
      const c = this.actionStates.find((a) => a.actionId === this.cancelling);
      if (c) c.actionStatus = 'FINISHED';
      this.cancelling = undefined;
      return true;
    }
    const current = this.pending[0];
    if (current) return this.advance(current);
    const next = this.nodes[0];
    if (!next) return false;
    if (!next.released) return false; // the horizon is not driven: wait for an update
    if (!this.driving) {
      this.driving = true;
      return true;
    }
    this.arrive(next);
    return true;
  }

  /** The full state message with this header. */
  state(headerId: number, nowMs: number): State {
    return {
      ...header(headerId, this.opts.manufacturer, this.opts.serialNumber, nowMs),
      orderId: this.orderId,
      orderUpdateId: this.orderUpdateId,
      lastNodeId: this.lastNodeId,
      lastNodeSequenceId: this.lastNodeSequenceId,
      nodeStates: this.nodes.map((n) => ({ nodeId: n.nodeId, sequenceId: n.sequenceId, released: n.released })),
      edgeStates: this.edges.map((e) => ({ edgeId: e.edgeId, sequenceId: e.sequenceId, released: e.released })),
      agvPosition: { ...this.position },
      velocity: { vx: this.driving ? 1 : 0, vy: 0, omega: 0 },
      loads: this.loads.map((l) => ({ ...l })),
      driving: this.driving,
      paused: false,
      actionStates: this.actionStates.map((a) => ({ ...a })),
      batteryState: { batteryCharge: 80, charging: false },
      operatingMode: 'AUTOMATIC',
      errors: this.errors.map((e) => ({ ...e })),
      safetyState: { eStop: 'NONE', fieldViolation: false },
    };
  }

  private reject(errorType: string, description: string, refs: Array<{ referenceKey: string; referenceValue: string }>): boolean {
    // Reported until a new order is accepted (6.6.4); the current order (if any) goes on.
    this.errors = this.errors.filter((e) => e.errorType !== errorType);
    this.errors.push({ errorType, errorLevel: 'WARNING', errorDescription: description, errorReferences: refs });
    return true;
  }

  private checkActions(o: Order): string | undefined {
    for (const a of [...o.nodes.flatMap((n) => n.actions), ...o.edges.flatMap((e) => e.actions)]) {
      if (!LOAD_ACTIONS.has(a.actionType)) return `action ${a.actionType} is not supported`;
      const keys = new Set((a.actionParameters ?? []).map((p) => p.key));
      // 6.8.2: pick requires stationType and loadType.
      if (a.actionType === 'pick' && !(keys.has('stationType') && keys.has('loadType'))) return `pick ${a.actionId} needs stationType and loadType`;
    }
    return undefined;
  }

  /** The first node of a new order must be where the vehicle stands (6.6.2 step 4). */
  private checkStart(first: OrderNode | undefined): string | undefined {
    if (!first) return 'the order has no nodes';
    if (first.nodeId === this.lastNodeId && this.lastNodeId !== '') return undefined;
    const p = first.nodePosition;
    if (!p) return `start node ${first.nodeId} has no position`;
    const distance = Math.hypot(p.x - this.position.x, p.y - this.position.y);
    if (p.mapId !== this.position.mapId || distance > (p.allowedDeviationXY ?? 0) + 1e-6) return `start node ${first.nodeId} is ${distance.toFixed(2)} m away`;
    return undefined;
  }

  /** An update must continue from the last base node with the same sequenceId (6.6.2 steps 7, 8). */
  private update(o: Order, refs: Array<{ referenceKey: string; referenceValue: string }>): boolean {
    const first = o.nodes[0];
    const lastBase = [...this.nodes].reverse().find((n) => n.released);
    const stitch = lastBase ? { nodeId: lastBase.nodeId, sequenceId: lastBase.sequenceId } : { nodeId: this.lastNodeId, sequenceId: this.lastNodeSequenceId };
    if (!first || first.nodeId !== stitch.nodeId || first.sequenceId !== stitch.sequenceId) return this.reject('orderUpdateError', 'the update does not start at the last base node', refs);
    const problem = this.checkActions(o);
    if (problem) return this.reject('orderError', problem, refs);
    this.orderUpdateId = o.orderUpdateId;
    this.nodes = [...this.nodes.filter((n) => n.released && n.sequenceId < first.sequenceId), ...(lastBase ? o.nodes : o.nodes.slice(1))];
    this.edges = [...this.edges.filter((e) => e.released && e.sequenceId < first.sequenceId), ...o.edges];
    // The stitching node keeps its actions from the first message; only new nodes add action states.
    for (const n of o.nodes.slice(1)) for (const a of n.actions) this.actionStates.push({ actionId: a.actionId, actionType: a.actionType, actionStatus: 'WAITING' });
    return true;
  }

  private load(o: Order): void {
    this.nodes = o.nodes.map((n) => ({ ...n }));
    this.edges = o.edges.map((e) => ({ ...e }));
    for (const n of o.nodes) for (const a of n.actions) this.actionStates.push({ actionId: a.actionId, actionType: a.actionType, actionStatus: 'WAITING' });
    // It stands on the first node: reached at once.
    const first = this.nodes[0] as OrderNode;
    this.arrive(first);
  }

  private arrive(n: OrderNode): void {
    this.nodes.shift();
    const edge = this.edges.findIndex((e) => e.endNodeId === n.nodeId && e.sequenceId === n.sequenceId - 1);
    if (edge >= 0) this.edges.splice(edge, 1);
    this.driving = false;
    this.lastNodeId = n.nodeId;
    this.lastNodeSequenceId = n.sequenceId;
    if (n.nodePosition) this.position = { ...this.position, x: n.nodePosition.x, y: n.nodePosition.y, theta: n.nodePosition.theta ?? this.position.theta, mapId: n.nodePosition.mapId };
    this.pending = [...n.actions];
  }

  private advance(a: Action): boolean {
    const s = this.actionStates.find((x) => x.actionId === a.actionId);
    if (!s) {
      this.pending.shift();
      return false;
    }
    if (s.actionStatus === 'WAITING') s.actionStatus = 'INITIALIZING';
    else if (s.actionStatus === 'INITIALIZING') s.actionStatus = 'RUNNING';
    else if (s.actionStatus === 'RUNNING') {
      this.pending.shift();
      if (this.draw() < (this.opts.failureRate ?? 0)) this.fail(a, s);
      else {
        s.actionStatus = 'FINISHED';
        const p = new Map((a.actionParameters ?? []).map((x) => [x.key, String(x.value)]));
        if (a.actionType === 'pick') this.loads.push({ ...(p.get('loadId') ? { loadId: p.get('loadId') } : {}), loadType: p.get('loadType') ?? '' });
        if (a.actionType === 'drop') this.loads.shift();
      }
    }
    return true;
  }

  /** A failed pick / drop comes with an error naming it; the vehicle gives up the rest of the order. */
  private fail(a: Action, s: ActionState): void {
    s.actionStatus = 'FAILED';
    s.resultDescription = a.actionType === 'pick' ? 'station empty' : 'station occupied';
    this.errors.push({
      errorType: `${a.actionType}Failed`,
      errorLevel: 'WARNING',
      errorDescription: s.resultDescription,
      errorReferences: [
        { referenceKey: 'orderId', referenceValue: this.orderId },
        { referenceKey: 'actionId', referenceValue: a.actionId },
      ],
    });
    this.nodes = [];
    this.edges = [];
    this.pending = [];
    for (const x of this.actionStates) if (OPEN.has(x.actionStatus)) x.actionStatus = 'FAILED';
  }
}

export interface SimulatedAgvOptions extends AgvOptions {
  url: string;
  /** Time between steps (default 20 ms). */
  stepMs?: number;
  /** Every message the vehicle publishes, for tests that validate them. */
  onPublish?: (topic: string, message: State | Connection) => void;
}

export class SimulatedAgv {
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly core: AgvCore;
  private stateId = 0;
  private connectionId = 0;

  constructor(private readonly opts: SimulatedAgvOptions) {
    this.core = new AgvCore(opts);
  }

  private topic(t: 'state' | 'connection' | 'order' | 'instantActions'): string {
    return topicOf(this.opts.manufacturer, this.opts.serialNumber, t);
  }

  private connection(state: ConnectionState): Connection {
    return { ...header(this.connectionId++, this.opts.manufacturer, this.opts.serialNumber, Date.now()), connectionState: state };
  }

  /** Connects (the will set), publishes ONLINE and a first state, then steps until `stop`. */
  async start(signal?: AbortSignal): Promise<void> {
    const will = this.connection('CONNECTIONBROKEN');
    const client = mqtt.connect(this.opts.url, {
      clientId: `agv-${this.opts.manufacturer}-${this.opts.serialNumber}`,
      keepalive: 15,
      reconnectPeriod: 1000,
      will: { topic: this.topic('connection'), payload: Buffer.from(JSON.stringify(will)), qos: 1, retain: true },
    });
    this.client = client;
    // mqtt.js reconnects by itself; without a listener an 'error' event would end the process.
    client.on('error', () => undefined);
    client.on('message', (topic, payload) => {
      let raw: unknown;
      try {
        raw = JSON.parse(payload.toString('utf8'));
      } catch {
        raw = undefined;
      }
      const changed = topic.endsWith('/order') ? this.core.receiveOrder(raw) : this.core.receiveInstantActions(raw);
      if (changed) this.publishState();
    });
    // Subscribed before it says ONLINE: master control may send an order as soon as it sees the vehicle.
    client.on('connect', () => {
      client.subscribe([this.topic('order'), this.topic('instantActions')], { qos: 0 }, (err) => {
        if (err) return;
        this.publish(this.topic('connection'), this.connection('ONLINE'), 1, true);
        this.publishState();
      });
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    this.timer = setInterval(() => {
      if (this.core.step()) this.publishState();
    }, this.opts.stepMs ?? 20);
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** Orderly shutdown: OFFLINE (retained), then an MQTT disconnect, so no last will. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected) await client.publishAsync(this.topic('connection'), JSON.stringify(this.connection('OFFLINE')), { qos: 1, retain: true });
    await client.endAsync();
  }

  private publishState(): void {
    this.publish(this.topic('state'), this.core.state(this.stateId++, Date.now()), 0, false);
  }

  private publish(topic: string, message: State | Connection, qos: 0 | 1, retain: boolean): void {
    this.opts.onPublish?.(topic, message);
    this.client?.publish(topic, JSON.stringify(message), { qos, retain });
  }
}
