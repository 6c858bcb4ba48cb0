import { locateOdoo, SERIES, type OdooSeries } from '../test/support/odoo';

/**
 * The Odoo series a benchmark runs against: `--series 18,19` (default: every series whose source is
 * present), each on a private Odoo of its own, one after the other in the same run so that their
 * figures share the machine's load. Returns the other flags untouched.
 */
export async function seriesFlag(argv: readonly string[], say: (line: string) => void): Promise<{ series: OdooSeries[]; rest: string[] }> {
  const at = argv.indexOf('--series');
  const asked = at >= 0 ? String(argv[at + 1]).split(',').map(Number) : [...SERIES];
  const bad = asked.filter((s) => !SERIES.some((known) => known === s));
  if (bad.length) throw new Error(`--series: ${bad.join(', ')} is not one of ${SERIES.join(', ')}`);
  const rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : [...argv];
  const series: OdooSeries[] = [];
  for (const s of asked as OdooSeries[]) {
    const source = await locateOdoo(process.env, s);
    if (source.kind === 'none') say(`!!! Odoo ${s} SKIPPED: ${source.why}`);
    else series.push(s);
  }
  if (!series.length) throw new Error('no Odoo series to run against');
  return { series, rest };
}

/** One line per measure, one column per series: `label  18: value  19: value`. */
export function sideBySide(rows: ReadonlyArray<[label: string, values: Partial<Record<OdooSeries, string>>]>, series: readonly OdooSeries[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const header = `${''.padEnd(width)}  ${series.map((s) => `Odoo ${s}`.padStart(14)).join('')}`;
  return [header, ...rows.map(([label, values]) => `${label.padEnd(width)}  ${series.map((s) => (values[s] ?? '-').padStart(14)).join('')}`)].join('\n');
}
