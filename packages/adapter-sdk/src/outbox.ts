/**
 * The adapter's send buffer, pure (no I/O, no timers): messages wait here from `send*` until the
 * gateway acknowledges them, so a reconnect can resend exactly what is not durable yet.
 *
 * Sequence numbers are assigned when a message is first transmitted, not when it is queued: before the
 * first HelloAck the adapter does not know where the gateway's numbering stands (after an adapter
 * restart the gateway may remember sequence 5,000 for this stream, and anything at or below it would
 * be taken for a replay). A transmitted message keeps its number for every resend.
 */
export interface OutboxEntry<M> {
  /** 0 until first transmitted. */
  sequence: number;
  message: M;
  /** Transmitted on the current connection. */
  sent: boolean;
  /** Its id in the edge journal (durable mode), 0 in memory mode: answered entries are acked there. */
  journalId: number;
}

export class Outbox<M> {
  private entries: Array<OutboxEntry<M>> = [];
  private nextSequence = 1;
  private lastAcked = 0;
  private sentCount = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
  }

  get size(): number {
    return this.entries.length;
  }

  get full(): boolean {
    return this.entries.length >= this.capacity;
  }

  /** Highest sequence the gateway acknowledged (or resumed after). */
  get acked(): number {
    return this.lastAcked;
  }

  /** Messages transmitted on this connection and not answered yet. */
  get inFlight(): number {
    return this.sentCount;
  }

  push(message: M, journalId = 0): void {
    this.entries.push({ sequence: 0, message, sent: false, journalId });
  }

  /**
   * A (re)connection was accepted with `resumeAfter`: everything up to it is durable and leaves the
   * buffer (returned); everything else will be transmitted again, in order, with the numbers it already had.
   */
  resume(resumeAfter: number): Array<OutboxEntry<M>> {
    const durable = this.entries.filter((e) => e.sequence !== 0 && e.sequence <= resumeAfter);
    this.entries = this.entries.filter((e) => e.sequence === 0 || e.sequence > resumeAfter);
    for (const e of this.entries) e.sent = false;
    this.sentCount = 0;
    if (resumeAfter > this.lastAcked) this.lastAcked = resumeAfter;
    // Never reuse a number the gateway has seen: it would answer "duplicate" and drop the message.
    if (resumeAfter + 1 > this.nextSequence) this.nextSequence = resumeAfter + 1;
    return durable;
  }

  /** The next message to transmit, numbered, or undefined when everything is in flight. */
  next(): OutboxEntry<M> | undefined {
    const entry = this.entries.find((e) => !e.sent);
    if (!entry) return undefined;
    if (entry.sequence === 0) {
      entry.sequence = this.nextSequence;
      this.nextSequence += 1;
    }
    entry.sent = true;
    this.sentCount += 1;
    return entry;
  }

  /**
   * The gateway answered `sequence` (answers come in order, so this settles everything up to it).
   * Returns the settled entries, oldest first.
   */
  settle(sequence: number): Array<OutboxEntry<M>> {
    const settled: Array<OutboxEntry<M>> = [];
    const kept: Array<OutboxEntry<M>> = [];
    for (const e of this.entries) {
      if (e.sequence !== 0 && e.sequence <= sequence) {
        settled.push(e);
        if (e.sent) this.sentCount -= 1;
      } else kept.push(e);
    }
    this.entries = kept;
    if (sequence > this.lastAcked) this.lastAcked = sequence;
    return settled;
  }

  /**
   * A retryable reject (rate limit, broker down): the message goes back to the front of the queue with
   * a new number, because the gateway only accepts increasing numbers on a stream. Its idempotency key
   * is unchanged, so Odoo still applies it once.
   */
  requeue(sequence: number): OutboxEntry<M> | undefined {
    const index = this.entries.findIndex((e) => e.sequence === sequence);
    if (index === -1) return undefined;
    const [entry] = this.entries.splice(index, 1) as [OutboxEntry<M>];
    if (entry.sent) this.sentCount -= 1;
    const firstUnsent = this.entries.findIndex((e) => !e.sent);
    const fresh: OutboxEntry<M> = { sequence: 0, message: entry.message, sent: false, journalId: entry.journalId };
    if (firstUnsent === -1) this.entries.push(fresh);
    else this.entries.splice(firstUnsent, 0, fresh);
    return entry;
  }
}
