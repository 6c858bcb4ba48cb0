/**
 * Running a bench's server process the way sidecar/Dockerfile deploys the product: plain `node` on the
 * tsc output (built into dist/ by `buildDist`) with the image's NODE_OPTIONS, or, with `--tsx 1`, under
 * the tsx loader on the .ts sources without them. Shared by bench/ingest.ts and bench/relay.ts.
 * BENCH_SERVER_NODE_ARGS adds node options to the server processes (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..');

/** The node options sidecar/Dockerfile deploys with (its `ENV NODE_OPTIONS=` line). */
export const DEPLOYED_NODE_ARGS: readonly string[] = (/^ENV NODE_OPTIONS=(.*)$/m.exec(readFileSync(join(ROOT, 'sidecar', 'Dockerfile'), 'utf8'))?.[1] ?? '').split(' ').filter(Boolean);

/**
 * Compiles the workspace packages (the contract the sidecar imports) and then the bench's child modules
 * and the sidecar into dist/ (bench/tsconfig.json), as the image's build does.
 */
export function buildDist(): void {
  execFileSync('npm', ['run', 'build', '--workspaces'], { cwd: ROOT, stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'bench', 'tsconfig.json')], { stdio: 'inherit' });
}

/**
 * Where a module runs from, given its path from the repository root without extension
 * (`bench/ingest-server`, `test/support/relay-child`): the .ts source under tsx, or the tsc output under dist/.
 */
export function entry(modulePath: string, tsx: boolean): { file: string; execArgv: string[] } {
  return tsx ? { file: join(ROOT, `${modulePath}.ts`), execArgv: ['--require', 'tsx/cjs'] } : { file: join(ROOT, 'dist', `${modulePath}.js`), execArgv: [] };
}

/** Node options of a server process: the image's (unless under tsx), then BENCH_SERVER_NODE_ARGS. */
export function serverArgs(tsx: boolean): string[] {
  return [...(tsx ? [] : DEPLOYED_NODE_ARGS), ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}
