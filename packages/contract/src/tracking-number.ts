/**
 * Tracking numbers whose format carries a check digit, validated before anything reaches Odoo: a
 * mistyped or truncated number is refused at the door with its field path instead of sitting on a
 * picking where no carrier will ever find it. Numbers of carriers without a published check digit
 * pass as long as they are plain text (1..64 characters of [A-Za-z0-9-]).
 */

export type TrackingScheme = 'upu-s10' | 'ups-1z' | 'plain';

/** UPU S10 (international postal items): 2 letters, 8 digits, check digit, ISO country code. */
const S10 = /^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$/;
const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];
/** UPS: "1Z", 6 shipper characters, 2 service digits, 7 package digits, check digit. */
const UPS = /^1Z([0-9A-Z]{15})(\d)$/;
const PLAIN = /^[A-Za-z0-9-]{1,64}$/;

export function s10CheckDigit(serial: string): number {
  const sum = [...serial].reduce((acc, d, i) => acc + Number(d) * S10_WEIGHTS[i]!, 0);
  const check = 11 - (sum % 11);
  return check === 10 ? 0 : check === 11 ? 5 : check;
}

export function ups1zCheckDigit(body: string): number {
  // Letters count as (ASCII - 63) mod 10; odd positions once, even positions twice.
  const values = [...body].map((c) => (/\d/.test(c) ? Number(c) : (c.charCodeAt(0) - 63) % 10));
  const sum = values.reduce((acc, v, i) => acc + (i % 2 === 0 ? v : 2 * v), 0);
  return (10 - (sum % 10)) % 10;
}

export function trackingScheme(value: string): TrackingScheme {
  if (S10.test(value)) return 'upu-s10';
  if (value.startsWith('1Z')) return 'ups-1z';
  return 'plain';
}

/** Why a tracking number is refused, or undefined when it is acceptable. */
export function trackingNumberProblem(value: string): string | undefined {
  const s10 = S10.exec(value);
  if (s10) return s10CheckDigit(s10[2]!) === Number(s10[3]) ? undefined : 'UPU S10 check digit is wrong';
  if (value.startsWith('1Z')) {
    const ups = UPS.exec(value);
    if (!ups) return 'a UPS 1Z number has 18 characters: 1Z, 15 letters or digits, a check digit';
    return ups1zCheckDigit(ups[1]!) === Number(ups[2]) ? undefined : 'UPS check digit is wrong';
  }
  return PLAIN.test(value) ? undefined : 'must be 1..64 characters of [A-Za-z0-9-]';
}
