/**
 * The sliding confirm window: at most `size` messages published and not yet confirmed. Pure (no I/O):
 * `acquire` resolves when a slot is free, `release` frees one when the broker confirms, nacks, or the
 * channel dies. Waiters are served in FIFO order so publish order is kept.
 */
export class ConfirmWindow {
  private used = 0;
  private readonly waiters: Array<{ resolve: () => void; reject: (err: unknown) => void; signal?: AbortSignal; onAbort?: () => void }> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`confirm window must be a positive integer, got ${size}`);
  }

  get inFlight(): number {
    return this.used;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Takes a free slot at once if there is one and nobody waits for it (no promise): true when taken. */
  tryAcquire(): boolean {
    if (this.used < this.size && this.waiters.length === 0) {
      this.used++;
      return true;
    }
    return false;
  }

  /** Takes a slot, waiting for one if the window is full; rejects with the signal's reason on abort. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.used < this.size && this.waiters.length === 0) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  release(): void {
    if (this.used === 0) throw new Error('ConfirmWindow.release without a matching acquire');
    const next = this.waiters.shift();
    if (next) {
      // The slot passes straight to the next waiter: `used` stays the same.
      if (next.onAbort) next.signal?.removeEventListener('abort', next.onAbort);
      next.resolve();
    } else {
      this.used--;
    }
  }
}
