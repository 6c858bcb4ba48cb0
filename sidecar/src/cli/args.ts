import { DEAD_QUEUES } from '../broker/topology';

/** The operator CLI's arguments, parsed purely (unit-tested); `index.ts` does the I/O. */
export type DeadSelection = { ids: string[] } | { stage: string } | { all: true };
export type Command =
  | { kind: 'status'; json: boolean }
  | { kind: 'doctor'; json: boolean }
  | { kind: 'replay'; sinceId?: number; since?: string; types: string[]; limit?: number; dryRun: boolean }
  | { kind: 'dead-list'; queue: string; ids: string[]; stage?: string; limit: number; json: boolean }
  | { kind: 'dead-show'; queue: string; id: string }
  | { kind: 'dead-replay'; queue: string; select: DeadSelection; dryRun: boolean }
  | { kind: 'schemas' }
  | { kind: 'help' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Most dead letters `dead list` reads unless --limit says otherwise. */
export const DEAD_LIST_LIMIT = 1000;

export const USAGE = `usage: logistics-bridge <command>
  status [--json]                     outbox counts, claims per relay and their age, lag (reads Odoo only)
  doctor [--json]                     checks configuration, Odoo, the addon, the service user's rights, the API key,
                                      RabbitMQ's topology and the gateway's TLS files: one line each, ok or the fix
  replay --since <iso-time|id> [--type <event.type>]... [--limit <n>] [--dry-run]
                                      republish already-published outbox events (same messageId, header x-replayed-at)
  dead list [--queue <q>] [--stage <s>] [--id <id>]... [--limit <n>] [--json]
                                      dead letters by id, stage and reason (queue default ${DEAD_QUEUES[0]})
  dead show <id> [--queue <q>]        one dead letter: its headers, reason and pretty-printed payload
  dead replay (--id <id>... | --stage <s> | --all) [--queue <q>] [--dry-run]
                                      move dead letters back to the queue they came from (confirmed, same messageId)
  schemas                             print the JSON Schema of every event type
  help                                this text
Dead-letter queues: ${DEAD_QUEUES.join(', ')}.
Configuration comes from the sidecar's environment variables (ODOO_*; AMQP_* for doctor, replay and dead).
Exit codes: 0 ok, 1 a check or call failed, 2 usage or configuration, 3 (status) dead outbox events.`;

/** Reads `argv[i+1]` as the value of `flag`. */
function valueAt(rest: readonly string[], i: number, cmd: string, flag: string): string {
  const v = rest[i + 1];
  if (v === undefined || v.startsWith('--')) throw new UsageError(`${cmd}: ${flag} needs a value`);
  return v;
}

function positive(cmd: string, flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new UsageError(`${cmd}: ${flag} takes a positive number, not "${v}"`);
  return Number(v);
}

function deadQueue(cmd: string, v: string): string {
  if (!DEAD_QUEUES.includes(v)) throw new UsageError(`${cmd}: --queue takes one of ${DEAD_QUEUES.join(', ')}, not "${v}"`);
  return v;
}

const flagsOnly = (cmd: string, rest: readonly string[], allowed: readonly string[]): void => {
  for (const a of rest) if (!allowed.includes(a)) throw new UsageError(`${cmd}: unknown argument ${a}`);
};

export function parseArgs(argv: readonly string[]): Command {
  const [cmd, ...rest] = argv;
  if (!cmd) throw new UsageError('no command given');
  if (cmd === 'help' || cmd === '--help' || cmd === '-h') return { kind: 'help' };
  if (cmd === 'schemas') return { kind: 'schemas' };
  if (cmd === 'status' || cmd === 'doctor') {
    flagsOnly(cmd, rest, ['--json']);
    return { kind: cmd, json: rest.includes('--json') };
  }
  if (cmd === 'dead') return parseDead(rest);
  if (cmd !== 'replay') throw new UsageError(`unknown command ${cmd}`);
  const out: Extract<Command, { kind: 'replay' }> = { kind: 'replay', types: [], dryRun: false };
  let sinceGiven = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--since') {
      const v = valueAt(rest, i++, 'replay', a);
      sinceGiven = true;
      if (/^\d+$/.test(v)) out.sinceId = Number(v);
      else if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+)?(Z|[+-]\d{2}:?\d{2})?$/.test(v) && Number.isFinite(Date.parse(v))) out.since = new Date(v.length === 10 ? `${v}T00:00:00Z` : v).toISOString();
      else throw new UsageError(`replay: --since takes an outbox id or an ISO 8601 time, not "${v}"`);
    } else if (a === '--type') {
      const v = valueAt(rest, i++, 'replay', a);
      if (!/^[a-z_]+(\.[a-z_]+)+$/.test(v)) throw new UsageError(`replay: --type takes an event type such as stock.picking.done, not "${v}"`);
      out.types.push(v);
    } else if (a === '--limit') {
      out.limit = positive('replay', a, valueAt(rest, i++, 'replay', a));
    } else if (a === '--dry-run') {
      out.dryRun = true;
    } else {
      throw new UsageError(`replay: unknown argument ${a}`);
    }
  }
  if (!sinceGiven) throw new UsageError('replay: --since <iso-time|id> is required');
  return out;
}

function parseDead(argv: readonly string[]): Command {
  const [sub, ...rest] = argv;
  if (sub !== 'list' && sub !== 'show' && sub !== 'replay') throw new UsageError(`dead: expected list, show or replay${sub ? `, not "${sub}"` : ''}`);
  const cmd = `dead ${sub}`;
  let queue = DEAD_QUEUES[0] as string;
  const ids: string[] = [];
  const positional: string[] = [];
  let stage: string | undefined;
  let limit = DEAD_LIST_LIMIT;
  let json = false;
  let all = false;
  let dryRun = false;
  const allowed: Record<string, readonly string[]> = {
    list: ['--queue', '--stage', '--id', '--limit', '--json'],
    show: ['--queue'],
    replay: ['--queue', '--stage', '--id', '--all', '--dry-run'],
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    if (!allowed[sub]?.includes(a)) throw new UsageError(`${cmd}: unknown argument ${a}`);
    if (a === '--queue') queue = deadQueue(cmd, valueAt(rest, i++, cmd, a));
    else if (a === '--stage') stage = valueAt(rest, i++, cmd, a);
    else if (a === '--id') ids.push(valueAt(rest, i++, cmd, a));
    else if (a === '--limit') limit = positive(cmd, a, valueAt(rest, i++, cmd, a));
    else if (a === '--json') json = true;
    else if (a === '--all') all = true;
    else if (a === '--dry-run') dryRun = true;
  }
  if (sub === 'show') {
    if (positional.length !== 1) throw new UsageError('dead show: give exactly one id (from dead list)');
    return { kind: 'dead-show', queue, id: positional[0] as string };
  }
  if (positional.length) throw new UsageError(`${cmd}: unexpected argument ${positional[0]} (ids go after --id)`);
  if (sub === 'list') return { kind: 'dead-list', queue, ids, ...(stage !== undefined ? { stage } : {}), limit, json };
  const chosen = [ids.length > 0, stage !== undefined, all].filter(Boolean).length;
  if (chosen !== 1) throw new UsageError('dead replay: choose what to replay: --id <id>... , --stage <stage> or --all (one of them)');
  const select: DeadSelection = ids.length ? { ids } : stage !== undefined ? { stage } : { all: true };
  return { kind: 'dead-replay', queue, select, dryRun };
}
