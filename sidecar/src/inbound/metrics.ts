import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The inbound applier's Prometheus series (Odoo RPC latency per method lives in the Odoo client). */
export class ApplierMetrics {
  /** Deliveries settled, by outcome: applied, duplicate, rejected (by Odoo), invalid (schema), retried, dead (dead-lettered, any stage). */
  readonly updates: Counter<'outcome'>;
  readonly batchSize: Histogram;
  readonly applyLatency: Histogram;
  readonly batchFailures: Counter<'why'>;
  readonly waiting: Gauge;
  /** What the waiting gauge reads (deliveries held by the applier, retries included), set once wired. */
  waitingSource: (() => number) | undefined;

  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    this.updates = new Counter({
      name: 'logistics_bridge_applier_updates_total',
      help: 'Updates from logistics.updates by outcome: applied, duplicate (acked), rejected (by Odoo), invalid (schema), retried (Odoo said retry), dead (dead-lettered, any reason)',
      labelNames: ['outcome'],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'logistics_bridge_applier_batch_size',
      help: 'Updates per apply_batch call',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    });
    this.applyLatency = new Histogram({
      name: 'logistics_bridge_applier_apply_seconds',
      help: 'Duration of one successful apply_batch call',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.batchFailures = new Counter({
      name: 'logistics_bridge_applier_batch_failures_total',
      help: 'apply_batch calls that failed as a whole (nothing settled, sent again), by cause: transport, auth, access, server, protocol, isolate',
      labelNames: ['why'],
      registers,
    });
    const waitingNow = () => this.waitingSource?.() ?? 0;
    this.waiting = new Gauge({
      name: 'logistics_bridge_applier_waiting_updates',
      help: 'Deliveries held unacked by the applier (waiting for a batch, in one, or for a retry)',
      registers,
      collect() {
        this.set(waitingNow());
      },
    });
  }
}
