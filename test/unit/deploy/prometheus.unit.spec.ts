import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { skipLoudly } from '../../support/skip';

const ROOT = resolve(__dirname, '../../..');
const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/dashboards/logistics-bridge.json');
const RUNBOOK = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');

/** Every series name the sidecar registers with prom-client (name: 'logistics_bridge_...'), histograms with their suffixes. */
function exported(): Set<string> {
  const names = new Set<string>(['up']);
  const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : f.endsWith('.ts') ? [join(dir, f)] : []));
  for (const file of walk(join(ROOT, 'sidecar/src'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new (Counter|Gauge|Histogram)\(\{\s*name: '(logistics_bridge_[a-z_]+)'/g)) {
      names.add(m[2] as string);
      if (m[1] === 'Histogram') for (const suffix of ['_bucket', '_count', '_sum']) names.add(`${m[2]}${suffix}`);
    }
  }
  // collectDefaultMetrics({ prefix: 'logistics_bridge_' }) in telemetry/metrics.ts: the one of them the dashboard uses.
  assert.match(readFileSync(join(ROOT, 'sidecar/src/telemetry/metrics.ts'), 'utf8'), /collectDefaultMetrics\(\{ register: registry, prefix: 'logistics_bridge_' \}\)/);
  names.add('logistics_bridge_process_resident_memory_bytes');
  return names;
}

/** The series names a PromQL text reads (identifiers followed by `{`, `[`, a space or its end, not functions or labels). */
function seriesIn(promql: string): string[] {
  return [...promql.replace(/\{[^}]*\}/g, '{}').matchAll(/\b(up|logistics_bridge_[a-z_]+)\b/g)].map((m) => m[1] as string);
}

describe('alerts and dashboard (deploy/prometheus, deploy/grafana)', function () {
  this.timeout(60_000);
  const rulesText = readFileSync(RULES, 'utf8');
  const alerts = [...rulesText.matchAll(/^ {6}- alert: (\S+)$/gm)].map((m) => m[1] as string);

  it('pass `promtool check rules` and the unit tests of alerts.test.yml', function () {
    const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (version.error) {
      return skipLoudly(this, 'promtool checks: promtool is not installed (apt-get install prometheus; .ci/run installs it)');
    }
    const check = spawnSync('promtool', ['check', 'rules', RULES], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const test = spawnSync('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: join(ROOT, 'deploy/prometheus'), encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    // Every alert is exercised by the unit tests.
    const tests = readFileSync(join(ROOT, 'deploy/prometheus/alerts.test.yml'), 'utf8');
    for (const a of alerts) assert.match(tests, new RegExp(`alertname: ${a}\\b`), `${a} has no promtool test`);
  });

  it('read only series the sidecar really exports', () => {
    const known = exported();
    assert.ok(alerts.length >= 8, `only ${alerts.length} alerts`);
    const exprs = [...rulesText.matchAll(/^ {8}expr: (.+)$/gm)].map((m) => m[1] as string);
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    for (const p of dashboard.panels) for (const t of p.targets ?? []) exprs.push(t.expr);
    for (const e of exprs) for (const s of seriesIn(e)) assert.ok(known.has(s), `${s} (in ${e}) is not a series the sidecar exports`);
  });

  it('each have a runbook section: what it means, how to confirm, how to fix, how to replay', () => {
    for (const a of alerts) {
      // A critical variant shares its warning's section.
      const section_ = a.replace(/Critical$/, '');
      const rule = rulesText.slice(rulesText.indexOf(`- alert: ${a}\n`)).split('- alert:')[1] ?? '';
      assert.match(rule, new RegExp(`runbook_url: "docs/runbook\\.md#${section_.toLowerCase()}"`), `${a}'s runbook_url`);
      if (a !== section_) assert.match(RUNBOOK, new RegExp(`^Also \\*\\*${a}\\*\\*`, 'm'), `${a} is not named in the runbook`);
      const start = RUNBOOK.search(new RegExp(`^## ${section_}$`, 'm'));
      assert.ok(start >= 0, `docs/runbook.md has no "## ${section_}" section`);
      const section = RUNBOOK.slice(start, RUNBOOK.indexOf('\n## ', start + 3) === -1 ? undefined : RUNBOOK.indexOf('\n## ', start + 3));
      for (const part of ['Meaning', 'Confirm', 'Fix', 'Replay']) assert.match(section, new RegExp(`^\\*\\*${part}\\*\\*`, 'm'), `${a}: no **${part}**`);
    }
    assert.match(RUNBOOK, /logistics-bridge dead replay/);
  });
});
