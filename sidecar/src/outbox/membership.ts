import { sleep } from '../retry';
import type { Logger } from '../telemetry';
import type { HeartbeatResult, RegisterResult, RelayPeer } from './event';
import { describeFailure, failureKind, retryDelay } from './policy';

/** Who this relay process is, as the addon's relay registry records it. */
export interface RelayIdentity {
  /** The lease owner name (RELAY_WORKER_ID); one live process per worker id. */
  workerId: string;
  /** Random per process: a restart is a new instance of the same worker id. */
  instance: string;
  host: string;
  pid: number;
  /** Tells this process apart from an earlier one that had the same pid on this host. */
  incarnation: string;
}

/** The registry calls of the addon (`logistics.bridge.relay`); OdooRelayRegistry in production. */
export interface RelayRegistry {
  register(identity: RelayIdentity, timeoutSeconds: number, replaces: string[]): Promise<RegisterResult>;
  heartbeat(workerId: string, instance: string): Promise<HeartbeatResult>;
  unregister(workerId: string, instance: string): Promise<{ released: number }>;
}

/**
 * The registry entries this process can prove dead without waiting for their heartbeat to go stale:
 * registered from this host, and their pid is gone, or is ours but from an earlier process (a
 * container restarted: same hostname, pid 1 again). Entries of this very process (other relays in it)
 * and of other hosts are never proved dead here.
 */
export function provedDead(candidates: readonly RelayPeer[], self: RelayIdentity, pidAlive: (pid: number) => boolean): RelayPeer[] {
  return candidates.filter((p) => {
    if (p.host !== self.host || p.pid === null || !p.instance || p.instance === self.instance) return false;
    if (p.pid === self.pid) return p.incarnation !== self.incarnation;
    return !pidAlive(p.pid);
  });
}

/** The refusal an operator reads when another live process holds this worker id. */
export function refusalMessage(workerId: string, holder: RelayPeer | null, timeoutSeconds: number): string {
  const where = holder ? `host ${holder.host ?? '?'} pid ${holder.pid ?? '?'}, last heartbeat ${holder.heartbeat_age_s?.toFixed(1) ?? '?'} s ago` : 'another process';
  return `RELAY_WORKER_ID "${workerId}" is held by a live relay (${where}): two relays must not share a worker id (set a unique RELAY_WORKER_ID); this relay claims nothing until that one stops or is silent for ${timeoutSeconds} s`;
}

export interface MembershipOptions {
  heartbeatMs: number;
  /** Silent for this long, a relay is declared dead by its peers and its claims are released. */
  timeoutSeconds: number;
  log: Logger;
  pidAlive: (pid: number) => boolean;
}

/**
 * This relay's place in the addon's relay registry: register before the first claim (taking over the
 * claims of a proved-dead predecessor at once), heartbeat while running, unregister on shutdown. While
 * the worker id is refused (another live process holds it) the relay does not claim.
 */
export class Membership {
  private registered = false;
  private refusal: string | undefined;
  private admittedNow = deferred();

  constructor(
    private readonly registry: RelayRegistry,
    readonly identity: RelayIdentity,
    private readonly opts: MembershipOptions,
  ) {}

  /** For readiness: undefined while the worker id is this process's, else why not. */
  problem(): string | undefined {
    if (this.registered) return undefined;
    return this.refusal ?? `relay "${this.identity.workerId}" is not registered with Odoo yet`;
  }

  /** Resolves while (or once) this process holds its worker id. */
  admitted(signal: AbortSignal): Promise<void> {
    if (this.registered) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      void this.admittedNow.promise.then(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Registers, then heartbeats until the signal aborts; registers again whenever the registry forgot us. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.registered) await this.join(signal);
      await sleep(this.opts.heartbeatMs, signal).catch(() => undefined);
      if (signal.aborted) break;
      try {
        const beat = await this.registry.heartbeat(this.identity.workerId, this.identity.instance);
        if (beat.released) this.opts.log.warn('released the claims of relays that stopped heartbeating', { released: beat.released });
        if (!beat.registered) {
          this.opts.log.warn('the relay registry no longer lists this process (silent too long, or its worker id was taken); registering again', { workerId: this.identity.workerId });
          this.registered = false;
          this.admittedNow = deferred();
        }
      } catch (err) {
        this.opts.log.warn(describeFailure(failureKind(err), 'heartbeat'), { error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** Shutdown: hands back what is still claimed (nothing, after a clean drain) and frees the worker id. */
  async leave(): Promise<void> {
    if (!this.registered) return;
    try {
      const { released } = await this.registry.unregister(this.identity.workerId, this.identity.instance);
      this.registered = false;
      if (released) this.opts.log.info('released claims left at shutdown', { released });
    } catch (err) {
      this.opts.log.warn('could not unregister from Odoo; peers declare this relay dead after its heartbeat timeout', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async join(signal: AbortSignal): Promise<void> {
    const { log, timeoutSeconds } = this.opts;
    for (let failures = 0; !signal.aborted; ) {
      try {
        let answer = await this.registry.register(this.identity, timeoutSeconds, []);
        const dead = provedDead([...answer.peers, ...(answer.holder ? [answer.holder] : [])], this.identity, this.opts.pidAlive);
        if (dead.length) {
          answer = await this.registry.register(this.identity, timeoutSeconds, dead.map((p) => p.instance as string));
          log.info('earlier relay processes of this host are gone: their claims are released at once', { workers: dead.map((p) => p.worker_id), released: answer.released });
        }
        if (answer.registered) {
          if (this.refusal) log.info('worker id free again; relay resumes', { workerId: this.identity.workerId });
          this.registered = true;
          this.refusal = undefined;
          this.admittedNow.resolve();
          return;
        }
        const message = refusalMessage(this.identity.workerId, answer.holder, timeoutSeconds);
        if (message !== this.refusal) log.error(message, { workerId: this.identity.workerId });
        this.refusal = message;
        failures = 0;
        await sleep(this.opts.heartbeatMs, signal);
      } catch (err) {
        if (signal.aborted) return;
        const kind = failureKind(err);
        log[failures === 0 ? 'error' : 'warn'](describeFailure(kind, 'register'), { error: err instanceof Error ? err.message : String(err) });
        await sleep(retryDelay(failures++, kind), signal).catch(() => undefined);
      }
    }
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
