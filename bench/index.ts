/**
 * `npm run bench -- <name> [args]`: runs one benchmark. Benchmarks print figures, the last line of
 * output is one JSON object; they never assert timings. Add an entry per benchmark file bench/<name>.ts
 * exporting `main(args)`.
 */
const BENCHES: Record<string, () => Promise<{ main(args: string[]): Promise<void> }>> = {
  ingest: () => import('./ingest'),
  relay: () => import('./relay'),
  claim: () => import('./claim'),
  apply: () => import('./apply'),
  ingress: () => import('./ingress'),
  work: () => import('./work'),
  'relay-restart': () => import('./relay-restart'),
};

async function run(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const load = name ? BENCHES[name] : undefined;
  if (!load) {
    process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]\n`);
    process.exit(2);
  }
  await (await load()).main(args);
}

run().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
