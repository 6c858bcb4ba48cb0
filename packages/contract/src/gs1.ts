/**
 * GS1 check digits (GS1 General Specifications 7.9), pure: the rule the contract applies to SSCCs and
 * GTINs. The GS1 element-string parser that reads scans lives with the relevance logic in the sidecar.
 */

/** GS1 mod-10 check digit of `body` (the digits without the check digit). */
export function gs1CheckDigit(body: string): number {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) {
    // Weights alternate 3,1,… starting from the rightmost digit of the body.
    const digit = body.charCodeAt(body.length - 1 - i) - 48;
    sum += digit * (i % 2 === 0 ? 3 : 1);
  }
  return (10 - (sum % 10)) % 10;
}

/** True when `digits` is all digits and its last digit is the GS1 mod-10 check digit of the rest. */
export function hasValidCheckDigit(digits: string): boolean {
  if (!/^\d{2,}$/.test(digits)) return false;
  return gs1CheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);
}

/** An SSCC: 18 digits with a valid check digit. */
export function isValidSscc(code: string): boolean {
  return /^\d{18}$/.test(code) && hasValidCheckDigit(code);
}
