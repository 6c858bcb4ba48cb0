/** The device families of proto/logistics/device/v1: one gRPC service each. */
export const FAMILIES = ['barcode', 'sorter', 'robot_fleet'] as const;
export type Family = (typeof FAMILIES)[number];

export const SERVICE_NAMES: Record<Family, string> = {
  barcode: 'BarcodeGateway',
  sorter: 'SorterGateway',
  robot_fleet: 'RobotFleetGateway',
};
