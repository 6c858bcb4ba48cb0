/**
 * What a journal's records mean, pure: a `put` record holds one message under an id that increases in
 * send order; an `ack` record says the gateway answered those ids (durable, or finally rejected), so they
 * are never sent again. The live entries are the puts without an ack, in id order: the order they are
 * drained in after a restart.
 */
export type JournalRecord<M> = { p: number; m: M } | { a: number[] };

export interface LiveEntry<M> {
  id: number;
  message: M;
}

export interface ReplayedSegment {
  name: string;
  /** Ids put in this segment that are not acknowledged yet: the segment is deleted when none is left. */
  live: Set<number>;
}

export interface Replayed<M> {
  entries: Array<LiveEntry<M>>;
  segments: ReplayedSegment[];
  /** The id the next put gets. */
  nextId: number;
}

export function parseRecord<M>(payload: Buffer): JournalRecord<M> | undefined {
  try {
    const r = JSON.parse(payload.toString('utf8')) as unknown;
    if (typeof r !== 'object' || r === null) return undefined;
    if ('p' in r && typeof r.p === 'number' && 'm' in r) return r as JournalRecord<M>;
    if ('a' in r && Array.isArray(r.a)) return r as JournalRecord<M>;
  } catch {
    // a record with a valid CRC that is not JSON was not written by this journal
  }
  return undefined;
}

export function replay<M>(segments: ReadonlyArray<{ name: string; records: ReadonlyArray<JournalRecord<M>> }>): Replayed<M> {
  const messages = new Map<number, M>();
  const home = new Map<number, ReplayedSegment>();
  const out: ReplayedSegment[] = [];
  let nextId = 1;
  for (const s of segments) {
    const seg: ReplayedSegment = { name: s.name, live: new Set() };
    out.push(seg);
    for (const r of s.records) {
      if ('p' in r) {
        messages.set(r.p, r.m);
        seg.live.add(r.p);
        home.set(r.p, seg);
        if (r.p >= nextId) nextId = r.p + 1;
      } else {
        for (const id of r.a) {
          messages.delete(id);
          home.get(id)?.live.delete(id);
          home.delete(id);
        }
      }
    }
  }
  const entries = [...messages.entries()].sort((a, b) => a[0] - b[0]).map(([id, message]) => ({ id, message }));
  return { entries, segments: out, nextId };
}
