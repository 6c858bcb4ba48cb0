import type { Layout } from '../../../adapters/vda5050';

/** A hall with two rack locations and a drop point at the packing zone (warehouse WH). */
export const LAYOUT: Layout = {
  nodes: [
    { node_id: 'rack-a1', x: 10, y: 2, theta: 1.57, map_id: 'hall-1', location_barcode: 'WH-A-01', location_name: 'WH/Stock/A-01', warehouse: 'WH', station_type: 'rack' },
    { node_id: 'rack-b4', x: 14, y: 6, theta: 0, map_id: 'hall-1', location_barcode: 'WH-B-04', location_name: 'WH/Stock/B-04', warehouse: 'WH', station_type: 'rack' },
    { node_id: 'pack-1', x: 2, y: 2, theta: 3.14, map_id: 'hall-1', location_barcode: 'WH-PACK', location_name: 'WH/Output', warehouse: 'WH', station_type: 'floor', drop_point: true },
  ],
};

/** Robot-fleet work as the gateway sends it (proto-loader: snake_case, oneof names, int64 as strings). */
export function robotWork(workId: string, lines: Array<{ barcode: string; location: string; quantity: number }>, picking = 'WH/OUT/00042'): Record<string, unknown> {
  return {
    work: 'order',
    order: {
      header: { work_id: workId, correlation_id: 'S00042', picking: { ref: 'name', name: picking }, issued_ms: '1700000000000', warehouse: 'WH' },
      order_id: workId,
      order_update_id: 0,
      nodes: lines.map((l, i) => ({
        node_id: `${workId}-n${i + 1}`,
        sequence_id: i * 2,
        location_barcode: l.location,
        actions: [{ action_id: `${workId}-pick-${i + 1}`, action_type: 'pick', parameters: { product_barcode: l.barcode, quantity: String(l.quantity), location_barcode: l.location } }],
      })),
    },
  };
}

export function cancelWork(orderId: string): Record<string, unknown> {
  return { work: 'instant_action', instant_action: { header: { work_id: `${orderId}-void`, picking: { ref: 'name', name: 'WH/OUT/00042' } }, action_type: 'cancelOrder', robot_id: '', parameters: { order_id: orderId } } };
}
