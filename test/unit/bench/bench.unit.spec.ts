import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeXml, formatValue, renderChart } from '../../../bench/chart';
import { FIGURES, figuresOf, lastJsonLine } from '../../../bench/figures';
import { parseAll } from '../../../bench/index';

/** `npm run bench` with no name: the runner's arguments, the figures it keeps, and the chart it draws. */
describe('bench: every benchmark, its figures and their chart', () => {
  it('takes the last JSON object line of a benchmark, not a figure line that looks like one', () => {
    assert.deepEqual(lastJsonLine('a\n{"x": 1}\nratio {0.4}\n{"p99_ms": 12.5, "by_series": {"18": {}}}\n\n'), { p99_ms: 12.5, by_series: { '18': {} } });
    assert.equal(lastJsonLine('no json here\n[1,2]\n'), undefined);
  });

  it('keeps each figure with its budget and ceiling, judged in the right direction; a failed benchmark leaves its figures out', () => {
    const figures = figuresOf([
      { bench: 'relay', seconds: 1, result: { relay_events_per_s: 7300, ceiling_msgs_per_s: 25_000, ratio: 0.29, latency_p50_ms: 12, latency_p99_ms: 300, peak_rss_mb: 130 } },
      { bench: 'work', seconds: 1, error: 'exit 1' },
    ]);
    const by = Object.fromEntries(figures.map((f) => [`${f.bench}.${f.key}`, f]));
    assert.deepEqual(Object.keys(by), ['relay.relay_events_per_s', 'relay.ratio', 'relay.latency_p50_ms', 'relay.latency_p99_ms', 'relay.peak_rss_mb']);
    assert.equal(by['relay.relay_events_per_s']?.ceiling, 25_000);
    assert.equal(by['relay.relay_events_per_s']?.ok, true);
    assert.equal(by['relay.ratio']?.ok, false, '0.29 is below the 0.4 budget');
    assert.equal(by['relay.latency_p50_ms']?.ok, true);
    assert.equal(by['relay.latency_p99_ms']?.ok, false, 'a latency above its budget is outside it');
  });

  it('has figures for every benchmark, each a key its benchmark prints', () => {
    const files = readdirSync(join(__dirname, '../../../bench')).filter((f) => /^[a-z-]+\.ts$/.test(f)).map((f) => f.replace('.ts', ''));
    const benches = new Set(FIGURES.map((f) => f.bench));
    const { names } = parseAll([]);
    for (const b of names) assert.ok(benches.has(b), `bench ${b} has no figures in bench/figures.ts`);
    for (const b of benches) assert.ok(files.includes(b), `figures of a bench that does not exist: ${b}`);
    for (const f of FIGURES) {
      const source = readFileSync(join(__dirname, `../../../bench/${f.bench}.ts`), 'utf8');
      for (const key of [f.key, f.ceilingKey].filter(Boolean)) assert.match(source, new RegExp(`\\b${key}:`), `bench/${f.bench}.ts prints no ${key}`);
    }
  });

  it('draws one row per figure: the value bar, the ceiling bar, the budget line, coloured by the budget', () => {
    const figures = figuresOf([
      { bench: 'ingress', seconds: 1, result: { requests_per_s: 975, bare_requests_per_s: 5099, ratio: 0.19, p99_ms: 125, peak_rss_mb: 109 } },
      { bench: 'work', seconds: 1, result: { p99_ms: 40, backlog_s: 3.2, peak_rss_mb: 90 } },
    ]);
    const svg = renderChart(figures, 'load 1 & 2 <test>');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /load 1 &amp; 2 &lt;test&gt;/);
    assert.equal((svg.match(/<text x="10" y="\d+">[a-z]+: /g) ?? []).length, figures.length);
    assert.match(svg, /ingress: door requests<\/text>/);
    assert.match(svg, /975 requests\/s, ceiling 5,099/);
    assert.match(svg, /fill="#c0392b">0\.19 ×, budget ≥ 0\.6/, 'a ratio under its budget is red');
    assert.match(svg, /fill="#2e8b3e">40 ms, budget ≤ 500/, 'a latency within its budget is green');
    // The ceiling's bar is the longest of its row: the row's scale is its largest number.
    const ceiling = /<rect x="250" y="\d+" width="([\d.]+)" height="8"/.exec(svg);
    const value = /<rect x="250" y="\d+" width="([\d.]+)" height="14" fill="#3b6fb6"/.exec(svg);
    assert.ok(ceiling && value && Number(ceiling[1]) > Number(value[1]) * 5, 'the door drawn at about a fifth of its ceiling');
    assert.match(renderChart([], 'x'), /no figures/);
  });

  it('formats figures and escapes text', () => {
    assert.equal(formatValue(7312.6), '7,313');
    assert.equal(formatValue(12.34), '12.3');
    assert.equal(formatValue(0.414), '0.41');
    assert.equal(escapeXml('a<"b">&'), 'a&lt;&quot;b&quot;&gt;&amp;');
  });

  it('runs every benchmark without arguments, and refuses what it does not know', () => {
    assert.deepEqual(parseAll([]).names, ['ingest', 'relay', 'claim', 'apply', 'ingress', 'work', 'relay-restart']);
    const p = parseAll(['--only', 'work,ingress', '--with', 'work --seconds 2 --backlog 100', '--out', '/tmp/x']);
    assert.deepEqual(p.names, ['work', 'ingress']);
    assert.deepEqual(p.args.get('work'), ['--seconds', '2', '--backlog', '100']);
    assert.equal(p.out, '/tmp/x');
    assert.throws(() => parseAll(['--only', 'nope']), /unknown benchmark nope/);
    assert.throws(() => parseAll(['--with', 'nope --x 1']), /unknown benchmark nope/);
    assert.throws(() => parseAll(['--frobnicate', '1']), /unknown argument --frobnicate/);
    assert.throws(() => parseAll(['--only']), /needs a value/);
  });
});
