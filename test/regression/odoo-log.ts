/**
 * Pure part of the regression tier: what an Odoo test run's log says (which tests ran, which failed),
 * the baseline file format, and the comparison of a run with the addon against the baseline without it.
 */

/** One Odoo test, `<module>.tests.<file>.<Class>.<method>`, e.g. `stock.tests.test_move.StockMove.test_in_1`. */
export type TestId = string;

export interface TestRun {
  /** Every test that started, in order. */
  ran: TestId[];
  /** Tests that failed or errored (a failing subtest counts for its test; a class set-up error for the class). */
  failed: TestId[];
}

const LINE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (INFO|ERROR) \S+ ([\w.]+): (.*)$/;
const HOLDER = /^(\w+) \(odoo\.addons\.([\w.]+)\)$/;
const SUBTEST = /^Subtest (\w+\.\w+)/;

function testId(logger: string, description: string): TestId | undefined {
  const holder = HOLDER.exec(description);
  if (holder) return `${holder[2]}.${holder[1]}`;
  if (!logger.startsWith('odoo.addons.')) return undefined;
  const name = SUBTEST.exec(description)?.[1] ?? description.split(' ')[0];
  return `${logger.slice('odoo.addons.'.length)}.${name}`;
}

/** Reads Odoo's test log (the default `info` level): `Starting <test> ...` and `FAIL:` / `ERROR:` lines. */
export function parseTestLog(log: string): TestRun {
  const ran: TestId[] = [];
  const failed = new Set<TestId>();
  for (const line of log.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, level, logger, rest] = m as unknown as [string, string, string, string];
    const message = rest.trimEnd(); // Odoo ends its log lines with a space
    const started = level === 'INFO' && /^Starting (.+) \.\.\.$/.exec(message);
    const failure = level === 'ERROR' && /^(?:FAIL|ERROR): (.+)$/.exec(message);
    const id = started ? testId(logger, started[1]!) : failure ? testId(logger, failure[1]!) : undefined;
    if (!id) continue;
    if (started) ran.push(id);
    else failed.add(id);
  }
  return { ran, failed: [...failed].sort() };
}

export interface Baseline {
  /** Header lines (without the leading `# `): the command, the date, the source tree. */
  header: string[];
  /** How many tests ran without the addon. */
  ran: number;
  failed: TestId[];
  /**
   * Test classes (`# unreliable: <module.tests.file.Class>` lines) whose outcome on this machine says
   * nothing about the addon: Odoo's browser tours, which share the test cursor with the browser's
   * requests and fail at random here. Their failures count as known, never as new.
   */
  unreliable: string[];
}

/** Odoo's browser-tour classes of the three modules: unreliable on these machines (see Baseline.unreliable). */
export const UNRELIABLE_TOURS = ['stock.tests.test_picking_tours.TestStockPickingTour', 'stock.tests.test_report_tours.TestStockReportTour'];

export function formatBaseline(baseline: Baseline): string {
  return [...baseline.header.map((h) => `# ${h}`), `# ran: ${baseline.ran}`, ...baseline.unreliable.map((c) => `# unreliable: ${c}`), ...baseline.failed, ''].join('\n');
}

export function parseBaseline(text: string): Baseline {
  const header: string[] = [];
  const failed: TestId[] = [];
  const unreliable: string[] = [];
  let ran = Number.NaN;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (!line.startsWith('#')) {
      failed.push(line);
      continue;
    }
    const body = line.replace(/^#\s?/, '');
    const count = /^ran: (\d+)$/.exec(body);
    const flaky = /^unreliable: (\S+)/.exec(body);
    if (count) ran = Number(count[1]);
    else if (flaky) unreliable.push(flaky[1]!);
    else header.push(body);
  }
  if (!Number.isInteger(ran)) throw new Error('the baseline has no "# ran: <count>" line');
  return { header, ran, failed, unreliable };
}

export interface Comparison {
  /** Failing with the addon, passing (or absent) without it: the regressions. */
  newFailures: TestId[];
  /** Failing with and without the addon. */
  knownFailures: TestId[];
  /** Failing without the addon, passing with it. */
  fixed: TestId[];
  /** Tests with the addon that did not fail (known failures excluded). */
  passed: number;
  /** Fewer tests ran with the addon than without it (the run stopped early, or tests were lost). */
  missing: number;
}

/** The tier's one-line comparison of a run with the addon against the baseline without it. */
export function summarize(series: string, baseline: Baseline, run: TestRun, c: Comparison): string {
  return `Odoo ${series}: without the addon ${baseline.ran} ran, ${baseline.failed.length} failed; ` +
    `with it ${new Set(run.ran).size} ran, ${run.failed.length} failed: ${c.newFailures.length} new, ` +
    `${c.knownFailures.length} known, ${c.fixed.length} fixed, ${c.missing} missing`;
}

export function compare(baseline: Baseline, run: TestRun): Comparison {
  const listed = new Set(baseline.failed);
  const known = { has: (id: TestId) => listed.has(id) || baseline.unreliable.some((c) => id === c || id.startsWith(`${c}.`)) };
  const failed = new Set(run.failed);
  const ran = new Set(run.ran);
  return {
    newFailures: run.failed.filter((id) => !known.has(id)),
    knownFailures: run.failed.filter((id) => known.has(id)),
    fixed: baseline.failed.filter((id) => !failed.has(id) && ran.has(id)),
    passed: [...ran].filter((id) => !failed.has(id)).length,
    missing: Math.max(0, baseline.ran - ran.size),
  };
}
