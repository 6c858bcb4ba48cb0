import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { compare, parseBaseline, summarize, type Baseline, type Comparison, type TestRun } from './odoo-log';
import { baselineFile, MODULES, runSuites, SERIES, seriesSource, type Series } from './odoo-suites';

/**
 * Regression tier: Odoo's own stock, sale_stock and purchase_stock tests with logistics_bridge installed
 * must fail only where they fail without it (test/regression/baseline-<series>.txt, measured with
 * `npm run regression:baseline -- <series>`). One mocha test per Odoo test: a new failure fails, a
 * failure of the baseline is reported as pending, so the tier's counts are Odoo's. Runs with mocha
 * --delay: the suites run first (about 10 minutes per series), then the results are declared.
 */

type Measured =
  | { series: Series; kind: 'skipped'; why: string }
  | { series: Series; kind: 'broken'; why: string }
  | { series: Series; kind: 'compared'; baseline: Baseline; comparison: Comparison; run: TestRun; ran: string[]; failed: Set<string>; logFile: string };

const log = (line: string) => process.stderr.write(`[regression] ${line}\n`);
/** A subset of the tests (Odoo's --test-tags syntax), for a quick check of one flow; CI runs them all. */
const tags = process.env.REGRESSION_TEST_TAGS || undefined;

function loud(line: string): void {
  process.stdout.write(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
}

async function measure(series: Series): Promise<Measured> {
  const only = process.env.REGRESSION_SERIES;
  if (only && !only.split(',').includes(series)) return { series, kind: 'skipped', why: `not selected (REGRESSION_SERIES=${only})` };
  const source = seriesSource(series);
  if (!('src' in source)) return { series, kind: 'skipped', why: source.why };
  // Without a baseline measured on this machine nothing can be compared: said loudly, not run for nothing.
  const file = baselineFile(series);
  if (!existsSync(file)) return { series, kind: 'skipped', why: `no baseline measured yet for Odoo ${series} (${file}): npm run regression:baseline -- ${series}` };
  const outcome = await runSuites(series, source.src, true, log, tags);
  if (outcome.kind === 'addon-not-installable') {
    return { series, kind: 'broken', why: `logistics_bridge is not installable on Odoo ${series} (${outcome.detail}; log ${outcome.logFile})` };
  }
  const baseline = parseBaseline(readFileSync(file, 'utf8'));
  const comparison = compare(baseline, outcome.run);
  return { series, kind: 'compared', baseline, comparison, run: outcome.run, ran: [...new Set(outcome.run.ran)], failed: new Set(outcome.run.failed), logFile: outcome.logFile };
}

function declare(m: Measured): void {
  describe(`regression tier: Odoo ${m.series} ${MODULES.join(', ')} tests with logistics_bridge`, () => {
    if (m.kind === 'skipped') {
      loud(`!!! regression tier, Odoo ${m.series} SKIPPED: ${m.why}`);
      it(`Odoo ${m.series}: SKIPPED (${m.why})`);
      return;
    }
    if (m.kind === 'broken') {
      it(`Odoo ${m.series}: runs`, () => assert.fail(m.why));
      return;
    }
    const { comparison: c, baseline } = m;
    process.stdout.write(`\n${summarize(m.series, baseline, m.run, c)} (${baselineFile(m.series)}; log ${m.logFile})\n`);
    if (tags) it(`Odoo ${m.series}: only the tests tagged ${tags} ran (REGRESSION_TEST_TAGS): not a full comparison`);
    else {
      it(`Odoo ${m.series}: as many tests ran as without the addon (${baseline.ran})`, () => {
        assert.equal(c.missing, 0, `${c.missing} fewer tests ran with the addon: the run stopped early? (log ${m.logFile})`);
      });
    }
    const known = new Set(c.knownFailures);
    const ids = [...new Set([...m.ran, ...m.failed])];
    for (const id of ids) {
      if (known.has(id)) it(`${id} (fails without the addon too)`);
      else if (m.failed.has(id)) it(id, () => assert.fail(`fails with logistics_bridge, passes without it: see FAIL/ERROR ${id.split('.').slice(-2).join('.')} in ${m.logFile}`));
      else it(id, () => undefined);
    }
  });
}

void (async () => {
  for (const series of SERIES) {
    let measured: Measured;
    try {
      measured = await measure(series);
    } catch (err) {
      measured = { series, kind: 'broken', why: err instanceof Error ? err.stack ?? err.message : String(err) };
    }
    declare(measured);
  }
  run();
})();
