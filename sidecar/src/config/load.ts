import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parsePartners } from './partners';
import { envSchema, odooEnvSchema, SECRET_VARIABLES, toConfig, toOdooConfig, type Config, type Env, type OdooOnlyConfig } from './schema';

/** Raised when the environment cannot become a Config; its message is one line naming the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type ReadFile = (path: string) => string;

/**
 * Resolves `<SECRET>_FILE` variables (Docker/Kubernetes secrets) into their plain names. Setting both
 * forms is refused rather than silently preferring one.
 */
export function resolveSecretFiles(
  env: Readonly<Record<string, string | undefined>>,
  readFile: ReadFile = (p) => readFileSync(p, 'utf8'),
  names: readonly string[] = SECRET_VARIABLES,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of names) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) throw new ConfigError(`${name}: set either ${name} or ${name}_FILE, not both`);
    try {
      out[name] = readSecretFile(file, readFile);
    } catch (err) {
      throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  // Empty strings mean "unset", as in docker-compose files with `VAR: ${VAR:-}`.
  for (const [k, v] of Object.entries(out)) if (v === '') delete out[k];
  return out;
}

/** Parses the environment once; throws ConfigError with one readable line per problem, never a secret value. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, readFile?: ReadFile): Config {
  const parsed = parseEnv(envSchema, env, readFile);
  return withKeyFile(withPartners(toConfig(parsed), parsed, readFile), env);
}

/**
 * The Odoo part only (ODOO_*, LOG_LEVEL), for commands that read nothing else (`status`): AMQP_URL and the
 * gateway's variables are neither required nor read.
 */
export function loadOdooConfig(env: Readonly<Record<string, string | undefined>>, readFile?: ReadFile): OdooOnlyConfig {
  return withKeyFile(toOdooConfig(parseEnv(odooEnvSchema, env, readFile)), env);
}

/** Every problem of `schema` over the environment, one `NAME: ...` each, joined by `; ` in the ConfigError. */
function parseEnv<S extends z.ZodObject>(schema: S, env: Readonly<Record<string, string | undefined>>, readFile?: ReadFile): z.infer<S> {
  const resolved = resolveSecretFiles(env, readFile, SECRET_VARIABLES.filter((n) => n in schema.shape));
  const parsed = schema.safeParse(resolved);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? 'environment');
      if (resolved[name] === undefined) return `${name}: missing (${i.code === 'custom' ? i.message : describe(name)})`;
      return `${name}: invalid: ${i.message}`;
    });
    throw new ConfigError(lines.join('; '));
  }
  return parsed.data;
}

/** The partner doors' configuration, read from PARTNERS_FILE and the secret files it names (off without it). */
function withPartners(config: Config, env: Env, readFile?: ReadFile): Config {
  const file = env.PARTNERS_FILE;
  if (file) {
    const read = readFile ?? ((p: string) => readFileSync(p, 'utf8'));
    let text: string;
    try {
      text = read(file);
    } catch (err) {
      throw new ConfigError(`PARTNERS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      config.partners = { file, listen: env.PARTNER_LISTEN, maxBodyBytes: env.PARTNER_MAX_BODY_BYTES, list: parsePartners(text, (p) => readSecretFile(p, read)) };
    } catch (err) {
      throw new ConfigError(`PARTNERS_FILE: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return config;
}

function withKeyFile<C extends OdooOnlyConfig>(config: C, env: Readonly<Record<string, string | undefined>>): C {
  const keyFile = env.ODOO_API_KEY_FILE;
  return keyFile ? { ...config, odoo: { ...config.odoo, secretFile: keyFile } } : config;
}

/** A secret file's content without its trailing newline (the form `echo key > file` leaves). */
export function readSecretFile(path: string, readFile: ReadFile = (p) => readFileSync(p, 'utf8')): string {
  return readFile(path).replace(/\r?\n$/, '');
}

function describe(name: string): string {
  const field = (envSchema.shape as Record<string, { description?: string }>)[name];
  return field?.description ?? 'required';
}

/**
 * For entry points (the sidecar, the CLI): the Config, or undefined after writing the one readable line
 * to `stderr`. Exit code 2 is theirs to return.
 */
export function loadConfigOrReport(env: Readonly<Record<string, string | undefined>>, stderr: NodeJS.WritableStream): Config | undefined {
  return reportConfigError(() => loadConfig(env), stderr);
}

/** `loadConfigOrReport` for any loader (`loadOdooConfig`). */
export function reportConfigError<C>(load: () => C, stderr: NodeJS.WritableStream): C | undefined {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    stderr.write(`logistics-bridge: configuration error: ${err.message}\n`);
    return undefined;
  }
}

/** A URL with its password replaced, for log lines. */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((u) => u.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/i, '$1***@'))
    .join(',');
}
