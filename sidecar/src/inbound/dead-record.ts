import { z } from 'zod';
import type { Service } from '../lifecycle';
import { backoffDelay, sleep, type BackoffPolicy } from '../retry';
import type { Logger } from '../telemetry';
import type { ApplyTarget } from './applier';
import type { DeadStage } from './policy';

/** One update the applier dead-lettered, as Odoo's dead-letter list records it (`record_dead_letters`). */
export interface DeadRecord {
  /** The dead letter's id as the CLI names it (`deadLetterId`): messageId, else a digest of the body. */
  id: string;
  stage: DeadStage;
  reason: string;
  path?: string;
  /** The message body as text: what a Retry in Odoo applies. */
  body: string;
  /** When it was dead-lettered (ISO). */
  at: string;
}

export interface RecorderOptions {
  log: Logger;
  /** Records waiting for Odoo at most; beyond, new ones are not recorded (they stay in the dead queue). */
  capacity?: number;
  batchSize?: number;
  backoff?: BackoffPolicy;
}

const answerSchema = z.array(z.object({ id: z.string(), status: z.enum(['recorded', 'applied', 'retry']) }));

/**
 * Records dead-lettered updates in Odoo's dead-letter list, after RabbitMQ confirmed the dead copy.
 * The dead queue is the truth: a record Odoo does not take now (Odoo down, a restart, the buffer full) is
 * sent again with backoff while the sidecar runs, and whatever is still unrecorded is only missing from
 * the Odoo list, never lost: `logistics-bridge dead list|show|replay` reads the queue, and a message
 * dead-lettered again by a replay is recorded again (Odoo counts it, one row per key).
 */
export class DeadLetterRecorder implements Service {
  readonly name = 'dead-letter-recorder';
  private waiting: DeadRecord[] = [];
  private wake: () => void = () => undefined;
  private readonly capacity: number;

  constructor(
    private readonly odoo: ApplyTarget,
    private readonly opts: RecorderOptions,
  ) {
    this.capacity = opts.capacity ?? 10_000;
  }

  /** Queued for Odoo; never blocks the applier. */
  add(record: DeadRecord): void {
    if (this.waiting.length >= this.capacity) {
      this.opts.log.warn('too many dead letters waiting for Odoo; this one is only in the dead queue (dead list shows it)', { id: record.id, waiting: this.waiting.length });
      return;
    }
    this.waiting.push(record);
    this.wake();
  }

  /** Records waiting for Odoo (tests, metrics). */
  get backlog(): number {
    return this.waiting.length;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { log } = this.opts;
    const onAbort = () => this.wake();
    signal.addEventListener('abort', onAbort, { once: true });
    let failures = 0;
    try {
      while (!signal.aborted) {
        if (this.waiting.length === 0) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = () => undefined;
          continue;
        }
        const batch = this.waiting.slice(0, this.opts.batchSize ?? 100);
        try {
          const answer = answerSchema.parse(await this.odoo.executeKw('logistics.bridge.update', 'record_dead_letters', [batch], {}, { idempotent: true }));
          const again = new Set(answer.filter((a) => a.status === 'retry').map((a) => a.id));
          this.waiting = [...batch.filter((r) => again.has(r.id)), ...this.waiting.slice(batch.length)];
          if (failures) log.info('Odoo records dead letters again', { failedCalls: failures });
          failures = 0;
        } catch (err) {
          failures++;
          const delay = backoffDelay(failures - 1, this.opts.backoff ?? { baseMs: 500, maxMs: 30_000 });
          log[failures === 1 ? 'warn' : 'debug']('could not record dead letters in Odoo; sent again later (they are in the dead queue meanwhile)', { waiting: this.waiting.length, failedCalls: failures, retryInMs: delay, error: err instanceof Error ? err.message : String(err) });
          await sleep(delay, signal).catch(() => undefined);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (this.waiting.length) log.warn('stopping with dead letters not recorded in Odoo; they are in the dead queue (dead list)', { waiting: this.waiting.length });
    }
  }
}
