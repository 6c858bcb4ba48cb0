import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { IngestBudget } from './budget';

/** The gateway's series, registered on the registry passed in. */
export class GatewayMetrics {
  readonly streams: Gauge<'family'>;
  readonly messages: Counter<'family' | 'kind'>;
  readonly readings: Counter<'family'>;
  readonly updates: Counter<'family' | 'type' | 'source'>;
  readonly rejects: Counter<'family' | 'reason'>;
  readonly ackLatency: Histogram<'family'>;
  readonly work: Counter<'family'>;
  readonly workAcks: Counter<'family' | 'outcome'>;
  /** Readings that produced no update, by the relevance module's reason (filled at scrape time). */
  readonly dropped: Counter<'reason'>;
  readonly ratio: Gauge;
  /** The ingest budget (budget.ts): what the gateway holds unanswered, and how often it stopped reading. */
  readonly buffered: Gauge<'unit'>;
  readonly bufferFill: Gauge;
  readonly holds: Counter;

  constructor(registry: Registry, dropTotals: () => Record<string, number>, ratio: () => number, budget: () => IngestBudget) {
    const registers = [registry];
    this.streams = new Gauge({ name: 'logistics_bridge_gateway_streams', help: 'Adapter streams connected, per device family', labelNames: ['family'], registers });
    this.messages = new Counter({ name: 'logistics_bridge_gateway_messages_total', help: 'Adapter messages received, per family and kind (hello, telemetry, update)', labelNames: ['family', 'kind'], registers });
    this.readings = new Counter({ name: 'logistics_bridge_gateway_readings_total', help: 'Telemetry readings received (a telemetry message batches many)', labelNames: ['family'], registers });
    this.updates = new Counter({ name: 'logistics_bridge_gateway_updates_total', help: 'ERP updates confirmed by RabbitMQ on logistics.updates, per type and source (adapter or telemetry)', labelNames: ['family', 'type', 'source'], registers });
    this.rejects = new Counter({ name: 'logistics_bridge_gateway_rejects_total', help: 'Messages or calls refused, per reason (gRPC status name)', labelNames: ['family', 'reason'], registers });
    this.ackLatency = new Histogram({
      name: 'logistics_bridge_gateway_ack_latency_seconds',
      help: 'From receiving a message to sending its ack (includes the broker confirm)',
      labelNames: ['family'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.work = new Counter({ name: 'logistics_bridge_gateway_work_sent_total', help: 'Work items (expected scans, sort plans, robot orders) sent to adapters', labelNames: ['family'], registers });
    this.workAcks = new Counter({ name: 'logistics_bridge_gateway_work_acks_total', help: 'Work items answered by the adapter they were sent to, per outcome (accepted, refused)', labelNames: ['family', 'outcome'], registers });
    this.dropped = new Counter({
      name: 'logistics_bridge_gateway_telemetry_dropped_total',
      help: 'Telemetry readings that were not ERP-relevant, per reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(dropTotals())) if (n > 0) this.inc({ reason }, n);
      },
    });
    this.ratio = new Gauge({
      name: 'logistics_bridge_gateway_telemetry_update_ratio',
      help: 'Telemetry readings received per ERP update produced from telemetry (the edge reduction)',
      registers,
      collect() {
        this.set(ratio());
      },
    });
    this.buffered = new Gauge({
      name: 'logistics_bridge_gateway_buffered',
      help: 'Adapter messages (unit="messages") and their wire bytes (unit="bytes") received and not answered yet, over all streams',
      labelNames: ['unit'],
      registers,
      collect() {
        this.set({ unit: 'messages' }, budget().messages);
        this.set({ unit: 'bytes' }, budget().bytes);
      },
    });
    this.bufferFill = new Gauge({
      name: 'logistics_bridge_gateway_buffer_fill_ratio',
      help: 'Share of the gateway ingest budget in use (GATEWAY_MAX_BUFFERED_*): at 1 every stream stops reading until half is free',
      registers,
      collect() {
        this.set(budget().fill);
      },
    });
    this.holds = new Counter({
      name: 'logistics_bridge_gateway_buffer_holds_total',
      help: 'Times the ingest budget was spent and every adapter stream stopped reading (back-pressure on the adapters)',
      registers,
      collect() {
        this.reset();
        this.inc(budget().holds);
      },
    });
  }
}
