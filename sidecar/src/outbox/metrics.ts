import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The relay's Prometheus series (Odoo RPC latency and broker reconnects live in their own modules). */
export class RelayMetrics {
  readonly claimed: Counter;
  readonly published: Counter<'type'>;
  readonly acked: Counter;
  readonly nacked: Counter<'reason'>;
  readonly dead: Counter;
  readonly released: Counter;
  readonly errors: Counter<'stage' | 'kind'>;
  readonly publishConfirm: Histogram;
  readonly commitToConfirm: Histogram;
  readonly lag: Gauge;
  readonly outbox: Gauge<'state'>;
  readonly inFlight: Gauge;
  readonly slaBreaches: Gauge<'rule'>;
  readonly slaOldest: Gauge<'rule'>;
  /** Where the in-flight gauge reads from (the publisher's window), set once wired. */
  inFlightSource: (() => number) | undefined;

  constructor(registry?: Registry) {
    const registers = registry ? [registry] : [];
    this.claimed = new Counter({ name: 'logistics_bridge_relay_events_claimed_total', help: 'Outbox events leased from Odoo', registers });
    this.published = new Counter({ name: 'logistics_bridge_relay_events_published_total', help: 'Events confirmed by RabbitMQ, by event type', labelNames: ['type'], registers });
    this.acked = new Counter({ name: 'logistics_bridge_relay_events_acked_total', help: 'Events marked published in Odoo', registers });
    this.nacked = new Counter({ name: 'logistics_bridge_relay_events_nacked_total', help: 'Events given back to Odoo as failed, by reason (broker, schema, malformed)', labelNames: ['reason'], registers });
    this.dead = new Counter({ name: 'logistics_bridge_relay_events_dead_total', help: 'Events Odoo marked dead after a nack', registers });
    this.released = new Counter({ name: 'logistics_bridge_relay_events_released_total', help: 'Claimed events handed back unpublished (shutdown, broker loss, blocked aggregate)', registers });
    this.errors = new Counter({ name: 'logistics_bridge_relay_errors_total', help: 'Relay failures by stage (claim, ack, nack, release, wait, stats) and kind (auth, access, transport, server, other)', labelNames: ['stage', 'kind'], registers });
    this.publishConfirm = new Histogram({
      name: 'logistics_bridge_relay_publish_confirm_seconds',
      help: 'Time from publish to the broker confirm, per message',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.commitToConfirm = new Histogram({
      name: 'logistics_bridge_relay_commit_to_confirm_seconds',
      help: 'Time from the event row creation in Odoo to the broker confirm (clock of both hosts)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.lag = new Gauge({ name: 'logistics_bridge_relay_outbox_lag_seconds', help: 'Age of the oldest pending outbox event (0 when none), from relay_stats', registers });
    this.outbox = new Gauge({ name: 'logistics_bridge_relay_outbox_events', help: 'Outbox events by state, from relay_stats', labelNames: ['state'], registers });
    // Business service levels, from the same relay_stats call (Odoo's SLA watch cron finds the breaches).
    this.slaBreaches = new Gauge({ name: 'logistics_bridge_sla_breaches', help: 'Open SLA breaches in Odoo by rule (not_acknowledged, not_dispatched, no_tracking), from relay_stats', labelNames: ['rule'], registers });
    this.slaOldest = new Gauge({ name: 'logistics_bridge_sla_breach_oldest_age_seconds', help: 'Age of the oldest open SLA breach by rule (0 when none), from relay_stats', labelNames: ['rule'], registers });
    const inFlightNow = () => this.inFlightSource?.() ?? 0;
    this.inFlight = new Gauge({
      name: 'logistics_bridge_relay_in_flight',
      help: 'Events published and not yet confirmed (the confirm window in use)',
      registers,
      collect() {
        this.set(inFlightNow());
      },
    });
  }
}
