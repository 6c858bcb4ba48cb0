import { mkdir, open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecords, encodeRecord, type DecodeStop } from './framing';
import { parseRecord, replay, type JournalRecord, type LiveEntry } from './replay';

export interface JournalOptions {
  /** Directory of the segment files; one client (one stream) per directory. */
  dir: string;
  /** Bound of the files on disk (default 64 MiB): `send*` waits while it is reached. */
  maxBytes?: number;
  /** A segment is closed and a new one started past this size (default: maxBytes / 8). */
  segmentBytes?: number;
}

/** A segment whose tail was cut at recovery: what the adapter's log should say. */
export interface RecoveryNote {
  segment: string;
  stop: DecodeStop;
  droppedBytes: number;
}

export const DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024;
const SEGMENT = /^\d{12}\.seg$/;

interface Segment {
  name: string;
  bytes: number;
  live: Set<number>;
}

interface Queued {
  buf: Buffer;
  id: number;
  done?: { resolve: () => void; reject: (e: Error) => void };
}

/**
 * The adapter's send buffer on disk (durable mode): segment files of framed records (framing.ts), a
 * `put` per message made durable (written and fdatasync'd, in batches: group commit) before `append`'s
 * promise resolves, an `ack` per answered message. Segments are deleted oldest first once every message
 * put in them is answered, so an `ack` record never outlives the `put` it cancels.
 *
 * Why our own files rather than SQLite: the journal is an append-only FIFO, a few dozen lines of
 * framing on plain files, with no native module to build on an edge box (better-sqlite3 13 crashes on
 * Node 20, 12 needs a compiler or a prebuilt binary for the edge's libc and CPU).
 */
export class Journal<M> {
  private readonly segments: Segment[];
  private readonly home = new Map<number, Segment>();
  private queued: Queued[] = [];
  private queuedBytes = 0;
  private totalBytes: number;
  private writing = false;
  private failed: Error | undefined;
  private idleWaiters: Array<() => void> = [];
  private closed = false;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly segmentBytes: number,
    private fh: FileHandle,
    segments: Segment[],
    private nextId: number,
    private readonly onSpace: () => void,
  ) {
    this.segments = segments;
    this.totalBytes = segments.reduce((n, s) => n + s.bytes, 0);
    for (const s of segments) for (const id of s.live) this.home.set(id, s);
  }

  /** Opens (or creates) the journal in `o.dir`; returns the unanswered messages in send order. */
  static async open<M>(o: JournalOptions, onSpace: () => void = () => undefined): Promise<{ journal: Journal<M>; entries: Array<LiveEntry<M>>; recovered: RecoveryNote[] }> {
    const maxBytes = o.maxBytes ?? DEFAULT_JOURNAL_BYTES;
    if (!(maxBytes >= 64 * 1024)) throw new RangeError('journal maxBytes must be at least 64 KiB');
    const segmentBytes = o.segmentBytes ?? Math.floor(maxBytes / 8);
    if (!(segmentBytes >= 4096 && segmentBytes <= maxBytes / 2)) throw new RangeError('journal segmentBytes must be between 4 KiB and maxBytes / 2');
    await mkdir(o.dir, { recursive: true });
    const names = (await readdir(o.dir)).filter((n) => SEGMENT.test(n)).sort();
    const recovered: RecoveryNote[] = [];
    const read: Array<{ name: string; bytes: number; records: Array<JournalRecord<M>> }> = [];
    for (const name of names) {
      const path = join(o.dir, name);
      const buf = await readFile(path);
      const d = decodeRecords(buf);
      if (d.stop) {
        // Cut back to the last whole record, so what is appended later is not hidden behind garbage.
        await truncate(path, d.validBytes);
        recovered.push({ segment: name, stop: d.stop, droppedBytes: buf.length - d.validBytes });
      }
      read.push({ name, bytes: d.validBytes, records: d.records.map((p) => parseRecord<M>(p)).filter((r): r is JournalRecord<M> => r !== undefined) });
    }
    const r = replay(read);
    const segments: Segment[] = r.segments.map((s, i) => ({ name: s.name, live: s.live, bytes: read[i]?.bytes ?? 0 }));
    // Fully answered segments at the head go now; the others wait until their messages are answered.
    while (segments[0] && segments[0].live.size === 0) {
      await unlink(join(o.dir, segments[0].name));
      segments.shift();
    }
    const last = names.length > 0 ? Number((names[names.length - 1] as string).slice(0, 12)) : 0;
    const active: Segment = { name: segmentName(last + 1), bytes: 0, live: new Set() };
    const fh = await open(join(o.dir, active.name), 'a');
    await syncDir(o.dir);
    segments.push(active);
    return { journal: new Journal<M>(o.dir, maxBytes, segmentBytes, fh, segments, r.nextId, onSpace), entries: r.entries, recovered };
  }

  /** Bytes on disk and waiting to be written. */
  get bytes(): number {
    return this.totalBytes + this.queuedBytes;
  }

  /** The byte bound is reached: the client's `send*` waits until answers free a segment. */
  get full(): boolean {
    return this.bytes >= this.maxBytes;
  }

  /**
   * Queues `message`; `durable` resolves once it is on disk (fdatasync'd). Throws at once when the
   * journal failed earlier (disk full, I/O error) or the message could never fit.
   */
  append(message: M): { id: number; durable: Promise<void> } {
    if (this.failed) throw this.failed;
    if (this.closed) throw new Error('the journal is closed');
    const id = this.nextId;
    const buf = encodeRecord(Buffer.from(JSON.stringify({ p: id, m: message })));
    if (buf.length > this.segmentBytes) throw new RangeError(`a message of ${buf.length} bytes does not fit the journal's ${this.segmentBytes}-byte segments`);
    this.nextId += 1;
    const durable = new Promise<void>((resolve, reject) => this.enqueue({ buf, id, done: { resolve, reject } }));
    return { id, durable };
  }

  /** The gateway answered these ids: they are never sent again. Written with the next batch. */
  ack(ids: readonly number[]): void {
    const known = ids.filter((id) => id > 0);
    if (known.length === 0 || this.failed || this.closed) return;
    for (const id of known) {
      this.home.get(id)?.live.delete(id);
      this.home.delete(id);
    }
    this.enqueue({ buf: encodeRecord(Buffer.from(JSON.stringify({ a: known }))), id: 0 });
  }

  /** Writes what is queued, then closes the file (once, however often it is called). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.writing || this.queued.length > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      this.closed = true;
      await this.fh.close();
    })();
    return this.closing;
  }

  private enqueue(q: Queued): void {
    this.queued.push(q);
    this.queuedBytes += q.buf.length;
    this.kick();
  }

  private kick(): void {
    if (this.writing || this.failed) return;
    this.writing = true;
    // Started on the next turn: the send* calls of this turn go out in one write and one fsync.
    void new Promise((r) => setImmediate(r)).then(() => this.writeLoop()).then(
      () => {
        this.writing = false;
        if (this.queued.length > 0) return this.kick();
        for (const w of this.idleWaiters.splice(0)) w();
      },
      (err: unknown) => {
        this.writing = false;
        this.failed = new Error(`the adapter's journal in ${this.dir} failed: ${err instanceof Error ? err.message : String(err)}`);
        for (const q of this.queued.splice(0)) q.done?.reject(this.failed);
        for (const w of this.idleWaiters.splice(0)) w();
      },
    );
  }

  private async writeLoop(): Promise<void> {
    while (this.queued.length > 0) {
      let active = this.segments[this.segments.length - 1] as Segment;
      if (active.bytes >= this.segmentBytes) active = await this.roll();
      const batch = this.queued.splice(0);
      const buf = Buffer.concat(batch.map((q) => q.buf));
      this.queuedBytes -= buf.length;
      try {
        for (let at = 0; at < buf.length; ) at += (await this.fh.write(buf, at, buf.length - at, null)).bytesWritten;
        await this.fh.datasync();
      } catch (err) {
        for (const q of batch) q.done?.reject(err instanceof Error ? err : new Error(String(err)));
        throw err;
      }
      active.bytes += buf.length;
      this.totalBytes += buf.length;
      for (const q of batch) {
        if (q.id > 0) {
          active.live.add(q.id);
          this.home.set(q.id, active);
        }
        q.done?.resolve();
      }
      await this.dropAnswered();
    }
  }

  private async roll(): Promise<Segment> {
    const last = this.segments[this.segments.length - 1] as Segment;
    await this.fh.close();
    const next: Segment = { name: segmentName(Number(last.name.slice(0, 12)) + 1), bytes: 0, live: new Set() };
    this.fh = await open(join(this.dir, next.name), 'a');
    await syncDir(this.dir);
    this.segments.push(next);
    await this.dropAnswered();
    return next;
  }

  /** Oldest first: a later segment may hold the acks of an earlier one's puts. */
  private async dropAnswered(): Promise<void> {
    let freed = false;
    while (this.segments.length > 1 && (this.segments[0] as Segment).live.size === 0) {
      const s = this.segments.shift() as Segment;
      await unlink(join(this.dir, s.name));
      this.totalBytes -= s.bytes;
      freed = true;
    }
    if (freed) this.onSpace();
  }
}

function segmentName(n: number): string {
  return `${String(n).padStart(12, '0')}.seg`;
}

/** A new file's directory entry is durable only once the directory is synced. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
