import type { ReadingContext, Sink } from './context';
import { BoundedMap } from './lru';
import type { PickLine, PickingRef, ProductRef, RobotOrderMsg, RobotStateMsg } from '@logistics-bridge/contract';
import { idempotencyKey, makeUpdate } from './types';

export interface RobotOptions {
  /** A task blocked this long becomes task.failed (code "blocked"), once (default 30 s). */
  blockedAfterMs: number;
  /** Tasks remembered per stream, including finished ones so their repeated final state is dropped. */
  capacity: number;
}

export type TaskPhase = 'waiting' | 'running' | 'blocked' | 'completed' | 'failed';

interface TaskState {
  phase: TaskPhase;
  robotId: string;
  picking?: string;
  blockedSinceMs?: number;
  blockedReported: boolean;
  blockedReason?: string;
  /** Source of the blocked milestone, kept so a tick can emit it with the state's own facts. */
  blockedCtx?: ReadingContext;
  terminal: boolean;
}

interface RobotLast {
  signature: string;
  batteryBucket: number;
  x: number;
  y: number;
}

interface KnownOrder {
  correlationId?: string;
  picking?: PickingRef;
  /** Lines per pick action id, from the order's action parameters. */
  pickLines: Map<string, PickLine>;
}

/**
 * Collapses 10 Hz VDA 5050 style robot state into task milestones. Position, velocity and battery
 * changes, and states whose task phase did not change, are dropped. Milestones:
 *   completed → pick.confirmed (when the task's pick actions and their lines are known), once per task
 *   failed    → task.failed with the robot's error type as code, once per task
 *   blocked   → task.failed (code "blocked") when the robot stays blocked for `blockedAfterMs`;
 *               a block that clears sooner is a non-event for the ERP.
 *   started   → counted only: Odoo has no update for it.
 * Keys are `<adapter>:task:<task id>:<milestone>`, so a replay of the same states gives the same keys
 * whichever robot the task moved to.
 */
export class RobotCollapser {
  private readonly tasks: BoundedMap<string, TaskState>;
  private readonly robots = new Map<string, RobotLast>();
  private readonly orders: BoundedMap<string, KnownOrder>;
  // Tasks currently blocked and not yet reported, so a tick does not walk every remembered task.
  private readonly blocked = new Set<string>();
  milestones = 0;

  constructor(private readonly options: RobotOptions) {
    this.tasks = new BoundedMap(options.capacity);
    this.orders = new BoundedMap(options.capacity);
  }

  /** Flow 3: the gateway tells us which order it sent, so completed pick actions can name their lines. */
  rememberOrder(order: RobotOrderMsg): void {
    const pickLines = new Map<string, PickLine>();
    for (const node of order.nodes ?? []) {
      for (const action of node.actions ?? []) {
        if (action.action_type !== 'pick') continue;
        const line = lineFromParameters(action.parameters ?? {}, node.location_barcode);
        if (line) pickLines.set(action.action_id, line);
      }
    }
    const known: KnownOrder = { pickLines };
    const header = order.header;
    if (header?.correlation_id) known.correlationId = header.correlation_id;
    const picking = header?.picking;
    if (picking?.name) known.picking = { name: picking.name };
    else if (picking?.id) known.picking = { id: picking.id };
    this.orders.set(order.order_id, known);
    if (header?.work_id) this.orders.set(header.work_id, known);
  }

  handle(state: RobotStateMsg, ctx: ReadingContext, sink: Sink): void {
    const taskId = state.task_id || state.order_id || '';
    const phase = taskId ? phaseOf(state) : 'waiting';
    const robotId = state.robot_id || ctx.deviceId;
    const signature = `${taskId}|${phase}`;
    const last = this.robots.get(robotId);
    const x = state.agv_position?.x ?? 0;
    const y = state.agv_position?.y ?? 0;
    const batteryBucket = Math.floor((state.battery_charge ?? 0) / 5);
    this.robots.set(robotId, { signature, batteryBucket, x, y });

    if (!taskId || (last && last.signature === signature && phase !== 'blocked')) {
      // Say why it was dropped, so the metrics show what the torrent consisted of.
      if (last && (last.x !== x || last.y !== y || state.driving)) sink.drop('robot_position');
      else if (last && last.batteryBucket !== batteryBucket) sink.drop('robot_battery');
      else sink.drop('robot_unchanged');
      return;
    }

    const task = this.tasks.get(taskId) ?? { phase: 'waiting', robotId, blockedReported: false, terminal: false };
    if (state.picking_name) task.picking = state.picking_name;
    task.robotId = robotId;
    this.tasks.set(taskId, task);
    if (task.terminal) {
      sink.drop('late_after_terminal');
      return;
    }

    if (phase === 'blocked') {
      if (task.phase !== 'blocked') {
        task.blockedSinceMs = ctx.eventTimeMs;
        task.blockedReason = blockedReason(state);
        task.blockedCtx = ctx;
        task.phase = 'blocked';
        if (!task.blockedReported) this.blocked.add(taskId);
      }
      const reported = this.reportBlockedIfDue(taskId, task, ctx.eventTimeMs, sink);
      if (!reported) sink.drop(last?.signature === signature ? 'robot_unchanged' : 'robot_progress');
      return;
    }
    delete task.blockedSinceMs;
    delete task.blockedCtx;
    const previous = task.phase;
    task.phase = phase;
    this.blocked.delete(taskId);

    if (phase === 'completed') {
      task.terminal = true;
      this.milestones += 1;
      const update = this.completion(taskId, task, state, ctx);
      if (update) sink.emit(update);
      else sink.drop('robot_progress');
      return;
    }
    if (phase === 'failed') {
      task.terminal = true;
      this.milestones += 1;
      const fatal = (state.errors ?? []).find((e) => e.error_level === 'LEVEL_FATAL') ?? (state.errors ?? [])[0];
      const failedAction = (state.action_states ?? []).find((a) => a.action_status === 'ACTION_STATUS_FAILED');
      const reason = fatal?.error_description || failedAction?.result_description || fatal?.error_type || `robot ${robotId} failed task ${taskId}`;
      const payload: { reason: string; code?: string; picking?: PickingRef } = { reason };
      if (fatal?.error_type) payload.code = fatal.error_type;
      const picking = this.pickingOf(taskId, task);
      if (picking) payload.picking = picking;
      sink.emit(makeUpdate('task.failed', idempotencyKey(ctx.adapterId, 'task', taskId, 'failed'), this.sourceOf(taskId, ctx), payload));
      return;
    }
    if (phase === 'running' && previous === 'waiting') this.milestones += 1;
    sink.drop('robot_progress');
  }

  /** Emits blocked milestones whose time has come even if the robot went silent. */
  tick(nowMs: number, sink: Sink): void {
    for (const taskId of this.blocked) {
      const task = this.tasks.get(taskId);
      if (!task || task.phase !== 'blocked' || task.terminal || task.blockedReported) this.blocked.delete(taskId);
      else if (this.reportBlockedIfDue(taskId, task, nowMs, sink)) this.blocked.delete(taskId);
    }
  }

  private reportBlockedIfDue(taskId: string, task: TaskState, nowMs: number, sink: Sink): boolean {
    if (task.blockedReported || task.blockedSinceMs === undefined || !task.blockedCtx) return false;
    if (nowMs - task.blockedSinceMs < this.options.blockedAfterMs) return false;
    task.blockedReported = true;
    this.milestones += 1;
    const seconds = Math.round(this.options.blockedAfterMs / 1000);
    const payload: { reason: string; code: string; picking?: PickingRef } = {
      reason: `robot ${task.robotId} blocked for more than ${seconds} s${task.blockedReason ? `: ${task.blockedReason}` : ''}`,
      code: 'blocked',
    };
    const picking = this.pickingOf(taskId, task);
    if (picking) payload.picking = picking;
    // Event time is when the block started: the same whether we notice it on a state or on a tick.
    sink.emit(makeUpdate('task.failed', idempotencyKey(task.blockedCtx.adapterId, 'task', taskId, 'blocked'), this.sourceOf(taskId, task.blockedCtx), payload));
    return true;
  }

  private completion(taskId: string, task: TaskState, state: RobotStateMsg, ctx: ReadingContext) {
    const picking = this.pickingOf(taskId, task);
    if (!picking) return null;
    const known = this.orders.get(taskId) ?? (state.order_id ? this.orders.get(state.order_id) : undefined);
    const lines: PickLine[] = [];
    for (const action of state.action_states ?? []) {
      if (action.action_type !== 'pick' || action.action_status !== 'ACTION_STATUS_FINISHED') continue;
      const line = known?.pickLines.get(action.action_id) ?? lineFromResult(action.result_description ?? '');
      if (line) lines.push(line);
    }
    if (lines.length === 0) return null;
    return makeUpdate('pick.confirmed', idempotencyKey(ctx.adapterId, 'task', taskId, 'completed'), this.sourceOf(taskId, ctx), { picking, lines });
  }

  private pickingOf(taskId: string, task: TaskState): PickingRef | undefined {
    if (task.picking) return { name: task.picking };
    return this.orders.get(taskId)?.picking;
  }

  private sourceOf(taskId: string, ctx: ReadingContext): ReadingContext {
    const correlationId = this.orders.get(taskId)?.correlationId;
    return correlationId && !ctx.correlationId ? { ...ctx, correlationId } : ctx;
  }
}

/** Phase of the robot's current task from VDA 5050 action states and errors. */
export function phaseOf(state: RobotStateMsg): TaskPhase {
  const actions = state.action_states ?? [];
  const errors = state.errors ?? [];
  if (actions.some((a) => a.action_status === 'ACTION_STATUS_FAILED') || errors.some((e) => e.error_level === 'LEVEL_FATAL')) return 'failed';
  if (errors.some((e) => /block/i.test(e.error_type))) return 'blocked';
  if (actions.length > 0 && actions.every((a) => a.action_status === 'ACTION_STATUS_FINISHED')) return 'completed';
  if (state.driving || actions.some((a) => a.action_status === 'ACTION_STATUS_RUNNING' || a.action_status === 'ACTION_STATUS_INITIALIZING' || a.action_status === 'ACTION_STATUS_FINISHED')) {
    return 'running';
  }
  return 'waiting';
}

function blockedReason(state: RobotStateMsg): string {
  const error = (state.errors ?? []).find((e) => /block/i.test(e.error_type));
  return error?.error_description || error?.error_type || '';
}

function productRef(params: Record<string, string>): ProductRef | null {
  if (params.product_id && /^\d+$/.test(params.product_id)) return { id: Number(params.product_id) };
  if (params.product_barcode) return { barcode: params.product_barcode };
  if (params.default_code) return { default_code: params.default_code };
  return null;
}

function lineFromParameters(params: Record<string, string>, locationBarcode?: string): PickLine | null {
  const product = productRef(params);
  const quantity = Number(params.quantity ?? '1');
  if (!product || !Number.isFinite(quantity) || quantity <= 0) return null;
  const line: PickLine = { product, quantity };
  if (params.lot) line.lot = params.lot;
  const location = params.location_barcode || locationBarcode;
  if (location) line.location = { barcode: location };
  return line;
}

/**
 * Without the order (no Flow 3 in this deployment), a fleet manager reports what a finished pick action
 * picked in `result_description` as `key=value` pairs separated by ';', e.g.
 * `product_barcode=4006381333931;quantity=2;lot=L42;location_barcode=A-01-02` (see adapters/README.md).
 */
export function lineFromResult(description: string): PickLine | null {
  if (!description.includes('=')) return null;
  const params: Record<string, string> = {};
  for (const part of description.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return lineFromParameters(params);
}
