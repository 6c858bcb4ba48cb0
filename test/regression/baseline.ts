import { readFileSync, writeFileSync } from 'node:fs';
import { formatBaseline, parseTestLog, UNRELIABLE_TOURS } from './odoo-log';
import { baselineFile, baselineHeader, runSuites, SERIES, seriesSource, testArgs, type Series } from './odoo-suites';

/**
 * `npm run regression:baseline -- <18|19> [--log <odoo test log>]`: measures which of Odoo's stock,
 * sale_stock and purchase_stock tests fail WITHOUT the addon on this machine and writes
 * test/regression/baseline-<series>.txt. With --log it reads the log of a run of the same command
 * instead of running it. CI never runs this (the regression tier compares against the committed file).
 */
async function main(argv: string[]): Promise<void> {
  const [series, flag, logPath] = argv as [string | undefined, string | undefined, string | undefined];
  if (!SERIES.includes(series as Series) || (flag !== undefined && (flag !== '--log' || !logPath))) {
    throw new Error(`usage: npm run regression:baseline -- <${SERIES.join('|')}> [--log <odoo test log>]`);
  }
  const s = series as Series;
  const source = seriesSource(s);
  if (!('src' in source)) throw new Error(source.why);
  const log = (line: string) => process.stderr.write(`[regression] ${line}\n`);
  let run;
  let command;
  if (logPath) {
    run = parseTestLog(readFileSync(logPath, 'utf8'));
    command = `${testArgsCommand()} (read from ${logPath})`;
  } else {
    const outcome = await runSuites(s, source.src, false, log);
    if (outcome.kind !== 'ran') throw new Error(`unexpected: ${outcome.detail}`);
    ({ run, command } = outcome);
  }
  const ran = new Set(run.ran).size;
  if (!ran) throw new Error('no Odoo test ran: nothing to write');
  const header = baselineHeader(s, source.src, command);
  if (logPath) header[1] = `produced by: npm run regression:baseline -- ${s} --log ${logPath}`;
  writeFileSync(baselineFile(s), formatBaseline({ header, ran, failed: run.failed, unreliable: UNRELIABLE_TOURS }));
  process.stdout.write(`${baselineFile(s)}: ${ran} tests ran, ${run.failed.length} failed without the addon\n`);
}

function testArgsCommand(): string {
  return `python3 test/regression/odoo_tests_after_load.py -c <odoo tier config> ${testArgs('<copy of the template>').join(' ')}`;
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
