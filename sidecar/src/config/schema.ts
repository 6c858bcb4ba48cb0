import { z } from 'zod';
import { gatewayTokensSchema, type GatewayTokens } from './gateway-tokens';
import type { Partner } from './partners';

/**
 * The sidecar's whole configuration: one zod schema over the environment, parsed once by `loadConfig`.
 * Every variable is documented here (`describe`) and the README's configuration table is checked
 * against this schema by a unit test, so the two cannot drift apart.
 */

/** Variables whose value is a secret: they also accept `<NAME>_FILE` and are never logged. */
export const SECRET_VARIABLES = ['ODOO_API_KEY', 'ODOO_PASSWORD', 'AMQP_URL', 'AMQP_PASSWORD', 'GATEWAY_TOKENS'] as const;

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):\d{1,5}$/, 'expected host:port, e.g. 0.0.0.0:9464');

/** A broker user name or password: printable ASCII, which the AMQP client (broker/) decodes back from the URL exactly. */
const amqpCredential = z
  .string()
  .min(1)
  .regex(/^[\x20-\x7e]+$/, 'printable ASCII characters only (any of them, @ : / # % included)');

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const amqpUrl = z
  .string()
  .refine((v) => v.split(',').every((u) => /^amqps?:\/\/[^\s,]+$/.test(u)), 'expected amqp://user:pass@host:5672/vhost or amqps://..., or several such URLs separated by commas (the nodes of a cluster)');

const fields = {
    ODOO_URL: z.url({ protocol: /^https?$/ }).describe('Base URL of Odoo, e.g. http://odoo:8069'),
    ODOO_DB: z.string().min(1).describe('Odoo database name'),
    ODOO_LOGIN: z.string().min(1).describe('Login of the integration service user'),
    ODOO_API_KEY: z.string().min(1).optional().describe('API key of the service user (preferred; secret)'),
    ODOO_PASSWORD: z.string().min(1).optional().describe('Password of the service user, when no API key (secret)'),
    ODOO_TIMEOUT_MS: positiveInt(30000).describe('Timeout of one call to Odoo'),
    ODOO_PROTOCOL: z
      .enum(['auto', 'json2', 'jsonrpc'])
      .default('auto')
      .describe("Odoo's external API: auto (from the server version: JSON-2 on 19, JSON-RPC on 18), json2 or jsonrpc"),
    ODOO_KEY_WARN_DAYS: positiveInt(14).describe("Days ahead of the API key's expiry (Odoo 19 keys expire) from which /readyz and the CLI warn"),
    AMQP_URL: amqpUrl.describe('RabbitMQ URL, amqp:// or amqps://; the nodes of a cluster as several URLs separated by commas (secret: it carries the password)'),
    AMQP_USER: amqpCredential.optional().describe('RabbitMQ user; with AMQP_PASSWORD it replaces the credentials in AMQP_URL, URL-encoded by the sidecar'),
    AMQP_PASSWORD: amqpCredential.optional().describe('RabbitMQ password for AMQP_USER, any printable ASCII (secret)'),
    AMQP_CA_FILE: z.string().min(1).optional().describe('PEM CA bundle to verify an amqps:// broker'),
    AMQP_CERT_FILE: z.string().min(1).optional().describe('PEM client certificate for amqps:// (mutual TLS)'),
    AMQP_KEY_FILE: z.string().min(1).optional().describe('PEM client key for amqps:// (mutual TLS)'),
    GRPC_LISTEN: hostPort.default('0.0.0.0:50051').describe('Address of the gRPC device gateway'),
    HTTP_LISTEN: hostPort.default('0.0.0.0:9464').describe('Address of /healthz, /readyz and /metrics'),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('Log level'),
    RELAY_WORKER_ID: z.string().min(1).optional().describe('Lease owner name of this relay (default: host-pid)'),
    RELAY_BATCH_SIZE: positiveInt(2000).describe('Outbox events claimed per call'),
    RELAY_MAX_IN_FLIGHT: positiveInt(4000).describe('Unconfirmed publishes allowed at once (confirm window)'),
    RELAY_LEASE_SECONDS: positiveInt(60).describe('Lease on claimed events; expired leases are claimed again'),
    RELAY_HEARTBEAT_SECONDS: positiveInt(5).describe('How often the relay tells Odoo it is alive; silent for 4 times as long, its claims are released for other relays'),
    // ---- device gateway (docs/gateway.md) ----
    GATEWAY_TOKENS: z
      .string()
      .default('{}')
      .transform((v, ctx) => {
        try {
          const r = gatewayTokensSchema.safeParse(JSON.parse(v));
          if (r.success) return r.data;
          const i = r.error.issues[0];
          ctx.addIssue({ code: 'custom', message: `${(i?.path ?? []).join('.')}: ${i?.message ?? 'invalid'}` });
        } catch {
          ctx.addIssue({ code: 'custom', message: 'not valid JSON' });
        }
        return z.NEVER;
      })
      .describe('Adapter credentials, JSON {"<adapterId>": {"token", "devices": ["dev-1", "prefix*", "*"], "family"?, "ratePerSecond"?}} (secret)'),
    GRPC_TLS_CERT_FILE: z.string().min(1).optional().describe('PEM server certificate of the gRPC gateway (TLS; plaintext when unset)'),
    GRPC_TLS_KEY_FILE: z.string().min(1).optional().describe('PEM private key of the gRPC gateway certificate'),
    GRPC_TLS_CLIENT_CA_FILE: z.string().min(1).optional().describe('PEM CA that signs adapter client certificates (enables mutual TLS)'),
    GATEWAY_MAX_IN_FLIGHT: positiveInt(512).describe('Unanswered messages per adapter stream before the gateway stops reading it'),
    GATEWAY_MAX_MESSAGE_BYTES: positiveInt(4 * 1024 * 1024).describe('Largest adapter message; larger ones end the call with RESOURCE_EXHAUSTED'),
    GATEWAY_MAX_BUFFERED_BYTES: positiveInt(16 * 1024 * 1024).describe('Wire bytes of unanswered adapter messages over all streams before every stream stops reading'),
    GATEWAY_MAX_BUFFERED_MESSAGES: positiveInt(8192).describe('Unanswered adapter messages over all streams before every stream stops reading'),
    // ---- inbound applier (docs/applier.md) ----
    APPLY_BATCH_SIZE: positiveInt(200).describe('Most updates per apply_batch call to Odoo'),
    APPLY_LINGER_MS: z.coerce.number().int().nonnegative().default(20).describe('How long the first waiting update waits for more before a smaller batch goes (ms)'),
    APPLY_PREFETCH: positiveInt(1000).describe('Unacked logistics.updates deliveries the applier holds (batches forming, in flight, waiting for a retry); at least APPLY_BATCH_SIZE'),
    APPLY_CONCURRENCY: positiveInt(2).describe('apply_batch calls in flight at once (batches never share a picking, device or SSCC, so their order holds)'),
    APPLY_MAX_ATTEMPTS: positiveInt(8).describe('Times an update Odoo answers "retry" is sent before it is dead-lettered'),
    // ---- partner doors (docs/partners.md) ----
    PARTNERS_FILE: z
      .string()
      .min(1)
      .optional()
      .describe('JSON file of the partners (warehouse systems, carrier platforms, suppliers): {"<id>": {"scheme", "secret_file", "rate_per_second"?, "routes"?, "platform"?, "amqp_user"?, "types"?}}; the partner doors are off without it'),
    PARTNER_LISTEN: hostPort.default('0.0.0.0:8080').describe('Address of the partner HTTP door (POST /v1/partners/{partner}/updates, POST /v1/carriers/{platform}/webhook), when PARTNERS_FILE is set'),
    PARTNER_MAX_BODY_BYTES: positiveInt(1024 * 1024).describe('Largest request body of the partner HTTP door; larger ones are answered 413'),
};

/** The variables of the Odoo connection (and the log level): all that a command reading Odoo only needs. */
const ODOO_FIELDS = ['ODOO_URL', 'ODOO_DB', 'ODOO_LOGIN', 'ODOO_API_KEY', 'ODOO_PASSWORD', 'ODOO_TIMEOUT_MS', 'ODOO_PROTOCOL', 'ODOO_KEY_WARN_DAYS', 'LOG_LEVEL'] as const;

function checkOdooSecret(env: { ODOO_API_KEY?: string; ODOO_PASSWORD?: string }, ctx: z.RefinementCtx): void {
  if (!env.ODOO_API_KEY && !env.ODOO_PASSWORD) {
    ctx.addIssue({ code: 'custom', path: ['ODOO_API_KEY'], message: 'API key of the service user, or set ODOO_PASSWORD' });
  }
}

/** Just the Odoo part (`status`, `doctor` when the rest is broken): AMQP_URL and the others are not asked for. */
export const odooEnvSchema = z.object(Object.fromEntries(ODOO_FIELDS.map((k) => [k, fields[k]])) as Pick<typeof fields, (typeof ODOO_FIELDS)[number]>).superRefine(checkOdooSecret);
export type OdooEnv = z.infer<typeof odooEnvSchema>;

export const envSchema = z
  .object(fields)
  .superRefine((env, ctx) => {
    checkOdooSecret(env, ctx);
    if (Boolean(env.GRPC_TLS_CERT_FILE) !== Boolean(env.GRPC_TLS_KEY_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['GRPC_TLS_KEY_FILE'], message: 'GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE go together' });
    }
    if (env.GRPC_TLS_CLIENT_CA_FILE && !env.GRPC_TLS_CERT_FILE) {
      ctx.addIssue({ code: 'custom', path: ['GRPC_TLS_CLIENT_CA_FILE'], message: 'mutual TLS needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE' });
    }
    if (env.APPLY_PREFETCH < env.APPLY_BATCH_SIZE) {
      ctx.addIssue({ code: 'custom', path: ['APPLY_PREFETCH'], message: `must be at least APPLY_BATCH_SIZE (${env.APPLY_BATCH_SIZE}), or batches never fill` });
    }
    if (Boolean(env.AMQP_USER) !== Boolean(env.AMQP_PASSWORD)) {
      ctx.addIssue({ code: 'custom', path: ['AMQP_PASSWORD'], message: 'AMQP_USER and AMQP_PASSWORD go together' });
    }
    if (Boolean(env.AMQP_CERT_FILE) !== Boolean(env.AMQP_KEY_FILE)) {
      ctx.addIssue({ code: 'custom', path: ['AMQP_KEY_FILE'], message: 'AMQP_CERT_FILE and AMQP_KEY_FILE go together' });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  odoo: {
    url: string;
    db: string;
    login: string;
    secret: string;
    secretKind: 'api_key' | 'password';
    /** Set when the key comes from ODOO_API_KEY_FILE: read again after Odoo refuses the key (rotation). */
    secretFile?: string;
    protocol: Env['ODOO_PROTOCOL'];
    keyWarnDays: number;
    timeoutMs: number;
  };
  amqp: { url: string; caFile?: string; certFile?: string; keyFile?: string };
  grpc: { listen: string; tls?: { certFile: string; keyFile: string; clientCaFile?: string } };
  gateway: { tokens: GatewayTokens; maxInFlight: number; maxMessageBytes: number; maxBufferedBytes: number; maxBufferedMessages: number };
  http: { listen: string };
  log: { level: Env['LOG_LEVEL'] };
  relay: { workerId?: string; batchSize: number; maxInFlight: number; leaseSeconds: number; heartbeatSeconds: number };
  apply: { batchSize: number; lingerMs: number; prefetch: number; concurrency: number; maxAttempts: number };
  /** Off (undefined) unless PARTNERS_FILE is set; filled in by loadConfig, which reads the files. */
  partners?: { file: string; listen: string; maxBodyBytes: number; list: Partner[] };
}

/** What a command that reads Odoo only gets. */
export type OdooOnlyConfig = Pick<Config, 'odoo' | 'log'>;

export function toOdooConfig(env: OdooEnv): OdooOnlyConfig {
  return {
    odoo: {
      url: env.ODOO_URL.replace(/\/+$/, ''),
      db: env.ODOO_DB,
      login: env.ODOO_LOGIN,
      secret: (env.ODOO_API_KEY ?? env.ODOO_PASSWORD) as string,
      secretKind: env.ODOO_API_KEY ? 'api_key' : 'password',
      protocol: env.ODOO_PROTOCOL,
      keyWarnDays: env.ODOO_KEY_WARN_DAYS,
      timeoutMs: env.ODOO_TIMEOUT_MS,
    },
    log: { level: env.LOG_LEVEL },
  };
}

export function toConfig(env: Env): Config {
  return {
    ...toOdooConfig(env),
    amqp: { url: withAmqpCredentials(env.AMQP_URL, env.AMQP_USER, env.AMQP_PASSWORD), caFile: env.AMQP_CA_FILE, certFile: env.AMQP_CERT_FILE, keyFile: env.AMQP_KEY_FILE },
    grpc: {
      listen: env.GRPC_LISTEN,
      ...(env.GRPC_TLS_CERT_FILE && env.GRPC_TLS_KEY_FILE
        ? { tls: { certFile: env.GRPC_TLS_CERT_FILE, keyFile: env.GRPC_TLS_KEY_FILE, clientCaFile: env.GRPC_TLS_CLIENT_CA_FILE } }
        : {}),
    },
    gateway: { tokens: env.GATEWAY_TOKENS, maxInFlight: env.GATEWAY_MAX_IN_FLIGHT, maxMessageBytes: env.GATEWAY_MAX_MESSAGE_BYTES, maxBufferedBytes: env.GATEWAY_MAX_BUFFERED_BYTES, maxBufferedMessages: env.GATEWAY_MAX_BUFFERED_MESSAGES },
    http: { listen: env.HTTP_LISTEN },
    relay: {
      workerId: env.RELAY_WORKER_ID,
      batchSize: env.RELAY_BATCH_SIZE,
      maxInFlight: env.RELAY_MAX_IN_FLIGHT,
      leaseSeconds: env.RELAY_LEASE_SECONDS,
      heartbeatSeconds: env.RELAY_HEARTBEAT_SECONDS,
    },
    apply: { batchSize: env.APPLY_BATCH_SIZE, lingerMs: env.APPLY_LINGER_MS, prefetch: env.APPLY_PREFETCH, concurrency: env.APPLY_CONCURRENCY, maxAttempts: env.APPLY_MAX_ATTEMPTS },
  };
}

/**
 * AMQP_URL with AMQP_USER and AMQP_PASSWORD as its credentials, each character that is not a letter or a
 * digit percent-encoded: the AMQP client `unescape`s them, so a password with `@ : / # %` arrives as written.
 */
function withAmqpCredentials(url: string, user: string | undefined, password: string | undefined): string {
  if (user === undefined || password === undefined) return url;
  const encode = (v: string): string => v.replace(/[^A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return url
    .split(',')
    .map((u) => u.replace(/^(amqps?:\/\/)(?:[^@/]*@)?/, `$1${encode(user)}:${encode(password)}@`))
    .join(',');
}
