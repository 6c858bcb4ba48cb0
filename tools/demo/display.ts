/**
 * The demo's terminal display and summary, pure: figures in, text out (the caller clears the screen and
 * writes it). Everything shown about Odoo comes from Odoo itself (OdooCounts), everything about the
 * bridge from the sidecar's /metrics (Figures), so a person can check either against its source.
 */
import type { Figures } from './metrics';

/** Odoo's picking automation states in the order a picking goes through them (the addon's AUTOMATION_STATES). */
export const AUTOMATION_ORDER = ['released', 'in_progress', 'picked', 'packed', 'sorted', 'shipped', 'exception'] as const;

/** What Odoo says about the demo's own pickings and updates. */
export interface OdooCounts {
  pickings: number;
  /** Pickings per `lb_automation_state`; `none` = never released to the devices (waiting for stock, a receipt not yet ready). */
  automation: Readonly<Record<string, number>>;
  /** Pickings per Odoo `state` (draft, waiting, confirmed, assigned, done, cancel). */
  state: Readonly<Record<string, number>>;
  /** Device updates of the demo's run that Odoo answered "rejected" (inbox rows). */
  rejectedUpdates: number;
}

export interface Progress {
  elapsedS: number;
  /** The run's limits; undefined = until Ctrl-C. */
  minutes?: number;
  orders?: number;
  sale: number;
  purchase: number;
  /** Stray scans sent on purpose (unknown barcodes). */
  strayScans: number;
  /** Streaming stopped: waiting for the devices to finish the work out there. */
  settling: boolean;
}

export interface FrameInput {
  title: string;
  progress: Progress;
  figures: Figures;
  odoo: OdooCounts;
  /** The last few things worth telling (a failed pick, a rejected scan), newest last. */
  recent: readonly string[];
}

export function duration(s: number): string {
  const t = Math.max(0, Math.round(s));
  return t >= 60 ? `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s` : `${t}s`;
}

function row(label: string, cells: ReadonlyArray<[string, number | string]>): string {
  return `${label.padEnd(20)}${cells.map(([k, v]) => `${k} ${String(v).padStart(5)}`).join('   ')}`;
}

function automationLine(odoo: OdooCounts): string {
  const known: string[] = AUTOMATION_ORDER.map((s) => `${s.replace('_', ' ')} ${odoo.automation[s] ?? 0}`);
  const other = Object.entries(odoo.automation).filter(([s]) => !(AUTOMATION_ORDER as readonly string[]).includes(s) && s !== 'none');
  const rest = [...other.map(([s, n]) => `${s} ${n}`), `not released ${odoo.automation.none ?? 0}`];
  return [...known, ...rest].join(' | ');
}

function stateLine(odoo: OdooCounts): string {
  const entries = Object.entries(odoo.state).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([s, n]) => `${s} ${n}`).join(' | ') : '-';
}

/** One frame of the live display. */
export function renderFrame(f: FrameInput): string {
  const p = f.progress;
  const limit = [p.minutes !== undefined ? `of ${duration(p.minutes * 60)}` : '', p.orders !== undefined ? `${p.sale + p.purchase}/${p.orders} orders` : `${p.sale + p.purchase} orders`].filter(Boolean).join(', ');
  const g = f.figures;
  return [
    f.title,
    `${duration(p.elapsedS)} ${limit} (${p.sale} sale, ${p.purchase} purchase)${p.settling ? ' - streaming stopped, devices finishing' : ''}   Ctrl-C stops`,
    '',
    row('Odoo -> RabbitMQ', [['events relayed', g.eventsRelayed], ['lag s', g.lagSeconds.toFixed(1)]]),
    row('work -> devices', [['sent', g.workSent], ['acknowledged', g.workAccepted], ['refused', g.workRefused], ['streams', g.streams]]),
    row('devices -> Odoo', [['durable', g.updatesDurable], ['applied', g.updatesApplied], ['duplicate', g.updatesDuplicate]]),
    row('', [['rejected', g.updatesRejected], ['dead', g.updatesDead], ['refused at gateway', g.gatewayRejects]]),
    '',
    `Odoo: ${f.odoo.pickings} pickings of this run, ${f.odoo.automation.exception ?? 0} exceptions, ${f.odoo.rejectedUpdates} rejected updates (${p.strayScans} unknown barcodes scanned on purpose)`,
    `  automation  ${automationLine(f.odoo)}`,
    `  state       ${stateLine(f.odoo)}`,
    '',
    'recent:',
    ...(f.recent.length ? f.recent.map((l) => `  ${l}`) : ['  -']),
  ].join('\n');
}

/** The summary's figures, one object (printed as the last line, JSON, for scripts and the e2e test). */
export interface Summary {
  seconds: number;
  sale_orders: number;
  purchase_orders: number;
  stray_scans: number;
  pickings: number;
  automation: Record<string, number>;
  state: Record<string, number>;
  exceptions: number;
  rejected_updates: number;
  events_relayed: number;
  work_sent: number;
  work_acknowledged: number;
  updates_applied: number;
  updates_rejected: number;
  updates_dead: number;
  lag_s: number;
}

export function summaryOf(progress: Progress, figures: Figures, odoo: OdooCounts): Summary {
  return {
    seconds: Math.round(progress.elapsedS),
    sale_orders: progress.sale,
    purchase_orders: progress.purchase,
    stray_scans: progress.strayScans,
    pickings: odoo.pickings,
    automation: { ...odoo.automation },
    state: { ...odoo.state },
    exceptions: odoo.automation.exception ?? 0,
    rejected_updates: odoo.rejectedUpdates,
    events_relayed: figures.eventsRelayed,
    work_sent: figures.workSent,
    work_acknowledged: figures.workAccepted,
    updates_applied: figures.updatesApplied,
    updates_rejected: figures.updatesRejected,
    updates_dead: figures.updatesDead,
    lag_s: Number(figures.lagSeconds.toFixed(1)),
  };
}

/** The closing text: what happened, and where to look at it in Odoo. */
export function renderSummary(s: Summary, odooUrl: string): string {
  const shipped = s.automation.shipped ?? 0;
  return [
    `demo summary after ${duration(s.seconds)}: ${s.sale_orders} sale and ${s.purchase_orders} purchase orders, ${s.pickings} pickings`,
    `  bridge: ${s.events_relayed} events relayed, ${s.work_sent} work items sent (${s.work_acknowledged} acknowledged), ${s.updates_applied} updates applied, ${s.updates_rejected} rejected, ${s.updates_dead} dead-lettered, lag ${s.lag_s} s`,
    `  Odoo:   ${shipped} shipped, ${s.exceptions} in exception, ${s.state.done ?? 0} done, ${s.rejected_updates} rejected updates (${s.stray_scans} unknown barcodes on purpose)`,
    `  look at them in Odoo (the data stays): ${odooUrl.replace(/\/$/, '')}/odoo/action-stock.action_picking_tree_all (Inventory > Transfers, column Automation) and Inventory > Logistics Bridge`,
  ].join('\n');
}
