export { Journal, DEFAULT_JOURNAL_BYTES, type JournalOptions, type RecoveryNote } from './journal';
export { encodeRecord, decodeRecords, HEADER_BYTES, type Decoded, type DecodeStop } from './framing';
export { replay, parseRecord, type JournalRecord, type LiveEntry, type Replayed } from './replay';
