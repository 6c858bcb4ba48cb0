import { Broker, DEAD_QUEUES, DeadLetterDepth, partnerIngressQueue } from './broker';
import { loadConfigOrReport, readSecretFile } from './config';
import { DeviceGateway } from './devices/gateway';
import { bridgeChecks, HealthServer } from './health';
import { Applier, ApplierMetrics, DeadLetterRecorder, DEFAULT_RETRY } from './inbound';
import { runUntilSignal, type Service } from './lifecycle';
import { keyExpiryWarning, OdooClient } from './odoo';
import { createRelay } from './outbox';
import { createPartnerDoors } from './partners';
import { createLogger, createRegistry } from './telemetry';
import { VoidFeed, VoidSet, WorkDispatcher, WorkRouter } from './work';

/** The composition root: the only place that reads process.env and wires the parts together. */
async function main(): Promise<number> {
  const config = loadConfigOrReport(process.env, process.stderr);
  if (!config) return 2;
  const log = createLogger(config.log.level);
  const registry = createRegistry();
  const keyFile = config.odoo.secretFile;
  const odoo = new OdooClient({ ...config.odoo, registry, reloadSecret: keyFile ? () => readSecretFile(keyFile) : undefined });
  const broker = await Broker.open(config.amqp, log.child({ module: 'broker' }), registry);
  const outbox = createRelay({ config, odoo, broker, log, registry });
  const health = new HealthServer({
    listen: config.http.listen,
    registry,
    checks: bridgeChecks({ odoo, target: config.odoo, broker, publisher: outbox.publisher, relay: outbox.membership }),
  });
  const address = await health.start();
  log.info('sidecar started', { http: `${address.address}:${address.port}`, odoo: config.odoo.url, db: config.odoo.db });
  // Told once Odoo answers, without holding up the services (or a SIGTERM) while it does not.
  void odoo
    .protocol()
    .then(async (protocol) => {
      log.info('Odoo answers', { protocol });
      const keyWarning = keyExpiryWarning(await odoo.keyStatus(), new Date(), config.odoo.keyWarnDays);
      if (keyWarning) log.warn(keyWarning);
    })
    .catch(() => undefined);

  const gateway = new DeviceGateway({
    listen: config.grpc.listen,
    tls: config.grpc.tls,
    tokens: config.gateway.tokens,
    maxInFlightPerStream: config.gateway.maxInFlight,
    maxMessageBytes: config.gateway.maxMessageBytes,
    maxBufferedBytes: config.gateway.maxBufferedBytes,
    maxBufferedMessages: config.gateway.maxBufferedMessages,
    amqp: broker.model,
    registry,
    log: log.child({ module: 'gateway' }),
  });
  const recorder = new DeadLetterRecorder(odoo, { log: log.child({ module: 'dead-letters' }) });
  const applier = new Applier(broker, odoo, {
    batchSize: config.apply.batchSize,
    lingerMs: config.apply.lingerMs,
    prefetch: config.apply.prefetch,
    concurrency: config.apply.concurrency,
    retry: { ...DEFAULT_RETRY, maxAttempts: config.apply.maxAttempts },
    log: log.child({ module: 'applier' }),
    metrics: new ApplierMetrics(registry),
    recorder,
  });
  // Flow 3: ready / withdrawn events -> pool queues (router); pool queues -> connected adapters (dispatcher).
  const workLog = log.child({ module: 'work' });
  const voids = new VoidSet();
  const work = new WorkRouter({ source: broker.model, log: workLog });
  const dispatcher = new WorkDispatcher({ source: broker.model, sessions: () => gateway.liveSessions(), voids, metrics: gateway.metrics, log: workLog });
  gateway.onWorkAck((session, ack) => dispatcher.ack(session, ack));
  // Flow 4: the partner doors (HTTP, AMQP), only when PARTNERS_FILE names partners.
  const partners = createPartnerDoors({ config, source: broker.model, registry, log });
  const deadLetters = new DeadLetterDepth({ source: broker.model, queues: [...DEAD_QUEUES, `${partnerIngressQueue().name}.dead`], registry, log: log.child({ module: 'dead-letters' }) });
  const services: Service[] = [outbox.relay, gateway, applier, recorder, work, new VoidFeed({ source: broker.model, voids, log: workLog }), dispatcher, deadLetters, ...partners];
  const code = await runUntilSignal(services, log);
  await health.stop();
  await outbox.publisher.close();
  await broker.close();
  odoo.close();
  log.info('sidecar stopped');
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`logistics-bridge: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
