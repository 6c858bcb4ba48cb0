/**
 * What `npm run simulate` uses when not told otherwise: the adapters of deploy/gateway-tokens.example.json
 * (a test keeps the two equal), and how a disconnect is told to a person.
 */
import { status } from '@grpc/grpc-js';
import type { Family } from '@logistics-bridge/contract';

export const DEFAULT_ADAPTERS: Readonly<Record<Family, { adapterId: string; token: string }>> = {
  barcode: { adapterId: 'demo-barcode', token: 'change-me-barcode' },
  sorter: { adapterId: 'demo-sorter', token: 'change-me-sorter' },
  robot_fleet: { adapterId: 'demo-robots', token: 'change-me-robots' },
};

/**
 * One line for a `disconnected` event. The SDK reports -1 ms when it will not reconnect (a wrong token, a
 * family the adapter is not registered for): that is said in words, with what to check.
 */
export function disconnectLine(d: { code: number; details: string; reconnectInMs: number }): string {
  const name = status[d.code] ?? String(d.code);
  if (d.reconnectInMs < 0) return `disconnected (${name}: ${d.details}); not reconnecting: check --adapter-id and --token against the gateway's token file`;
  return `disconnected (${name}: ${d.details}); reconnecting in ${Math.round(d.reconnectInMs)} ms`;
}

/** The families named on the command line (one, a comma-separated list, or `all`); undefined when one is unknown. */
export function familiesOf(arg: string): Family[] | undefined {
  const names = arg === 'all' ? ['robot_fleet', 'barcode', 'sorter'] : arg.split(',').map((a) => a.trim().replace('-', '_'));
  const families = names.filter((n): n is Family => n === 'barcode' || n === 'sorter' || n === 'robot_fleet');
  return families.length > 0 && families.length === names.length ? [...new Set(families)] : undefined;
}
