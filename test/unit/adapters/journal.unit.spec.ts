import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeRecords, encodeRecord, Journal, replay, type JournalRecord } from '@logistics-bridge/adapter-sdk';

const rec = (o: unknown) => encodeRecord(Buffer.from(JSON.stringify(o)));

describe('adapter SDK edge journal', () => {
  describe('framing (pure)', () => {
    it('decodes what it encodes, record by record', () => {
      const buf = Buffer.concat([rec({ p: 1, m: 'a' }), rec({ p: 2, m: 'b' })]);
      const d = decodeRecords(buf);
      assert.equal(d.stop, undefined);
      assert.equal(d.validBytes, buf.length);
      assert.deepEqual(d.records.map((r) => JSON.parse(r.toString())), [{ p: 1, m: 'a' }, { p: 2, m: 'b' }]);
    });

    it('a torn tail (cut in the header or in the payload) keeps the whole records before it', () => {
      const whole = rec({ p: 1, m: 'a' });
      const next = rec({ p: 2, m: 'bbbbbbbb' });
      for (const cut of [1, 7, 8, next.length - 1]) {
        const d = decodeRecords(Buffer.concat([whole, next.subarray(0, cut)]));
        assert.equal(d.stop, 'torn', `cut at ${cut}`);
        assert.equal(d.validBytes, whole.length);
        assert.equal(d.records.length, 1);
      }
    });

    it('a garbled payload is a CRC mismatch: decoding stops there, the records after it are not trusted', () => {
      const a = rec({ p: 1, m: 'a' });
      const b = rec({ p: 2, m: 'b' });
      b[b.length - 2] ^= 0xff;
      const d = decodeRecords(Buffer.concat([a, b, rec({ p: 3, m: 'c' })]));
      assert.equal(d.stop, 'crc');
      assert.equal(d.validBytes, a.length);
      assert.equal(d.records.length, 1);
    });

    it('a garbled length larger than any record is named as such', () => {
      const bad = rec({ p: 1, m: 'a' });
      bad.writeUInt32LE(0xfffffff0, 0);
      assert.equal(decodeRecords(bad).stop, 'length');
    });
  });

  describe('replay (pure)', () => {
    it('live entries are the puts without an ack, in id order, with the segment that holds each', () => {
      const segs: Array<{ name: string; records: Array<JournalRecord<string>> }> = [
        { name: 's1', records: [{ p: 1, m: 'a' }, { p: 2, m: 'b' }, { p: 3, m: 'c' }] },
        { name: 's2', records: [{ a: [1, 3] }, { p: 4, m: 'd' }, { a: [4] }, { p: 5, m: 'e' }] },
      ];
      const r = replay(segs);
      assert.deepEqual(r.entries, [{ id: 2, message: 'b' }, { id: 5, message: 'e' }]);
      assert.deepEqual(r.segments.map((s) => [s.name, [...s.live]]), [['s1', [2]], ['s2', [5]]]);
      assert.equal(r.nextId, 6);
    });

    it('an empty journal starts at id 1', () => {
      assert.deepEqual(replay([]), { entries: [], segments: [], nextId: 1 });
    });
  });

  describe('on disk', () => {
    let dir = '';
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'lb-journal-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('what was appended and not acked comes back after a reopen, in order; acked segments are deleted', async () => {
      const a = await Journal.open<{ n: number }>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      assert.deepEqual(a.entries, []);
      const ids: number[] = [];
      for (let n = 0; n < 300; n++) {
        const { id, durable } = a.journal.append({ n });
        ids.push(id);
        await durable;
      }
      assert.ok((await readdir(dir)).length > 2, 'several segments');
      const written = a.journal.bytes;
      a.journal.ack(ids.slice(0, 200));
      await a.journal.close();
      const b = await Journal.open<{ n: number }>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      assert.deepEqual(b.entries.map((e) => e.message.n), Array.from({ length: 100 }, (_, i) => 200 + i));
      assert.deepEqual(b.recovered, []);
      // The fully acked segments at the head are gone; the bytes left hold the 100 live entries.
      assert.ok(b.journal.bytes < written, `${b.journal.bytes} < ${written}`);
      const { id } = b.journal.append({ n: 300 });
      assert.equal(id, 301, 'ids continue after the highest one');
      await b.journal.close();
    });

    it('a torn tail left by a crash is cut off and the journal goes on after it', async () => {
      const a = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      await a.journal.append('one').durable;
      await a.journal.append('two').durable;
      await a.journal.close();
      const [seg] = (await readdir(dir)).sort();
      const path = join(dir, seg as string);
      const before = (await stat(path)).size;
      await appendFile(path, rec({ p: 3, m: 'three' }).subarray(0, 11));
      const b = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      assert.deepEqual(b.entries.map((e) => e.message), ['one', 'two']);
      assert.deepEqual(b.recovered, [{ segment: seg, stop: 'torn', droppedBytes: 11 }]);
      assert.equal((await stat(path)).size, before, 'truncated to the last whole record');
      await b.journal.append('three').durable;
      await b.journal.close();
      const c = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      assert.deepEqual(c.entries.map((e) => e.message), ['one', 'two', 'three']);
      assert.deepEqual(c.recovered, []);
      await c.journal.close();
    });

    it('a CRC mismatch drops the damaged record and what follows it in that segment, and says so', async () => {
      const a = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      for (const m of ['one', 'two', 'three']) await a.journal.append(m).durable;
      await a.journal.close();
      const [seg] = (await readdir(dir)).sort();
      const path = join(dir, seg as string);
      const buf = await readFile(path);
      const second = rec({ p: 1, m: 'one' }).length;
      buf[second + 10] ^= 0x55; // inside the second record's payload
      await writeFile(path, buf);
      const b = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      assert.deepEqual(b.entries.map((e) => e.message), ['one']);
      assert.equal(b.recovered[0]?.stop, 'crc');
      await b.journal.close();
    });

    it('is bounded in bytes: full once maxBytes is on disk, space again when the head segment is answered', async () => {
      let space = () => undefined as void;
      const spaced = new Promise<void>((r) => (space = r));
      const { journal } = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 8192 }, () => space());
      const ids: number[] = [];
      const payload = 'x'.repeat(1000);
      while (!journal.full) {
        const { id, durable } = journal.append(payload);
        ids.push(id);
        await durable;
      }
      assert.ok(journal.bytes >= 64 * 1024 && journal.bytes < 64 * 1024 + 8192, String(journal.bytes));
      journal.ack(ids.slice(0, 20));
      // The ack is written, then the segments it empties are deleted and the client is told.
      await spaced;
      assert.equal(journal.full, false);
      assert.ok(journal.bytes < 64 * 1024 - 8192, String(journal.bytes));
      await journal.close();
    });

    it('refuses a message larger than a segment with a clear error, before writing anything', async () => {
      const { journal } = await Journal.open<string>({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      assert.throws(() => journal.append('y'.repeat(5000)), /does not fit the journal's 4096-byte segments/);
      await journal.close();
    });
  });
});
