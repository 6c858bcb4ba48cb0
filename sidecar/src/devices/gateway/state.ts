/**
 * Per adapter-stream state the gateway keeps across reconnects (resume points, ERP-relevance state),
 * bounded by a number of streams. Stream ids are chosen by adapters, so without a bound a misbehaving
 * adapter could grow them forever. When full, the least recently used entry whose stream is not
 * connected now is evicted. Forgetting is safe by the contract: a forgotten resume point reads as 0,
 * the adapter then resends what it still holds and those messages keep their idempotency keys (the
 * same as after a gateway restart); forgotten relevance state re-emits at worst an update with the
 * same deterministic key, which Odoo answers "duplicate".
 */
export class StreamStateMap<V> {
  private readonly map = new Map<string, V>();
  evictions = 0;

  constructor(
    readonly capacity: number,
    /** True while the stream of `key` is connected: its state is never evicted. */
    private readonly pinned: (key: string) => boolean = () => false,
  ) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Writes and marks `key` most recently used, then evicts beyond the capacity. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size <= this.capacity) return;
    for (const k of this.map.keys()) {
      if (this.map.size <= this.capacity) break;
      if (k === key || this.pinned(k)) continue;
      this.map.delete(k);
      this.evictions += 1;
    }
  }

  /** Marks `key` most recently used. */
  touch(key: string): void {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.map.set(key, v);
  }

  delete(key: string): boolean {
    return this.map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.map.values();
  }

  entries(): IterableIterator<[string, V]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.map.entries();
  }
}
