/** The operator CLI's arguments, parsed purely (unit-tested); `index.ts` does the I/O. */
export type Command =
  | { kind: 'status'; json: boolean }
  | { kind: 'replay'; sinceId?: number; since?: string; types: string[]; limit?: number; dryRun: boolean }
  | { kind: 'schemas' }
  | { kind: 'help' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: logistics-bridge <command>
  status [--json]                     outbox counts, claims per relay and their age, lag (age of the oldest pending event)
  replay --since <iso-time|id> [--type <event.type>]... [--limit <n>] [--dry-run]
                                      republish already-published events (same messageId, header x-replayed-at)
  schemas                             print the JSON Schema of every event type
Configuration comes from the sidecar's environment variables (ODOO_*, AMQP_URL).`;

export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === 'help' || cmd === '--help' || cmd === '-h') return { kind: 'help' };
  if (cmd === 'schemas') return { kind: 'schemas' };
  if (cmd === 'status') {
    for (const a of rest) if (a !== '--json') throw new UsageError(`status: unknown argument ${a}`);
    return { kind: 'status', json: rest.includes('--json') };
  }
  if (cmd !== 'replay') throw new UsageError(`unknown command ${cmd}`);
  const out: Extract<Command, { kind: 'replay' }> = { kind: 'replay', types: [], dryRun: false };
  let sinceGiven = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`replay: ${a} needs a value`);
      return v;
    };
    if (a === '--since') {
      const v = value();
      sinceGiven = true;
      if (/^\d+$/.test(v)) out.sinceId = Number(v);
      else if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/.test(v) && Number.isFinite(Date.parse(v))) out.since = new Date(v.length === 10 ? `${v}T00:00:00Z` : v).toISOString();
      else throw new UsageError(`replay: --since takes an outbox id or an ISO 8601 time, not "${v}"`);
    } else if (a === '--type') {
      const v = value();
      if (!/^[a-z_]+(\.[a-z_]+)+$/.test(v)) throw new UsageError(`replay: --type takes an event type such as stock.picking.done, not "${v}"`);
      out.types.push(v);
    } else if (a === '--limit') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`replay: --limit takes a positive number, not "${v}"`);
      out.limit = Number(v);
    } else if (a === '--dry-run') {
      out.dryRun = true;
    } else {
      throw new UsageError(`replay: unknown argument ${a}`);
    }
  }
  if (!sinceGiven) throw new UsageError('replay: --since <iso-time|id> is required');
  return out;
}
