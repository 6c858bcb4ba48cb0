import type { GatewayError } from './errors';

/**
 * The in-order answers of one adapter stream and its resume point, pure (no I/O, no clock): the
 * session feeds it what it received and what became of it, and writes the answers it hands back.
 *
 * Contract (proto/logistics/device/v1/common.proto): an Ack or Reject for N is written only after every
 * message before N was answered; sequences are strictly increasing per stream; a sequence at or below
 * the resume point the stream reconnected with is a replay (answered "duplicate"), one above it but not
 * above the last seen is out of order (refused, without moving anything). The resume point only moves
 * over answered messages and never past one that could not be made durable (`lost`).
 */

/** `lost`: the update could not be made durable and the call ends; its sequence is never answered. */
export type Outcome = { ack: { updates: number; duplicate: boolean } } | { reject: GatewayError } | { lost: true };

export interface Pending {
  /** 0 when the message had no sequence that can be trusted (refused before or at the sequence check). */
  readonly seq: number;
  readonly receivedAt: number;
  /** Bytes counted in the gateway budget until answered. */
  readonly bytes: number;
  outcome?: Outcome;
}

/** One answer to write, in order. */
export interface Answer {
  pending: Pending;
  outcome: Exclude<Outcome, { lost: true }>;
}

/** What the sequence check says about a message that passed validation. */
export type SequenceVerdict = { kind: 'next' } | { kind: 'replay' } | { kind: 'out_of_order'; lastSeen: number };

export class AnswerQueue {
  private readonly queue: Pending[] = [];
  private head = 0;
  private lastSeen: number;
  private failed = false;

  /** `resumeAfter`: the resume point the stream (re)connected with. */
  constructor(
    private readonly resumeAfter: number,
    private resumePoint: number = resumeAfter,
  ) {
    this.lastSeen = resumeAfter;
  }

  /** Received and not answered yet. */
  get inFlight(): number {
    return this.queue.length - this.head;
  }

  /** The highest sequence answered (durable or finally refused) without a lost message before it. */
  get resume(): number {
    return this.resumePoint;
  }

  /** An update could not be made durable: nothing is answered any more and the resume point stays. */
  get hasFailed(): boolean {
    return this.failed;
  }

  /** The sequence check of a valid message; `next` also records it as seen. */
  check(seq: number): SequenceVerdict {
    if (seq > this.lastSeen) {
      this.lastSeen = seq;
      return { kind: 'next' };
    }
    if (seq <= this.resumeAfter) return { kind: 'replay' };
    return { kind: 'out_of_order', lastSeen: this.lastSeen };
  }

  /**
   * The sequence to answer a refused message under: its own when it can be read and is new (so the
   * adapter learns which one was refused; it is then seen), else 0 (answered without moving anything).
   */
  refusedSequence(seq: number): number {
    if (seq > this.lastSeen) {
      this.lastSeen = seq;
      return seq;
    }
    return 0;
  }

  /** A message taken off the stream; answered later, in this order. */
  enqueue(seq: number, receivedAt: number, bytes: number): Pending {
    const p: Pending = { seq, receivedAt, bytes };
    this.queue.push(p);
    return p;
  }

  /** Records an outcome and hands back what can be answered now, in order (and what leaves the queue). */
  settle(p: Pending, outcome: Outcome): { answers: Answer[]; released: Pending[] } {
    p.outcome = outcome;
    if ('lost' in outcome) this.failed = true;
    const answers: Answer[] = [];
    const released: Pending[] = [];
    while (this.head < this.queue.length) {
      const next = this.queue[this.head] as Pending;
      const o = next.outcome;
      if (!o) break;
      this.head++;
      released.push(next);
      if (this.failed || 'lost' in o) continue;
      answers.push({ pending: next, outcome: o });
      if (next.seq > this.resumePoint) this.resumePoint = next.seq;
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return { answers, released };
  }
}
