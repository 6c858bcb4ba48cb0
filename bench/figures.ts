/**
 * The figures `npm run bench` (every benchmark) keeps from each benchmark's last JSON line, with the
 * budget of DESIGN.md each answers to and, where the benchmark measures one in the same run, the ceiling
 * it is compared with (bare amqplib, bare grpc-js, a bare Node HTTP server). Pure.
 */
export interface FigureSpec {
  bench: string;
  /** Key in the benchmark's JSON line. */
  key: string;
  label: string;
  unit: string;
  better: 'higher' | 'lower';
  budget?: number;
  /** Key of the ceiling measured in the same run (same unit). */
  ceilingKey?: string;
}

export const FIGURES: readonly FigureSpec[] = [
  { bench: 'relay', key: 'relay_events_per_s', label: 'backlog drain from Odoo', unit: 'events/s', better: 'higher', budget: 5000, ceilingKey: 'ceiling_msgs_per_s' },
  { bench: 'relay', key: 'ratio', label: 'drain / bare amqplib', unit: '×', better: 'higher', budget: 0.4 },
  { bench: 'relay', key: 'latency_p50_ms', label: 'commit→confirm p50', unit: 'ms', better: 'lower', budget: 50 },
  { bench: 'relay', key: 'latency_p99_ms', label: 'commit→confirm p99', unit: 'ms', better: 'lower', budget: 250 },
  { bench: 'relay', key: 'peak_rss_mb', label: 'relay peak RSS', unit: 'MB', better: 'lower', budget: 200 },
  { bench: 'claim', key: 'claim_ack_2000_ms', label: 'claim+ack of 2000', unit: 'ms', better: 'lower', budget: 200 },
  { bench: 'claim', key: 'emit_overhead_ms', label: 'emit in a business transaction', unit: 'ms', better: 'lower', budget: 5 },
  { bench: 'ingest', key: 'gateway_msgs_per_s', label: 'gateway messages', unit: 'msgs/s', better: 'higher', ceilingKey: 'ceiling_msgs_per_s' },
  { bench: 'ingest', key: 'ratio', label: 'gateway / bare grpc-js', unit: '×', better: 'higher', budget: 0.6 },
  { bench: 'ingest', key: 'peak_rss_mb', label: 'gateway peak RSS', unit: 'MB', better: 'lower', budget: 200 },
  { bench: 'ingress', key: 'requests_per_s', label: 'door requests', unit: 'requests/s', better: 'higher', ceilingKey: 'bare_requests_per_s' },
  { bench: 'ingress', key: 'ratio', label: 'door / bare HTTP', unit: '×', better: 'higher', budget: 0.6 },
  { bench: 'ingress', key: 'p99_ms', label: 'request→durable p99', unit: 'ms', better: 'lower', budget: 50 },
  { bench: 'ingress', key: 'peak_rss_mb', label: 'door peak RSS', unit: 'MB', better: 'lower', budget: 200 },
  { bench: 'work', key: 'p99_ms', label: 'release→adapter p99', unit: 'ms', better: 'lower', budget: 500 },
  { bench: 'work', key: 'backlog_s', label: 'backlog delivered after reconnect', unit: 's', better: 'lower', budget: 30 },
  { bench: 'work', key: 'peak_rss_mb', label: 'sidecar peak RSS', unit: 'MB', better: 'lower', budget: 200 },
  { bench: 'relay-restart', key: 'restart_to_published_max_s', label: 'restart→held claims published', unit: 's', better: 'lower', budget: 5 },
  { bench: 'relay-restart', key: 'takeover_to_published_max_s', label: 'take-over→held claims published', unit: 's', better: 'lower', budget: 5 },
  { bench: 'apply', key: 'apply_updates_per_s', label: 'updates into Odoo', unit: 'updates/s', better: 'higher', budget: 1000 },
  { bench: 'apply', key: 'ratio', label: 'applier / one call per update', unit: '×', better: 'higher', budget: 10 },
];

/** One benchmark's outcome in a run of all of them. */
export interface BenchOutcome {
  bench: string;
  seconds: number;
  /** The last JSON line; undefined when the benchmark failed or printed none. */
  result?: Record<string, unknown>;
  error?: string;
}

export interface Figure extends FigureSpec {
  value: number;
  ceiling?: number;
  /** Within the budget (undefined when the figure has none). */
  ok?: boolean;
}

/** The last line of a benchmark's output that is a JSON object (benchmarks end with one). */
export function lastJsonLine(output: string): Record<string, unknown> | undefined {
  for (const line of output.trim().split('\n').reverse()) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try {
      const v = JSON.parse(t) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
      // a line that only looks like JSON
    }
  }
  return undefined;
}

/** The figures of a run, in FIGURES' order; a figure whose benchmark failed or lacks the key is left out. */
export function figuresOf(outcomes: readonly BenchOutcome[], specs: readonly FigureSpec[] = FIGURES): Figure[] {
  const out: Figure[] = [];
  for (const spec of specs) {
    const r = outcomes.find((o) => o.bench === spec.bench)?.result;
    const value = r?.[spec.key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const ceiling = spec.ceilingKey ? r?.[spec.ceilingKey] : undefined;
    const ok = spec.budget === undefined ? undefined : spec.better === 'higher' ? value >= spec.budget : value <= spec.budget;
    out.push({ ...spec, value, ...(typeof ceiling === 'number' && Number.isFinite(ceiling) ? { ceiling } : {}), ...(ok === undefined ? {} : { ok }) });
  }
  return out;
}
