/**
 * The site layout the admin maintains in Odoo (`logistics.bridge.vda.node`, exported by its
 * `vda_layout()` method) and the pure route planning on it: a robot order from the bridge names the
 * source locations of its lines; each becomes a `pick` at the location's node and a `drop` at the drop
 * node of the warehouse.
 */
import { z } from 'zod';
import type { LoadHandling, RouteStop } from './builders';
import type { AgvPosition } from './messages';

const layoutNode = z.object({
  node_id: z.string().min(1),
  x: z.number(),
  y: z.number(),
  theta: z.number().min(-Math.PI).max(Math.PI).nullish(),
  map_id: z.string().min(1),
  location_id: z.number().int().nullish(),
  location_barcode: z.string().nullish(),
  location_name: z.string().nullish(),
  warehouse: z.string().nullish(),
  station_type: z.string().nullish(),
  drop_point: z.boolean().nullish(),
});
export const layoutSchema = z.object({ nodes: z.array(layoutNode) });
export type Layout = z.infer<typeof layoutSchema>;
export type LayoutNode = z.infer<typeof layoutNode>;

export function parseLayout(raw: unknown): Layout {
  return layoutSchema.parse(raw);
}

export class LayoutError extends Error {
  constructor(
    readonly code: 'no_layout_node' | 'no_drop_node' | 'no_position' | 'no_stops',
    message: string,
  ) {
    super(message);
    this.name = 'LayoutError';
  }
}

/** One source location of a job with the action id of its pick and its drop. */
export interface JobStop {
  locationBarcode: string;
  pickActionId: string;
  dropActionId: string;
}

export interface PlanOptions {
  /** Warehouse code of the job; the drop node of that warehouse is used (else the only drop node). */
  warehouse: string;
  /** VDA 5050 `loadType` of the load units (e.g. EPAL, a tote type). */
  loadType: string;
  /** The job's load id (`loadId`), when the load unit is known. */
  loadId?: string;
}

/** The vehicle's current place: its last node, or a temporary node at its position (6.6.3.1). */
export function startStop(serialNumber: string, lastNodeId: string, position: AgvPosition | undefined): RouteStop {
  if (!position) throw new LayoutError('no_position', `vehicle ${serialNumber} reported no position`);
  return {
    nodeId: lastNodeId || `${serialNumber}-start`,
    // Large enough that the vehicle counts the node as reached where it stands.
    position: { x: position.x, y: position.y, theta: position.theta, mapId: position.mapId, allowedDeviationXY: 0.5 },
    description: 'current position',
  };
}

function nodeStop(n: LayoutNode): Omit<RouteStop, 'action'> {
  return {
    nodeId: n.node_id,
    position: { x: n.x, y: n.y, ...(n.theta !== null && n.theta !== undefined ? { theta: n.theta } : {}), mapId: n.map_id },
    ...(n.location_name ? { description: n.location_name } : {}),
  };
}

/** start → pick at source 1 → drop → pick at source 2 → drop …: what a single-load vehicle can run. */
export function planRoute(layout: Layout, start: RouteStop, stops: JobStop[], opts: PlanOptions): RouteStop[] {
  if (stops.length === 0) throw new LayoutError('no_stops', 'the robot order names no source location');
  const drops = layout.nodes.filter((n) => n.drop_point);
  const drop = drops.find((n) => n.warehouse === opts.warehouse) ?? (drops.length === 1 ? drops[0] : undefined);
  if (!drop) throw new LayoutError('no_drop_node', `no drop node in the layout for warehouse ${opts.warehouse || '(none)'}`);
  const route: RouteStop[] = [start];
  for (const s of stops) {
    const source = layout.nodes.find((n) => n.location_barcode === s.locationBarcode && !n.drop_point) ?? layout.nodes.find((n) => n.location_barcode === s.locationBarcode);
    if (!source) throw new LayoutError('no_layout_node', `location ${s.locationBarcode || '(no barcode)'} has no node in the VDA 5050 layout`);
    const load = (n: LayoutNode): LoadHandling => ({
      stationType: n.station_type || 'floor',
      loadType: opts.loadType,
      ...(n.location_barcode ? { stationName: n.location_barcode } : {}),
      ...(opts.loadId ? { loadId: opts.loadId } : {}),
    });
    route.push({ ...nodeStop(source), action: { type: 'pick', actionId: s.pickActionId, parameters: load(source) } });
    route.push({ ...nodeStop(drop), action: { type: 'drop', actionId: s.dropActionId, parameters: load(drop) } });
  }
  return route;
}
