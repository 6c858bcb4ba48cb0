import { Broker, ConfirmPublisher, declareTopology } from '../broker';
import { loadConfigOrReport, type Config } from '../config';
import { ZodError } from 'zod';
import { diagnoseOdooError } from '../health';
import { keyExpiryWarning, OdooClient, OdooError } from '../odoo';
import { APP_ID, buildMessage, eventJsonSchemas, OdooOutboxSource, type OutboxEvent } from '../outbox';
import { createLogger } from '../telemetry';
import { parseArgs, USAGE, UsageError, type Command } from './args';
import { formatStatus } from './status';

/**
 * The operator CLI (`npx logistics-bridge ...`, `npm run cli -- ...`): a composition root of its own,
 * configured by the sidecar's environment. Exit codes: 0 ok, 1 failure, 2 usage or configuration.
 */
const PAGE = 1000;

async function main(argv: string[]): Promise<number> {
  let command: Command;
  try {
    command = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command.kind === 'schemas') {
    process.stdout.write(`${JSON.stringify(eventJsonSchemas(), null, 2)}\n`);
    return 0;
  }
  const config = loadConfigOrReport(process.env, process.stderr);
  if (!config) return 2;
  const odoo = new OdooClient(config.odoo);
  const source = new OdooOutboxSource(odoo);
  try {
    if (command.kind === 'status') {
      const s = await source.stats();
      const protocol = await odoo.protocol();
      const key = await odoo.keyStatus();
      const warning = keyExpiryWarning(key, new Date(), config.odoo.keyWarnDays);
      if (warning) process.stderr.write(`WARNING: ${warning}\n`);
      const expires = key.expires_at ? key.expires_at.toISOString() : null;
      process.stdout.write(
        command.json
          ? `${JSON.stringify({ ...s, protocol, key_expires_at: expires })}\n`
          : `Odoo ${config.odoo.url} database ${config.odoo.db} (${protocol})\n${formatStatus(s)}\napi key    ${expires ? `expires ${expires}` : 'no expiry'}\n`,
      );
      return s.dead > 0 ? 3 : 0;
    }
    return await replay(command, config, source);
  } catch (err) {
    if (!(err instanceof OdooError || err instanceof ZodError)) throw err;
    const { error, fix } = diagnoseOdooError(err, config.odoo);
    process.stderr.write(`logistics-bridge: ${error}\n  fix: ${fix}\n`);
    return 1;
  } finally {
    odoo.close();
  }
}

async function replay(cmd: Extract<Command, { kind: 'replay' }>, config: Config, source: OdooOutboxSource): Promise<number> {
  const log = createLogger('warn');
  const broker = cmd.dryRun ? undefined : await Broker.open(config.amqp, log);
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
