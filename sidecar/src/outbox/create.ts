import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Registry } from 'prom-client';
import { ConfirmPublisher, declareTopology, TOPOLOGY, type Broker, type TopologyNames } from '../broker';
import type { Config } from '../config';
import type { OdooClient } from '../odoo';
import type { Logger } from '../telemetry';
import { Membership } from './membership';
import { RelayMetrics } from './metrics';
import { Relay, type RelayPublisher } from './relay';
import { OdooOutboxSource, OdooRelayRegistry } from './source';

export const APP_ID = 'logistics-bridge';

export interface RelayParts {
  relay: Relay;
  publisher: ConfirmPublisher;
  source: OdooOutboxSource;
  membership: Membership;
}

/** Peers declare a relay dead after this many heartbeat intervals of silence. */
export const HEARTBEAT_TIMEOUT_FACTOR = 4;

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Wires the relay from the configuration (used by main.ts and by the benchmark). */
export function createRelay(deps: {
  config: Pick<Config, 'relay'>;
  odoo: OdooClient;
  broker: Pick<Broker, 'model'>;
  log: Logger;
  registry?: Registry;
  /** Other exchange names, for benchmarks and tests only. */
  topology?: TopologyNames;
  /** Concurrent claim calls during a backlog (RelayOptions.claimers); 1 unless measured otherwise. */
  claimers?: number;
  /** Wraps the publisher the relay uses (benchmarks time each confirm with it); none in production. */
  wrapPublisher?: (publisher: RelayPublisher) => RelayPublisher;
}): RelayParts {
  const topology = deps.topology ?? TOPOLOGY;
  const { relay: cfg } = deps.config;
  const log = deps.log.child({ module: 'relay' });
  const metrics = new RelayMetrics(deps.registry);
  const publisher = new ConfirmPublisher(deps.broker.model, {
    window: cfg.maxInFlight,
    log: deps.log.child({ module: 'publisher' }),
    setup: (channel) => declareTopology(channel, topology),
    onConfirm: (s) => metrics.publishConfirm.observe(s),
  });
  metrics.inFlightSource = () => publisher.inFlight;
  const source = new OdooOutboxSource(deps.odoo);
  const workerId = cfg.workerId ?? `${hostname()}-${process.pid}`;
  const membership = new Membership(
    new OdooRelayRegistry(deps.odoo),
    { workerId, instance: randomUUID(), host: hostname(), pid: process.pid, incarnation: `${process.pid}@${performance.timeOrigin}` },
    { heartbeatMs: cfg.heartbeatSeconds * 1000, timeoutSeconds: cfg.heartbeatSeconds * HEARTBEAT_TIMEOUT_FACTOR, log, pidAlive },
  );
  const relay = new Relay(source, deps.wrapPublisher ? deps.wrapPublisher(publisher) : publisher, {
    workerId,
    membership,
    batchSize: cfg.batchSize,
    leaseSeconds: cfg.leaseSeconds,
    maxBatchesInFlight: Math.max(2, Math.ceil(cfg.maxInFlight / cfg.batchSize)),
    appId: APP_ID,
    exchange: topology.events,
    claimers: deps.claimers ?? 1,
    log,
    metrics,
  });
  return { relay, publisher, source, membership };
}
