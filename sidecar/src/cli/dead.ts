import { prettyBody, type DeadLetter, type DeadLetterQueue, type ReplayResult } from '../broker';
import type { Command, DeadSelection } from './args';

/** `dead list` filters and `dead replay`'s choice, as one predicate. */
export function selects(select: DeadSelection | { ids: string[]; stage?: string }): (d: DeadLetter) => boolean {
  if ('all' in select) return () => true;
  const ids = 'ids' in select && select.ids.length ? new Set(select.ids) : undefined;
  const stage = 'stage' in select ? select.stage : undefined;
  return (d) => (!ids || ids.has(d.id)) && (stage === undefined || d.stage === stage);
}

const oneLine = (s: string, max: number): string => {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** `dead list` for a person: one line per message (id, stage, when, type, reason), then counts per stage. */
export function formatDeadList(queue: string, letters: readonly DeadLetter[], total: number): string {
  if (letters.length === 0) return total === 0 ? `${queue}: no dead letters` : `${queue}: ${total} dead letters, none matches`;
  const rows = letters.map((d) => [d.id, d.stage, d.at ?? '', d.type ?? '', oneLine(d.reason + (d.path ? ` (at ${d.path})` : ''), 120)]);
  const head = ['id', 'stage', 'dead-lettered at', 'type', 'reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  const byStage = new Map<string, number>();
  for (const d of letters) byStage.set(d.stage, (byStage.get(d.stage) ?? 0) + 1);
  const summary = [...byStage].map(([s, n]) => `${n} ${s}`).join(', ');
  return [line(head), ...rows.map(line), '', `${queue}: ${letters.length} of ${total} shown (${summary})`].join('\n');
}

/** `dead list --json`: one object per message, without the body. */
export function deadListJson(letters: readonly DeadLetter[]): object[] {
  return letters.map(({ content: _content, properties, ...d }) => ({ ...d, messageId: properties.messageId ?? null }));
}

/** `dead show`: every property and header, the reason, then the payload pretty-printed. */
export function formatDeadShow(queue: string, d: DeadLetter): string {
  const p = d.properties;
  const lines = [
    `id            ${d.id}`,
    `queue         ${queue} (from ${d.from})`,
    `stage         ${d.stage}`,
    `reason        ${d.reason}`,
    ...(d.path ? [`field path    ${d.path}`] : []),
    ...(d.at ? [`dead-lettered ${d.at}`] : []),
    ...(d.type ? [`type          ${d.type}`] : []),
    ...(d.correlationId ? [`correlation   ${d.correlationId}`] : []),
    ...(p.timestamp ? [`timestamp     ${new Date(Number(p.timestamp) * 1000).toISOString()}`] : []),
    'headers',
    ...Object.entries(p.headers ?? {}).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`),
    'payload',
    prettyBody(d.content),
  ];
  return lines.join('\n');
}

export function formatReplay(queue: string, r: ReplayResult, dryRun: boolean): string {
  const to = Object.entries(r.targets).map(([q, n]) => `${n} to ${q}`).join(', ');
  const head = dryRun ? `${queue}: would replay ${r.moved}${to ? ` (${to})` : ''}, ${r.kept} not selected` : `${queue}: replayed ${r.moved}${to ? ` (${to})` : ''}, ${r.kept} not selected, ${r.failed} failed (still in ${queue})`;
  return [head, ...r.errors.map((e) => `  ${e}`)].join('\n');
}

/** A dry run: what a replay would move, read like `list`, nothing published. */
export async function dryReplay(dlq: DeadLetterQueue, select: (d: DeadLetter) => boolean): Promise<ReplayResult> {
  const { letters: chosen, total } = await dlq.list(Number.MAX_SAFE_INTEGER, select);
  const targets: Record<string, number> = {};
  for (const d of chosen) targets[d.from] = (targets[d.from] ?? 0) + 1;
  return { moved: chosen.length, kept: total - chosen.length, failed: 0, targets, errors: [] };
}

/** The `dead` subcommands on one dead-letter queue (integration tests call this on their own queues). */
export async function runDead(cmd: Extract<Command, { kind: 'dead-list' | 'dead-show' | 'dead-replay' }>, dlq: DeadLetterQueue, signal: AbortSignal, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  if (cmd.kind === 'dead-list') {
    const { letters, total } = await dlq.list(cmd.limit, selects({ ids: cmd.ids, stage: cmd.stage }));
    out.write(cmd.json ? `${JSON.stringify(deadListJson(letters))}\n` : `${formatDeadList(dlq.name, letters, total)}\n`);
    return 0;
  }
  if (cmd.kind === 'dead-show') {
    const found = (await dlq.list(Number.MAX_SAFE_INTEGER, (d) => d.id === cmd.id)).letters;
    if (found.length === 0) {
      process.stderr.write(`logistics-bridge: no dead letter with id ${cmd.id} in ${dlq.name} (dead list shows the ids)\n`);
      return 1;
    }
    out.write(`${found.map((d) => formatDeadShow(dlq.name, d)).join('\n\n')}\n`);
    return 0;
  }
  const select = selects(cmd.select);
  const result = cmd.dryRun ? await dryReplay(dlq, select) : await dlq.replay(select, { signal });
  out.write(`${formatReplay(dlq.name, result, cmd.dryRun)}\n`);
  if ('ids' in cmd.select) {
    const missing = cmd.select.ids.length - result.moved - result.failed;
    if (missing > 0) process.stderr.write(`logistics-bridge: ${missing} of the ids given were not found in ${dlq.name}\n`);
  }
  return result.failed > 0 ? 1 : 0;
}

