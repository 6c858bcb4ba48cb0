import { BoundedMap } from './lru';

/**
 * Drops the same code read again by the same device within `windowMs`. The window slides: every repeat
 * restarts it, so a trigger held down (continuous mode, a read every 100 ms) yields one scan however long
 * it is held, while a worker deliberately scanning the same item twice at human pace (a second or more
 * apart, window default 500 ms) still counts twice.
 */
export class ScanDebouncer {
  private readonly lastSeen: BoundedMap<string, number>;

  constructor(
    private readonly windowMs: number,
    capacity = 50_000,
  ) {
    this.lastSeen = new BoundedMap(capacity);
  }

  /** True when this read is a repeat to drop. Times may come from the device: never trust them to be monotonic. */
  isRepeat(deviceId: string, code: string, nowMs: number): boolean {
    const key = `${deviceId}\u0000${code}`;
    const previous = this.lastSeen.get(key);
    this.lastSeen.set(key, nowMs);
    this.prune(nowMs);
    return previous !== undefined && Math.abs(nowMs - previous) < this.windowMs;
  }

  /** Entries kept (bounded by the capacity and by the window). */
  get size(): number {
    return this.lastSeen.size;
  }

  // Entries are ordered by last write, so expired ones sit at the front.
  private prune(nowMs: number): void {
    for (let oldest = this.lastSeen.oldest(); oldest && nowMs - oldest[1] >= this.windowMs; oldest = this.lastSeen.oldest()) {
      this.lastSeen.delete(oldest[0]);
    }
  }
}
