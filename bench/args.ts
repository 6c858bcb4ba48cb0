/**
 * `--name value` pairs over numeric defaults, for every benchmark: an unknown name or a value that is not
 * a non-negative number stops the run with a message naming it, instead of silently using the default.
 */
export function numericFlags<T extends Record<string, number>>(argv: readonly string[], defaults: T): T {
  const out: Record<string, number> = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = String(argv[i]).replace(/^--/, '');
    const value = Number(argv[i + 1]);
    if (!(key in out)) throw new Error(`unknown argument ${argv[i]} (known: ${Object.keys(out).map((k) => `--${k}`).join(' ')})`);
    if (!Number.isFinite(value) || value < 0) throw new Error(`--${key}: expected a non-negative number, got ${argv[i + 1]}`);
    out[key] = value;
  }
  return out as T;
}
