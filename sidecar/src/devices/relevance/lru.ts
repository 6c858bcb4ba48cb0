/**
 * A Map bounded by entry count, evicting the least recently written entry. Relevance state must stay
 * bounded whatever the devices send (a sorter sees millions of SSCCs); evicting old state is safe because
 * idempotency keys are deterministic: at worst an evicted parcel is re-emitted with the same key and
 * Odoo answers "duplicate".
 */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  /** Writes and marks the entry most recent; returns the evicted entry's key, if any. */
  set(key: K, value: V): K | undefined {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value as K;
      this.map.delete(oldest);
      return oldest;
    }
    return undefined;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Oldest first. */
  entries(): IterableIterator<[K, V]> {
    return this.map.entries();
  }

  /** The oldest entry, without touching it. */
  oldest(): [K, V] | undefined {
    const first = this.map.entries().next();
    return first.done ? undefined : first.value;
  }
}
