/**
 * Why a stream is not reading, as one set: it reads exactly when the set is empty. The session adds and
 * removes reasons and calls the stream's public `pause()` / `resume()` when `paused` changes.
 *
 * - `hello`: the Hello is being checked (a replaced connection is drained first);
 * - `write`: the adapter does not read its answers (our writes are buffered);
 * - `draining`: shutting down or replaced, never reads again;
 * - `full`: the per-stream in-flight limit is reached (cleared at half of it);
 * - `budget`: the gateway-wide buffer budget is spent.
 */
export type PauseReason = 'hello' | 'write' | 'draining' | 'full' | 'budget';

/** The reasons the adapter is told about with FlowControl PAUSE: the ones about its own pace. */
const HINTED: Partial<Record<PauseReason, string>> = {
  full: 'too many unconfirmed messages on this stream',
  budget: 'gateway buffer budget spent (broker confirms slow)',
};

export class PauseReasons {
  private readonly reasons = new Set<PauseReason>();

  /** Adds or removes `reason`; true when that changed whether the stream is paused. */
  set(reason: PauseReason, on: boolean): boolean {
    const before = this.reasons.size > 0;
    if (on) this.reasons.add(reason);
    else this.reasons.delete(reason);
    return before !== this.reasons.size > 0;
  }

  has(reason: PauseReason): boolean {
    return this.reasons.has(reason);
  }

  get paused(): boolean {
    return this.reasons.size > 0;
  }

  /**
   * The FlowControl reason to send while paused: only when the adapter's pace is the cause and nothing
   * else (a stream that does not read its answers, or is draining, would not read a hint either).
   */
  hint(): string | undefined {
    if (this.reasons.has('write') || this.reasons.has('draining') || this.reasons.has('hello')) return undefined;
    for (const r of this.reasons) if (HINTED[r]) return HINTED[r];
    return undefined;
  }
}
