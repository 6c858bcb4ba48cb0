/**
 * Pure interpretation of what vehicles report, into the ERP updates of this project's contract
 * (packages/contract/src/updates.ts):
 * - every `drop` (and `pick`) of an order FINISHED → one `pick.confirmed` with the work's lines;
 * - an action of the order FAILED, a FATAL error while it runs, or the vehicle rejecting it
 *   (validationError / orderError / orderUpdateError / noRouteError naming the order) → one `task.failed`;
 * - actions FAILED because master control cancelled the order (withdrawn work) → nothing: Odoo withdrew it;
 * - `connection` ONLINE → `device.status` online; OFFLINE / CONNECTIONBROKEN → offline.
 * Idempotency keys are derived from the order id or the connection message, so the same state or
 * retained connection message seen again yields the same key (and the tracker yields nothing new).
 */
import type { ErpPayloads, Family, PickingRef, PickLine } from '@logistics-bridge/contract';
import type { ActionState, Connection, ConnectionState, State, VdaError } from './messages';

export type FleetUpdate =
  | { type: 'pick.confirmed'; deviceId: string; idempotencyKey: string; correlationId: string; eventTimeMs: number; payload: ErpPayloads['pick.confirmed'] }
  | { type: 'task.failed'; deviceId: string; idempotencyKey: string; correlationId: string; eventTimeMs: number; payload: ErpPayloads['task.failed'] }
  | { type: 'device.status'; deviceId: string; idempotencyKey: string; correlationId: string; eventTimeMs: number; payload: ErpPayloads['device.status'] };

export type Outcome = 'confirmed' | 'failed' | 'cancelled';

/** What master control remembers of an order it sent, to read the vehicle's states against it. */
export interface TrackedOrder {
  orderId: string;
  serialNumber: string;
  correlationId: string;
  picking: PickingRef | undefined;
  lines: PickLine[];
  /** actionId → actionType of the order's pick / drop actions. */
  actions: Record<string, string>;
  /** The actionId of the cancelOrder master control sent, once the work was withdrawn. */
  cancelActionId?: string;
  outcome?: Outcome;
}

export interface Verdict {
  outcome: Outcome;
  update?: FleetUpdate;
}

const REJECTIONS = new Set(['validationError', 'orderError', 'orderUpdateError', 'noRouteError']);

function refers(e: VdaError, key: string, value: string): boolean {
  return (e.errorReferences ?? []).some((r) => r.referenceKey === key && r.referenceValue === value);
}

/** The one `task.failed` of an order (also for a job no vehicle could take: `deviceId` is then the fleet's). */
export function taskFailed(order: Pick<TrackedOrder, 'orderId' | 'correlationId' | 'picking'>, deviceId: string, eventTimeMs: number, reason: string, code: string): FleetUpdate {
  return {
    type: 'task.failed',
    deviceId,
    idempotencyKey: `vda5050:${order.orderId}:failed`,
    correlationId: order.correlationId,
    eventTimeMs,
    payload: { ...(order.picking ? { picking: order.picking } : {}), reason: reason.slice(0, 500), code },
  };
}

function failed(order: TrackedOrder, state: State, reason: string, code: string): Verdict {
  return { outcome: 'failed', update: taskFailed(order, order.serialNumber, Date.parse(state.timestamp), reason, code) };
}

function actionFailure(order: TrackedOrder, state: State, a: ActionState): Verdict {
  const type = order.actions[a.actionId] ?? a.actionType ?? 'action';
  const error = state.errors.find((e) => refers(e, 'actionId', a.actionId));
  const detail = a.resultDescription || error?.errorDescription || error?.errorType || '';
  return failed(order, state, `${type} ${a.actionId} failed on ${order.serialNumber}${detail ? `: ${detail}` : ''}`, error?.errorType ?? `${type}_failed`);
}

/**
 * The verdict on `order` after `state` from its vehicle, or undefined while it is still running (or
 * already decided: a decided order never yields a second update).
 */
export function interpretState(order: TrackedOrder, state: State): Verdict | undefined {
  if (order.outcome || state.serialNumber !== order.serialNumber) return undefined;
  if (state.orderId !== order.orderId) {
    const rejection = state.errors.find((e) => REJECTIONS.has(e.errorType) && refers(e, 'orderId', order.orderId));
    if (!rejection) return undefined;
    return failed(order, state, `${order.serialNumber} rejected the order: ${rejection.errorDescription ?? rejection.errorType}`, rejection.errorType);
  }
  const mine = state.actionStates.filter((a) => a.actionId in order.actions);
  const ids = Object.keys(order.actions);
  const finished = new Set(mine.filter((a) => a.actionStatus === 'FINISHED').map((a) => a.actionId));
  const done = ids.length > 0 && ids.every((id) => finished.has(id));
  if (order.cancelActionId && !done) {
    // Withdrawn: FINISHED = stopped and cleared, FAILED = nothing left to cancel. Either way it is over,
    // and the failures the cancel causes are not the vehicle's. Work the vehicle finished before the
    // cancel reached it is still confirmed below: the goods did move, Odoo decides what that means.
    const cancel = state.actionStates.find((a) => a.actionId === order.cancelActionId);
    if (cancel?.actionStatus === 'FINISHED' || cancel?.actionStatus === 'FAILED') return { outcome: 'cancelled' };
    return undefined;
  }
  const failedAction = mine.find((a) => a.actionStatus === 'FAILED');
  if (failedAction) return actionFailure(order, state, failedAction);
  if (!done) {
    const fatal = state.errors.find((e) => e.errorLevel === 'FATAL');
    if (fatal) return failed(order, state, `${order.serialNumber}: ${fatal.errorDescription ?? fatal.errorType}`, fatal.errorType);
    return undefined;
  }
  return {
    outcome: 'confirmed',
    update: {
      type: 'pick.confirmed',
      deviceId: order.serialNumber,
      idempotencyKey: `vda5050:${order.orderId}:picked`,
      correlationId: order.correlationId,
      eventTimeMs: Date.parse(state.timestamp),
      // pick.confirmed needs a picking: an order without one is confirmed by task id only.
      payload: { picking: order.picking ?? { name: order.orderId }, lines: order.lines },
    },
  };
}

/**
 * ONLINE → online; OFFLINE (orderly) and CONNECTIONBROKEN (the last will) → offline. Unchanged → nothing.
 * The event time is when master control received it (`receivedMs`): a will's own timestamp is from its
 * connect (6.14), older than the ONLINE sent after it, and Odoo keeps the newest status by event time.
 */
export function interpretConnection(previous: ConnectionState | undefined, c: Connection, receivedMs: number, family: Family = 'robot_fleet'): FleetUpdate | undefined {
  if (previous === c.connectionState) return undefined;
  const online = c.connectionState === 'ONLINE';
  return {
    type: 'device.status',
    deviceId: c.serialNumber,
    // The will carries the timestamp of its connect: the same will delivered again (retained) keeps its key.
    idempotencyKey: `vda5050:${c.serialNumber}:connection:${c.connectionState}:${c.timestamp}`,
    correlationId: '',
    eventTimeMs: receivedMs,
    payload: { status: online ? 'online' : 'offline', family, ...(online ? {} : { error: `VDA 5050 connection ${c.connectionState}` }) },
  };
}
