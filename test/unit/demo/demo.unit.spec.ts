import assert from 'node:assert/strict';
import { Registry, Counter, Gauge } from 'prom-client';
import { renderFrame, renderSummary, summaryOf, type OdooCounts, type Progress } from '../../../tools/demo/display';
import { figuresOf, parseMetrics, since, total } from '../../../tools/demo/metrics';
import { orderOf } from '../../../tools/demo/seed';

/** The demo's pure parts: reading /metrics, the display and summary, the order stream. */
describe('demo: metrics, display and orders', () => {
  async function exposition(): Promise<string> {
    // The text prom-client itself writes, with the sidecar's series names and labels.
    const r = new Registry();
    const published = new Counter({ name: 'logistics_bridge_relay_events_published_total', help: 'h', labelNames: ['type'], registers: [r] });
    const applier = new Counter({ name: 'logistics_bridge_applier_updates_total', help: 'h', labelNames: ['outcome'], registers: [r] });
    const acks = new Counter({ name: 'logistics_bridge_gateway_work_acks_total', help: 'h', labelNames: ['family', 'outcome'], registers: [r] });
    const sent = new Counter({ name: 'logistics_bridge_gateway_work_sent_total', help: 'h', labelNames: ['family'], registers: [r] });
    const lag = new Gauge({ name: 'logistics_bridge_relay_outbox_lag_seconds', help: 'h', registers: [r] });
    published.inc({ type: 'stock.picking.ready' }, 7);
    published.inc({ type: 'sale.order.confirmed' }, 3);
    applier.inc({ outcome: 'applied' }, 12);
    applier.inc({ outcome: 'rejected' }, 2);
    sent.inc({ family: 'barcode' }, 4);
    sent.inc({ family: 'sorter' }, 5);
    acks.inc({ family: 'barcode', outcome: 'accepted' }, 4);
    acks.inc({ family: 'sorter', outcome: 'refused' }, 1);
    lag.set(1.25);
    return r.metrics();
  }

  it('reads the figures from the exposition prom-client writes, summing over labels', async () => {
    const f = figuresOf(parseMetrics(await exposition()));
    assert.equal(f.eventsRelayed, 10);
    assert.equal(f.updatesApplied, 12);
    assert.equal(f.updatesRejected, 2);
    assert.equal(f.workSent, 9);
    assert.equal(f.workAccepted, 4);
    assert.equal(f.workRefused, 1);
    assert.equal(f.lagSeconds, 1.25);
    assert.equal(f.updatesDead, 0);
  });

  it('parses labels with escapes, histograms and special values; a malformed line is an error naming it', () => {
    const s = parseMetrics('# HELP x y\nx_bucket{le="+Inf",why="a \\"b\\", c"} 3\nx_sum 1.5e3\nx_nan NaN\n');
    assert.deepEqual(s[0], { name: 'x_bucket', labels: { le: '+Inf', why: 'a "b", c' }, value: 3 });
    assert.equal(total(s, 'x_sum'), 1500);
    assert.ok(Number.isNaN(total(s, 'x_nan')));
    assert.throws(() => parseMetrics('ok 1\nnot a sample line\n'), /line 2 is not a sample: not a sample line/);
  });

  it('shows counters as the change since the start and gauges as they are', async () => {
    const start = figuresOf(parseMetrics(await exposition()));
    const now = { ...start, eventsRelayed: 15, lagSeconds: 0.5, streams: 3 };
    const d = since(now, start);
    assert.equal(d.eventsRelayed, 5);
    assert.equal(d.updatesApplied, 0);
    assert.equal(d.lagSeconds, 0.5);
    assert.equal(d.streams, 3);
    assert.equal(since(start, now).eventsRelayed, 0, 'a restarted sidecar does not make the figure negative');
  });

  const odoo: OdooCounts = { pickings: 9, automation: { shipped: 5, exception: 2, released: 1, none: 1 }, state: { done: 6, assigned: 3 }, rejectedUpdates: 2 };
  const progress: Progress = { elapsedS: 125, minutes: 5, sale: 7, purchase: 2, strayScans: 2, settling: false };

  it('renders a frame with each part of the flow, Odoo states in the order pickings go through them', async () => {
    const figures = figuresOf(parseMetrics(await exposition()));
    const frame = renderFrame({ title: 'T', progress, figures, odoo, recent: ['12:00:01 barcode scanner-01: failed'] });
    assert.match(frame, /^T\n2m05s of 5m00s, 9 orders \(7 sale, 2 purchase\)/);
    assert.match(frame, /events relayed\s+10/);
    assert.match(frame, /sent\s+9\s+acknowledged\s+4\s+refused\s+1/);
    assert.match(frame, /rejected\s+2/);
    assert.match(frame, /released 1 \| in progress 0 \| picked 0 \| packed 0 \| sorted 0 \| shipped 5 \| exception 2 \| not released 1/);
    assert.match(frame, /state\s+assigned 3 \| done 6/);
    assert.match(frame, /9 pickings of this run, 2 exceptions, 2 rejected updates \(2 unknown barcodes/);
    assert.match(frame, /recent:\n  12:00:01 barcode scanner-01: failed$/);
    assert.match(renderFrame({ title: 'T', progress: { ...progress, minutes: undefined as never, orders: 20, settling: true }, figures, odoo, recent: [] }), /9\/20 orders .* streaming stopped/);
  });

  it('summarises Odoo figures from Odoo and bridge figures from the sidecar', async () => {
    const figures = figuresOf(parseMetrics(await exposition()));
    const s = summaryOf(progress, figures, odoo);
    assert.equal(s.pickings, 9);
    assert.equal(s.exceptions, 2);
    assert.equal(s.rejected_updates, 2);
    assert.equal(s.updates_applied, 12);
    assert.deepEqual(s.automation, odoo.automation);
    const text = renderSummary(s, 'http://odoo:8069/');
    assert.match(text, /7 sale and 2 purchase orders, 9 pickings/);
    assert.match(text, /5 shipped, 2 in exception, 6 done, 2 rejected updates/);
    assert.match(text, /http:\/\/odoo:8069\/odoo\/action-stock\.action_picking_tree_all/);
  });

  it('streams four sale orders of one to three lines for each purchase order, over the seeded products', () => {
    const plans = Array.from({ length: 10 }, (_, n) => orderOf(n, 5));
    assert.deepEqual(plans.map((p) => p.kind), ['sale', 'sale', 'sale', 'sale', 'purchase', 'sale', 'sale', 'sale', 'sale', 'purchase']);
    assert.deepEqual(plans.slice(0, 3).map((p) => p.lines.length), [1, 2, 3]);
    for (const p of plans) for (const l of p.lines) assert.ok(l.product >= 0 && l.product < 5 && l.quantity > 0);
    for (const p of plans) assert.equal(new Set(p.lines.map((l) => l.product)).size, p.lines.length, 'a product once per order');
    assert.throws(() => orderOf(0, 0), /no products/);
  });
});
