import { z } from 'zod';
import { keyExpiryWarning, type OdooClient } from '../odoo';
import { diagnoseOdooError, type OdooTargetInfo } from './diagnose';
import { CheckFailure, type ReadinessCheck } from './server';

/** The addon's readiness answer (`logistics.bridge.event.bridge_ping`). */
const pingSchema = z.object({ addon_version: z.string(), database: z.string(), login: z.string() });

export interface OdooCheckDeps {
  odoo: Pick<OdooClient, 'version' | 'executeKw' | 'keyStatus'>;
  target: OdooTargetInfo & { keyWarnDays: number };
}

export interface BridgeCheckDeps extends OdooCheckDeps {
  broker: { isConnected(): boolean };
  /** The relay's publisher: ready once its channel is open and the topology declared. */
  publisher: { ready(signal?: AbortSignal): Promise<void> };
  /** The relay's registration: undefined while it holds its worker id, else why not. */
  relay: { problem(): string | undefined };
}

/**
 * "The bridge can flow": Odoo answers; the service user logs in to the database; the addon is
 * installed and its API callable by that user (`bridge_ping`, which needs the Integration service
 * group); RabbitMQ is connected with the relay's topology declared; the relay holds its worker id.
 * Each failure names its cause and fix (diagnose.ts).
 */
export function bridgeChecks(d: BridgeCheckDeps): ReadinessCheck[] {
  return [
    ...odooChecks(d),
    {
      name: 'rabbitmq',
      check: async (signal) => {
        if (!d.broker.isConnected()) throw new CheckFailure('not connected to RabbitMQ', 'check AMQP_URL (host, credentials, vhost) and that RabbitMQ runs; the sidecar log says why it cannot connect');
        await d.publisher.ready(signal);
        return 'connected, topology declared';
      },
      onTimeout: {
        error: "connected to RabbitMQ, but the relay's channel with its topology (exchange logistics.events) is not open",
        fix: 'see the sidecar log: e.g. PRECONDITION_FAILED when an exchange or queue of that name exists with other arguments, or ACCESS_REFUSED for a user without configure rights on the vhost',
      },
    },
    {
      name: 'relay',
      after: 'logistics_bridge',
      check: async () => {
        const problem = d.relay.problem();
        if (problem) throw new CheckFailure(problem, 'give every relay process its own RELAY_WORKER_ID (or leave it unset: host-pid)');
        return 'registered';
      },
    },
  ];
}

/** An Odoo call whose failure becomes the CheckFailure diagnose.ts names (cause and fix). */
export function odooCall(target: OdooTargetInfo): <T>(call: () => Promise<T>) => Promise<T> {
  return async (call) => {
    try {
      return await call();
    } catch (err) {
      const { error, fix } = diagnoseOdooError(err, target);
      throw new CheckFailure(error, fix);
    }
  };
}

/** The addon's readiness answer, parsed (the version check of `doctor` reads it again). */
export async function bridgePing(d: OdooCheckDeps, signal?: AbortSignal): Promise<z.infer<typeof pingSchema>> {
  return odooCall(d.target)(async () => pingSchema.parse(await d.odoo.executeKw('logistics.bridge.event', 'bridge_ping', [], {}, { idempotent: true, signal })));
}

/** Odoo's part of readiness, shared by /readyz and `doctor`: the server, the login, the addon, the API key. */
export function odooChecks(d: OdooCheckDeps): ReadinessCheck[] {
  const call = odooCall(d.target);
  return [
    { name: 'odoo', check: async (signal) => `Odoo ${(await call(() => d.odoo.version(signal))).server_version} at ${d.target.url}` },
    {
      name: 'odoo_login',
      after: 'odoo',
      // An authenticated call rather than a fresh login each time: Odoo caches a checked key, while a
      // login hashes the secret again (a password costs Odoo ~0.5 s of CPU). Not aborted at the
      // deadline: a slow first login still completes, and the next probe uses it.
      check: async () => {
        await call(() => d.odoo.executeKw('res.users', 'context_get', [], {}, { idempotent: true }));
        return `${d.target.login} on database ${d.target.db}`;
      },
    },
    {
      name: 'logistics_bridge',
      after: 'odoo_login',
      check: async (signal) => {
        const ping = await bridgePing(d, signal);
        return `logistics_bridge ${ping.addon_version}`;
      },
    },
    {
      name: 'api_key',
      after: 'logistics_bridge',
      // Ready until the key expires; ODOO_KEY_WARN_DAYS ahead of that, the report carries a warning.
      check: async (signal) => {
        const key = await call(() => d.odoo.keyStatus(signal));
        const warning = keyExpiryWarning(key, new Date(), d.target.keyWarnDays);
        return { detail: key.expires_at ? `expires ${key.expires_at.toISOString()}` : 'no expiry', ...(warning ? { warning } : {}) };
      },
    },
  ];
}
