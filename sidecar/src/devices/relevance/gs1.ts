/**
 * GS1 barcode parsing, pure. A scanner hands us what it decoded: a GS1-128 / GS1 DataMatrix element string
 * (with or without the AIM symbology identifier `]C1`, `]d2`, `]Q3`, `]e0`), the human-readable form with
 * parentheses `(01)…(17)…`, a bare EAN/UPC (GTIN-8/12/13), or a non-GS1 code (a location label, an
 * internal reference). Only the first kinds carry check digits; a wrong one means a misread or a damaged
 * label, and the ERP must never receive it, so every failure names the AI and the reason.
 *
 * Reference: GS1 General Specifications, section 3 (application identifiers) and 7.9 (check digits).
 */

import { gs1CheckDigit, hasValidCheckDigit } from '@logistics-bridge/contract';

/** ASCII 29, how scanners transmit FNC1 when it ends a variable-length field. */
export const GS = '\u001d';

export type Gs1ErrorCode =
  | 'GS1_EMPTY'
  | 'GS1_UNKNOWN_AI'
  | 'GS1_LENGTH'
  | 'GS1_CHARSET'
  | 'GS1_CHECK_DIGIT'
  | 'GS1_DATE'
  | 'GS1_DUPLICATE_AI';

export interface Gs1Error {
  code: Gs1ErrorCode;
  /** The application identifier the problem is in, when there is one. */
  ai: string | null;
  /** Human-readable reason, fit for a scanner display or an exception activity. */
  reason: string;
  /** Offset in the data (after the symbology prefix) where the problem starts. */
  position: number;
}

export interface Gs1Elements {
  /** Every AI with its raw value (object key order is not scan order: AIs look like integer keys). */
  raw: Record<string, string>;
  sscc?: string;
  gtin?: string;
  lot?: string;
  serial?: string;
  /** ISO date `YYYY-MM-DD`; a day `00` means the last day of the month (GS1 rule). */
  expiry?: string;
  /** Net weight in kg from AI (310n). */
  netWeightKg?: number;
  /** Count of trade items, AI (37). */
  count?: number;
}

export type ScanParse =
  | { ok: true; kind: 'gs1'; elements: Gs1Elements }
  /** A non-GS1 code (location label, internal reference): passed on as text, no check digit to verify. */
  | { ok: true; kind: 'plain'; code: string }
  | { ok: false; error: Gs1Error };

interface AiSpec {
  /** Exact data length for fixed fields, or the maximum for variable ones. */
  length: number;
  fixed: boolean;
  numeric: boolean;
  check?: 'mod10';
  date?: boolean;
}

// The AIs a warehouse floor actually scans. An AI outside this table cannot be skipped safely (its length
// is unknown), so it is an error rather than a guess.
const AI_TABLE: Record<string, AiSpec> = {
  '00': { length: 18, fixed: true, numeric: true, check: 'mod10' },
  '01': { length: 14, fixed: true, numeric: true, check: 'mod10' },
  '02': { length: 14, fixed: true, numeric: true, check: 'mod10' },
  '10': { length: 20, fixed: false, numeric: false },
  '11': { length: 6, fixed: true, numeric: true, date: true },
  '13': { length: 6, fixed: true, numeric: true, date: true },
  '15': { length: 6, fixed: true, numeric: true, date: true },
  '17': { length: 6, fixed: true, numeric: true, date: true },
  '21': { length: 20, fixed: false, numeric: false },
  '30': { length: 8, fixed: false, numeric: true },
  '37': { length: 8, fixed: false, numeric: true },
  '400': { length: 30, fixed: false, numeric: false },
  '410': { length: 13, fixed: true, numeric: true, check: 'mod10' },
  '414': { length: 13, fixed: true, numeric: true, check: 'mod10' },
  '420': { length: 20, fixed: false, numeric: false },
};
for (let n = 0; n <= 5; n += 1) AI_TABLE[`310${n}`] = { length: 6, fixed: true, numeric: true };

const SYMBOLOGY_PREFIXES = [']C1', ']d2', ']Q3', ']e0', ']J1'];
const EAN_PREFIXES = [']E0', ']E3', ']E4'];
// GS1 AI encodable character set 82 (ISO 646 subset).
const CSET82 = /^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$/;

/** GTIN-8/12/13/14 with a valid check digit, normalised to 14 digits (the form Odoo barcodes compare with). */
export function normaliseGtin(code: string): { ok: true; gtin14: string } | { ok: false; error: Gs1Error } {
  if (!/^\d+$/.test(code) || ![8, 12, 13, 14].includes(code.length)) {
    return { ok: false, error: { code: 'GS1_LENGTH', ai: '01', reason: `GTIN must be 8, 12, 13 or 14 digits, got "${code}"`, position: 0 } };
  }
  if (!hasValidCheckDigit(code)) {
    return { ok: false, error: checkDigitError('01', code, 0) };
  }
  return { ok: true, gtin14: code.padStart(14, '0') };
}

function checkDigitError(ai: string, value: string, position: number): Gs1Error {
  const expected = gs1CheckDigit(value.slice(0, -1));
  return {
    code: 'GS1_CHECK_DIGIT',
    ai,
    reason: `check digit of (${ai}) ${value} is ${value[value.length - 1]}, expected ${expected}`,
    position,
  };
}

export interface ParseOptions {
  /** Year used to place two-digit years in the right century (GS1 sliding window). */
  referenceYear?: number;
}

/**
 * Parses one decoded scan. Bare 8/12/13/14-digit codes are GTINs; a symbology prefix, parentheses or a
 * leading known AI with a valid shape mean an element string; anything else is a plain code.
 */
export function parseScan(input: string, options: ParseOptions = {}): ScanParse {
  let data = input.replace(/[\r\n]+$/, '');
  if (data.length === 0) return { ok: false, error: { code: 'GS1_EMPTY', ai: null, reason: 'empty scan', position: 0 } };

  const eanPrefix = EAN_PREFIXES.find((p) => data.startsWith(p));
  if (eanPrefix) return gtinOnly(data.slice(eanPrefix.length));

  const prefix = SYMBOLOGY_PREFIXES.find((p) => data.startsWith(p));
  if (prefix) return parseElementString(data.slice(prefix.length), options);
  if (data.startsWith('(')) return parseHumanReadable(data, options);
  // Some scanners send FNC1 in first position as a leading GS.
  if (data.startsWith(GS)) return parseElementString(data.slice(1), options);

  if (/^\d+$/.test(data) && [8, 12, 13, 14].includes(data.length)) return gtinOnly(data);
  if (/^\d/.test(data) && looksLikeElementString(data)) return parseElementString(data, options);
  data = data.trim();
  return { ok: true, kind: 'plain', code: data };
}

function gtinOnly(code: string): ScanParse {
  const result = normaliseGtin(code);
  if (!result.ok) return result;
  return { ok: true, kind: 'gs1', elements: { raw: { '01': result.gtin14 }, gtin: result.gtin14 } };
}

// Without a prefix we only treat a code as an element string when it opens with (00) or (01) at full
// length: a location label like "1004" must stay a plain code.
function looksLikeElementString(data: string): boolean {
  return (/^00\d{18}/.test(data) || /^01\d{14}/.test(data)) && !/[^\x1d!-~]/.test(data);
}

/** Parses the raw data of an element string (FNC1-separated). */
export function parseElementString(data: string, options: ParseOptions = {}): ScanParse {
  const fields: Array<{ ai: string; value: string; position: number }> = [];
  let pos = 0;
  if (data.length === 0) return { ok: false, error: { code: 'GS1_EMPTY', ai: null, reason: 'no element string after prefix', position: 0 } };
  while (pos < data.length) {
    if (data[pos] === GS) {
      pos += 1;
      continue;
    }
    const ai = matchAi(data, pos);
    if (!ai) {
      return { ok: false, error: { code: 'GS1_UNKNOWN_AI', ai: data.slice(pos, pos + 4), reason: `unknown or unsupported application identifier at "${data.slice(pos, pos + 4)}"`, position: pos } };
    }
    const spec = AI_TABLE[ai] as AiSpec;
    const start = pos + ai.length;
    let value: string;
    if (spec.fixed) {
      value = data.slice(start, start + spec.length);
      pos = start + spec.length;
      if (value.includes(GS) || value.length !== spec.length) {
        return { ok: false, error: { code: 'GS1_LENGTH', ai, reason: `(${ai}) needs exactly ${spec.length} characters`, position: start } };
      }
    } else {
      const end = data.indexOf(GS, start);
      value = data.slice(start, end === -1 ? data.length : end);
      pos = end === -1 ? data.length : end + 1;
      if (value.length === 0 || value.length > spec.length) {
        return { ok: false, error: { code: 'GS1_LENGTH', ai, reason: `(${ai}) takes 1 to ${spec.length} characters, got ${value.length} (missing FNC1 separator?)`, position: start } };
      }
    }
    fields.push({ ai, value, position: start });
  }
  return buildElements(fields, options);
}

function parseHumanReadable(data: string, options: ParseOptions): ScanParse {
  const fields: Array<{ ai: string; value: string; position: number }> = [];
  const re = /\((\d{2,4})\)([^(]*)/g;
  let consumed = 0;
  for (let m = re.exec(data); m; m = re.exec(data)) {
    if (m.index !== consumed) break;
    const ai = m[1] as string;
    const value = (m[2] as string).trim();
    const spec = AI_TABLE[ai];
    if (!spec) return { ok: false, error: { code: 'GS1_UNKNOWN_AI', ai, reason: `unknown or unsupported application identifier (${ai})`, position: m.index } };
    if (spec.fixed ? value.length !== spec.length : value.length === 0 || value.length > spec.length) {
      return { ok: false, error: { code: 'GS1_LENGTH', ai, reason: `(${ai}) ${spec.fixed ? `needs exactly ${spec.length}` : `takes 1 to ${spec.length}`} characters, got ${value.length}`, position: m.index + ai.length + 2 } };
    }
    fields.push({ ai, value, position: m.index + ai.length + 2 });
    consumed = re.lastIndex;
  }
  if (consumed !== data.length) {
    return { ok: false, error: { code: 'GS1_UNKNOWN_AI', ai: null, reason: 'malformed human-readable element string', position: consumed } };
  }
  return buildElements(fields, options);
}

function matchAi(data: string, pos: number): string | null {
  for (const len of [2, 3, 4]) {
    const candidate = data.slice(pos, pos + len);
    if (AI_TABLE[candidate]) return candidate;
  }
  return null;
}

function buildElements(fields: Array<{ ai: string; value: string; position: number }>, options: ParseOptions): ScanParse {
  const elements: Gs1Elements = { raw: {} };
  for (const { ai, value, position } of fields) {
    const spec = AI_TABLE[ai] as AiSpec;
    if (ai in elements.raw) return { ok: false, error: { code: 'GS1_DUPLICATE_AI', ai, reason: `(${ai}) appears twice`, position } };
    if (spec.numeric && !/^\d+$/.test(value)) {
      return { ok: false, error: { code: 'GS1_CHARSET', ai, reason: `(${ai}) must be numeric, got "${value}"`, position } };
    }
    if (!spec.numeric && !CSET82.test(value)) {
      return { ok: false, error: { code: 'GS1_CHARSET', ai, reason: `(${ai}) contains characters outside GS1 character set 82`, position } };
    }
    if (spec.check === 'mod10' && !hasValidCheckDigit(value)) return { ok: false, error: checkDigitError(ai, value, position) };
    elements.raw[ai] = value;
    if (spec.date) {
      const iso = gs1Date(value, options.referenceYear ?? new Date().getUTCFullYear());
      if (!iso) return { ok: false, error: { code: 'GS1_DATE', ai, reason: `(${ai}) ${value} is not a valid YYMMDD date`, position } };
      if (ai === '17') elements.expiry = iso;
    }
    if (ai === '00') elements.sscc = value;
    else if (ai === '01') elements.gtin = value;
    else if (ai === '10') elements.lot = value;
    else if (ai === '21') elements.serial = value;
    else if (ai === '37') elements.count = Number(value);
    else if (ai.startsWith('310')) elements.netWeightKg = Number(value) / 10 ** Number(ai[3]);
  }
  return { ok: true, kind: 'gs1', elements };
}

/** YYMMDD → ISO date using the GS1 sliding century window (−49 … +50 years around the reference year). */
export function gs1Date(yymmdd: string, referenceYear: number): string | null {
  if (!/^\d{6}$/.test(yymmdd)) return null;
  const yy = Number(yymmdd.slice(0, 2));
  const mm = Number(yymmdd.slice(2, 4));
  let dd = Number(yymmdd.slice(4, 6));
  const refCentury = Math.floor(referenceYear / 100) * 100;
  const diff = yy - (referenceYear % 100);
  let year = refCentury + yy;
  if (diff >= 51) year -= 100;
  else if (diff <= -50) year += 100;
  if (mm < 1 || mm > 12) return null;
  const lastDay = new Date(Date.UTC(year, mm, 0)).getUTCDate();
  if (dd === 0) dd = lastDay;
  if (dd > lastDay) return null;
  return `${String(year).padStart(4, '0')}-${String(mm).padStart(2, '0')}-${String(dd).padStart(2, '0')}`;
}
