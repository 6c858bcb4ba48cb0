/**
 * Pure builders of what master control sends: the header (headerId per topic, +1 with every message
 * sent, 6.4), orders made of released nodes and edges with the predefined `pick` / `drop` actions
 * (6.8), and the `cancelOrder` instant action (6.6.3).
 */
import { VDA_VERSION, type Action, type ActionParameter, type Header, type InstantActions, type NodePosition, type Order, type OrderEdge, type OrderNode, type Subtopic } from './messages';

/** headerId counters, one per (serial number, topic): "defined per topic and incremented by 1 with each sent message". */
export class HeaderIds {
  private readonly next = new Map<string, number>();

  take(serialNumber: string, subtopic: Subtopic): number {
    const key = `${serialNumber}/${subtopic}`;
    const id = this.next.get(key) ?? 0;
    this.next.set(key, id + 1);
    return id;
  }
}

export function header(headerId: number, manufacturer: string, serialNumber: string, nowMs: number): Header {
  return { headerId, timestamp: new Date(nowMs).toISOString(), version: VDA_VERSION, manufacturer, serialNumber };
}

/** A message body without its header: the header is stamped when it is sent. */
export type OrderBody = Omit<Order, keyof Header>;
export type InstantActionsBody = Omit<InstantActions, keyof Header>;

/** One stop of a route: a node of the layout and what the vehicle does there. */
export interface RouteStop {
  nodeId: string;
  position: NodePosition;
  description?: string;
  action?: { type: 'pick' | 'drop'; actionId: string; parameters: LoadHandling };
}

/**
 * The parameters of `pick` / `drop` that the standard defines (6.8.2): `stationType` and `loadType` are
 * required for `pick`, everything else optional; `lhd` only for vehicles with several load handlers.
 */
export interface LoadHandling {
  stationType: string;
  loadType: string;
  stationName?: string;
  loadId?: string;
  lhd?: string;
  height?: number;
  depth?: number;
  side?: string;
}

function parameters(p: LoadHandling): ActionParameter[] {
  const out: ActionParameter[] = [];
  for (const key of ['lhd', 'stationType', 'stationName', 'loadType', 'loadId', 'height', 'depth', 'side'] as const) {
    const value = p[key];
    if (value !== undefined && value !== '') out.push({ key, value });
  }
  return out;
}

/** pick and drop are HARD: nothing else (no driving) while the load moves. */
function loadAction(stop: NonNullable<RouteStop['action']>): Action {
  return { actionId: stop.actionId, actionType: stop.type, blockingType: 'HARD', actionParameters: parameters(stop.parameters) };
}

/**
 * A new order (orderUpdateId 0) whose whole route is the base: every node and edge released, no
 * horizon, sequenceIds 0, 2, 4 … for nodes and 1, 3, 5 … for the edges between them (6.6.1). The
 * first stop must be where the vehicle stands (6.6.3.1): callers pass its last node or a temporary node
 * at its position.
 */
export function buildOrder(orderId: string, stops: RouteStop[]): OrderBody {
  if (stops.length < 2) throw new RangeError('an order needs the start node and at least one more');
  const nodes: OrderNode[] = stops.map((s, i) => ({
    nodeId: s.nodeId,
    sequenceId: i * 2,
    released: true,
    nodePosition: s.position,
    ...(s.description ? { nodeDescription: s.description } : {}),
    actions: s.action ? [loadAction(s.action)] : [],
  }));
  const edges: OrderEdge[] = stops.slice(1).map((s, i) => {
    const from = stops[i] as RouteStop;
    return { edgeId: `${from.nodeId}--${s.nodeId}`, sequenceId: i * 2 + 1, released: true, startNodeId: from.nodeId, endNodeId: s.nodeId, actions: [] };
  });
  return { orderId, orderUpdateId: 0, nodes, edges };
}

/** `cancelOrder` (6.6.3): no parameters, HARD; its actionId identifies it in the vehicle's actionStates. */
export function buildCancelOrder(actionId: string): InstantActionsBody {
  return { actions: [{ actionId, actionType: 'cancelOrder', blockingType: 'HARD' }] };
}

export function stamp<B extends object>(body: B, h: Header): B & Header {
  return { ...h, ...body };
}
