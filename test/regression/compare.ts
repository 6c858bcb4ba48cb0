import { readFileSync } from 'node:fs';
import { compare, parseBaseline, parseTestLog, summarize } from './odoo-log';
import { baselineFile, SERIES, type Series } from './odoo-suites';

/**
 * `npm run regression:compare -- <18|19> <odoo test log>`: the regression tier's comparison, read from
 * the log of a run with the addon (the tier prints where it keeps it), against the committed baseline.
 * Exits 1 when the run has failures that the baseline does not have.
 */
const [series, logPath] = process.argv.slice(2);
if (!SERIES.includes(series as Series) || !logPath) {
  process.stderr.write(`usage: npm run regression:compare -- <${SERIES.join('|')}> <odoo test log>\n`);
  process.exit(2);
}
const baseline = parseBaseline(readFileSync(baselineFile(series as Series), 'utf8'));
const run = parseTestLog(readFileSync(logPath, 'utf8'));
const c = compare(baseline, run);
process.stdout.write(`${summarize(series!, baseline, run, c)}\n`);
for (const id of c.newFailures) process.stdout.write(`  new failure: ${id}\n`);
for (const id of c.fixed) process.stdout.write(`  passes with the addon, fails without: ${id}\n`);
process.exit(c.newFailures.length ? 1 : 0);
