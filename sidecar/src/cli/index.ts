import { Broker, ConfirmPublisher, DeadLetterQueue, declareTopology, verifyTopology } from '../broker';
import { ConfigError, loadConfig, loadOdooConfig, reportConfigError, type Config, type OdooOnlyConfig } from '../config';
import { ZodError } from 'zod';
import { diagnoseOdooError, doctorChecks, formatDoctor, readiness, type CheckResult } from '../health';
import { keyExpiryWarning, OdooClient, OdooError } from '../odoo';
import { APP_ID, buildMessage, eventJsonSchemas, OdooOutboxSource, type OutboxEvent } from '../outbox';
import { createLogger } from '../telemetry';
import { parseArgs, USAGE, UsageError, type Command } from './args';
import { runDead } from './dead';
import { formatStatus } from './status';

/**
 * The operator CLI (`npx logistics-bridge ...`, `npm run cli -- ...`): a composition root of its own,
 * configured by the sidecar's environment, each command loading only the part it uses (`status`: Odoo).
 * Exit codes: 0 ok, 1 failure, 2 usage or configuration, 3 (status) dead outbox events.
 */
const PAGE = 1000;
const env = process.env;

async function main(argv: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`logistics-bridge: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'schemas':
      process.stdout.write(`${JSON.stringify(eventJsonSchemas(), null, 2)}\n`);
      return 0;
    case 'doctor':
      return doctor(command.json);
    case 'dead-list':
    case 'dead-show':
    case 'dead-replay':
      return dead(command);
    case 'status':
    case 'replay': {
      const config = command.kind === 'status' ? reportConfigError(() => loadOdooConfig(env), process.stderr) : reportConfigError(() => loadConfig(env), process.stderr);
      if (!config) return 2;
      return withOdoo(config, (odoo, source) => (command.kind === 'status' ? status(command.json, config, odoo, source) : replay(command, config as Config, source)));
    }
  }
}

/** Runs `body` with an Odoo client; Odoo's errors end it with diagnose.ts's cause and fix (exit 1). */
async function withOdoo(config: OdooOnlyConfig, body: (odoo: OdooClient, source: OdooOutboxSource) => Promise<number>): Promise<number> {
  const odoo = new OdooClient(config.odoo);
  try {
    return await body(odoo, new OdooOutboxSource(odoo));
  } catch (err) {
    if (!(err instanceof OdooError || err instanceof ZodError)) throw err;
    const { error, fix } = diagnoseOdooError(err, config.odoo);
    process.stderr.write(`logistics-bridge: ${error}\n  fix: ${fix}\n`);
    return 1;
  } finally {
    odoo.close();
  }
}

async function status(json: boolean, config: OdooOnlyConfig, odoo: OdooClient, source: OdooOutboxSource): Promise<number> {
  const s = await source.stats();
  const protocol = await odoo.protocol();
  const key = await odoo.keyStatus();
  const warning = keyExpiryWarning(key, new Date(), config.odoo.keyWarnDays);
  if (warning) process.stderr.write(`WARNING: ${warning}\n`);
  const expires = key.expires_at ? key.expires_at.toISOString() : null;
  process.stdout.write(
    json
      ? `${JSON.stringify({ ...s, protocol, key_expires_at: expires })}\n`
      : `Odoo ${config.odoo.url} database ${config.odoo.db} (${protocol})\n${formatStatus(s)}\napi key    ${expires ? `expires ${expires}` : 'no expiry'}\n`,
  );
  return s.dead > 0 ? 3 : 0;
}

/** Every check, one line each (or one JSON object); exit 1 when any failed (warnings do not fail). */
async function doctor(json: boolean): Promise<number> {
  const lines: Array<readonly [string, CheckResult]> = [];
  let full: Config | undefined;
  let odooOnly: OdooOnlyConfig | undefined;
  try {
    full = loadConfig(env);
    odooOnly = full;
    lines.push(['configuration', { ok: true, detail: `Odoo ${full.odoo.url} database ${full.odoo.db} as ${full.odoo.login}` }]);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.message.split('; ')) lines.push(['configuration', { ok: false, error: problem, fix: 'set the variable as README.md "Configuration" says (or its *_FILE for a secret)' }]);
    try {
      odooOnly = loadOdooConfig(env);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
    }
  }
  if (odooOnly) {
    const odoo = new OdooClient(odooOnly.odoo);
    const amqp = full?.amqp;
    const log = createLogger('error');
    try {
      const report = await readiness(
        doctorChecks({
          odoo,
          target: odooOnly.odoo,
          topology: amqp
            ? async () => {
                const broker = await Broker.connect(amqp, log);
                try {
                  return await verifyTopology(broker.model);
                } finally {
                  await broker.close();
                }
              }
            : undefined,
          tls: full?.grpc.tls,
        }),
        20_000,
      );
      lines.push(...Object.entries(report.checks));
    } finally {
      odoo.close();
    }
  }
  const failed = lines.some(([, r]) => !r.ok);
  process.stdout.write(json ? `${JSON.stringify({ ok: !failed, checks: lines.map(([name, r]) => ({ name, ...r })) })}\n` : `${formatDoctor(lines)}\n`);
  return failed ? 1 : 0;
}

async function dead(cmd: Extract<Command, { kind: 'dead-list' | 'dead-show' | 'dead-replay' }>): Promise<number> {
  const config = reportConfigError(() => loadConfig(env), process.stderr);
  if (!config) return 2;
  const log = createLogger('warn');
  const broker = await Broker.connect(config.amqp, log);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await runDead(cmd, new DeadLetterQueue(broker.model, cmd.queue, log), abort.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await broker.close();
  }
}

async function replay(cmd: Extract<Command, { kind: 'replay' }>, config: Config, source: OdooOutboxSource): Promise<number> {
  const log = createLogger('warn');
  const broker = cmd.dryRun ? undefined : await Broker.connect(config.amqp, log);
  const publisher = broker ? new ConfirmPublisher(broker.model, { window: config.relay.maxInFlight, log, setup: (ch) => declareTopology(ch) }) : undefined;
  const replayedAt = new Date();
  let sinceId = cmd.sinceId;
  let total = 0;
  try {
    for (;;) {
      const want = cmd.limit === undefined ? PAGE : Math.min(PAGE, cmd.limit - total);
      if (want <= 0) break;
      const page: OutboxEvent[] = await source.replay({ sinceId, since: cmd.since, eventTypes: cmd.types, limit: want });
      if (page.length === 0) break;
      if (publisher) await Promise.all(page.map((e) => publisher.publish(buildMessage(e, { appId: APP_ID, replayedAt }))));
      total += page.length;
      sinceId = (page.at(-1) as OutboxEvent).id;
      process.stderr.write(`${cmd.dryRun ? 'would replay' : 'replayed'} ${total} events (up to outbox id ${sinceId})\n`);
      if (page.length < want) break;
    }
  } finally {
    await publisher?.close();
    await broker?.close();
  }
  process.stdout.write(`${JSON.stringify({ replayed: cmd.dryRun ? 0 : total, matched: total, last_id: sinceId ?? null, dry_run: cmd.dryRun })}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`logistics-bridge: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
