/**
 * The sidecar's /metrics (Prometheus text exposition) as the demo's few figures, pure. Counters are
 * shown as the change since the demo started (a running sidecar has counted before), gauges as they are.
 */

export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample line of a text exposition (comments and blank lines skipped); a malformed line is an error naming it. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`/metrics line ${i + 1} is not a sample: ${line.slice(0, 120)}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = (l[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== 'NaN') throw new Error(`/metrics line ${i + 1} has no number: ${line.slice(0, 120)}`);
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** The sum of a series' samples whose labels include `where`. */
export function total(samples: readonly Sample[], name: string, where: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const s of samples) if (s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

/** What the demo shows of the sidecar. */
export interface Figures {
  /** Outbox events confirmed by RabbitMQ. */
  eventsRelayed: number;
  workSent: number;
  workAccepted: number;
  workRefused: number;
  /** Device updates made durable on logistics.updates by the gateway. */
  updatesDurable: number;
  updatesApplied: number;
  updatesDuplicate: number;
  /** Answered "rejected" by Odoo (an unknown barcode, a picking not found...). */
  updatesRejected: number;
  updatesDead: number;
  /** Adapter messages the gateway refused (bad input, wrong token). */
  gatewayRejects: number;
  /** Gauges: the oldest unpublished outbox event's age, adapter streams connected. */
  lagSeconds: number;
  streams: number;
}

const P = 'logistics_bridge_';

export function figuresOf(samples: readonly Sample[]): Figures {
  const applier = (outcome: string) => total(samples, `${P}applier_updates_total`, { outcome });
  return {
    eventsRelayed: total(samples, `${P}relay_events_published_total`),
    workSent: total(samples, `${P}gateway_work_sent_total`),
    workAccepted: total(samples, `${P}gateway_work_acks_total`, { outcome: 'accepted' }),
    workRefused: total(samples, `${P}gateway_work_acks_total`, { outcome: 'refused' }),
    updatesDurable: total(samples, `${P}gateway_updates_total`),
    updatesApplied: applier('applied'),
    updatesDuplicate: applier('duplicate'),
    updatesRejected: applier('rejected'),
    updatesDead: applier('dead'),
    gatewayRejects: total(samples, `${P}gateway_rejects_total`),
    lagSeconds: total(samples, `${P}relay_outbox_lag_seconds`),
    streams: total(samples, `${P}gateway_streams`),
  };
}

const GAUGES: ReadonlySet<keyof Figures> = new Set(['lagSeconds', 'streams']);

/** Counters as the change from `start` to `now` (never below 0: a restarted sidecar counts from 0 again); gauges as now. */
export function since(now: Figures, start: Figures): Figures {
  const out = { ...now };
  for (const k of Object.keys(now) as Array<keyof Figures>) if (!GAUGES.has(k)) out[k] = Math.max(0, now[k] - start[k]);
  return out;
}
