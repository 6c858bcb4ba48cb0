import { crc32 } from 'node:zlib';

/**
 * Record framing of the edge journal's segment files, pure: each record is
 * `[u32 LE payload length][u32 LE CRC-32 of the payload][payload]`.
 *
 * A process killed mid-write leaves a torn tail (a header or payload cut short); a disk that lost or
 * garbled a sector leaves a CRC mismatch. Length framing cannot resynchronise after either, so
 * decoding stops at the first bad record and says where: the reader keeps what came before and the
 * writer truncates the file there before it appends again.
 */
export const HEADER_BYTES = 8;
/** Far above any message the gateway accepts: a larger length can only be a garbled header. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

export function encodeRecord(payload: Buffer): Buffer {
  if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`journal record of ${payload.length} bytes exceeds ${MAX_RECORD_BYTES}`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

export type DecodeStop = 'torn' | 'crc' | 'length';

export interface Decoded {
  records: Buffer[];
  /** Bytes of whole, valid records from the start: where the file is cut back to. */
  validBytes: number;
  /** Why decoding stopped before the end of the buffer (undefined: the whole buffer was valid). */
  stop?: DecodeStop;
}

export function decodeRecords(buf: Buffer): Decoded {
  const records: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < HEADER_BYTES) return { records, validBytes: at, stop: 'torn' };
    const length = buf.readUInt32LE(at);
    if (length > MAX_RECORD_BYTES) return { records, validBytes: at, stop: 'length' };
    const end = at + HEADER_BYTES + length;
    if (end > buf.length) return { records, validBytes: at, stop: 'torn' };
    const payload = buf.subarray(at + HEADER_BYTES, end);
    if (crc32(payload) !== buf.readUInt32LE(at + 4)) return { records, validBytes: at, stop: 'crc' };
    records.push(payload);
    at = end;
  }
  return { records, validBytes: at };
}
