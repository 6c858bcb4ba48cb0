import { appendFileSync } from 'node:fs';

/**
 * Says why part of a tier did not run: loudly on stderr where it happens, and in the tier's results
 * ($TIER_RESULTS_FILE.skips), which test/run-tiers.ts repeats at the very end of `npm test`, where a CI log's
 * tail shows it. `detail` (a command's output, say) goes to stderr only.
 */
export function saySkipped(why: string, detail = ''): void {
  process.stderr.write(`\n*** SKIPPED: ${why} ***\n${detail ? `${detail}\n` : ''}\n`);
  const file = process.env.TIER_RESULTS_FILE;
  if (file) appendFileSync(`${file}.skips`, `${why.replace(/\s*\n\s*/g, ' | ')}\n`);
}

/** saySkipped, then skips the running test or hook. */
export function skipLoudly(ctx: Mocha.Context, why: string, detail = ''): never {
  saySkipped(why, detail);
  return ctx.skip();
}
