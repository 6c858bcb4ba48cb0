import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { gs1CheckDigit, hasValidCheckDigit, isValidSscc } from '@logistics-bridge/contract';
import { GS, gs1Date, normaliseGtin, parseScan } from '../../../sidecar/src/devices/relevance';

describe('GS1 parsing and check digits', () => {
  describe('mod-10 check digits', () => {
    const valid = [
      ['GTIN-8', '96385074'],
      ['GTIN-12 (UPC-A)', '036000291452'],
      ['GTIN-13 (EAN-13)', '4006381333931'],
      ['GTIN-14', '09506000134352'],
      ['GTIN-14 with indicator', '10614141000415'],
      ['SSCC-18', '106141411234567897'],
    ] as const;
    for (const [name, code] of valid) {
      it(`accepts a valid ${name} (${code})`, () => {
        assert.equal(hasValidCheckDigit(code), true);
      });
      it(`rejects ${name} with every wrong check digit`, () => {
        const body = code.slice(0, -1);
        for (let d = 0; d <= 9; d += 1) {
          if (String(d) === code.slice(-1)) continue;
          assert.equal(hasValidCheckDigit(body + d), false, body + d);
        }
      });
    }

    it('detects every single-digit substitution (property)', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^\d{17}$/), fc.nat(16), fc.integer({ min: 1, max: 9 }), (body, position, delta) => {
          const code = body + gs1CheckDigit(body);
          const digits = code.split('');
          digits[position] = String((Number(digits[position]) + delta) % 10);
          return hasValidCheckDigit(code) && !hasValidCheckDigit(digits.join(''));
        }),
      );
    });

    it('normalises GTIN-8/12/13 to 14 digits and refuses other lengths', () => {
      assert.deepEqual(normaliseGtin('4006381333931'), { ok: true, gtin14: '04006381333931' });
      assert.deepEqual(normaliseGtin('96385074'), { ok: true, gtin14: '00000096385074' });
      const bad = normaliseGtin('40063813339');
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.error.code, 'GS1_LENGTH');
      assert.equal(isValidSscc('106141411234567897'), true);
      assert.equal(isValidSscc('106141411234567898'), false);
      assert.equal(isValidSscc('10614141123456789'), false);
    });
  });

  describe('element strings', () => {
    it('parses GS1-128 with ]C1 prefix, fixed and FNC1-terminated variable fields', () => {
      const result = parseScan(`]C1010950600013435217251231` + `10LOT-42${GS}3103001250` + `21SN1`, { referenceYear: 2025 });
      assert.ok(result.ok && result.kind === 'gs1');
      assert.equal(result.elements.gtin, '09506000134352');
      assert.equal(result.elements.expiry, '2025-12-31');
      assert.equal(result.elements.lot, 'LOT-42');
      assert.equal(result.elements.netWeightKg, 1.25);
      // (3103) ends the lot; the serial is the last field and needs no separator.
      assert.equal(result.elements.raw['3103'], '001250');
    });

    it('parses an SSCC from GS1 DataMatrix (]d2) and the human-readable form', () => {
      const dm = parseScan(']d200106141411234567897');
      assert.ok(dm.ok && dm.kind === 'gs1');
      assert.equal(dm.elements.sscc, '106141411234567897');
      const hri = parseScan('(00)106141411234567897(3102)001520');
      assert.ok(hri.ok && hri.kind === 'gs1');
      assert.equal(hri.elements.sscc, '106141411234567897');
      assert.equal(hri.elements.netWeightKg, 15.2);
    });

    it('treats a leading GS as FNC1 in first position and accepts element strings without prefix', () => {
      const a = parseScan(`${GS}0109506000134352`);
      const b = parseScan('0109506000134352' + '10ABC');
      assert.ok(a.ok && a.kind === 'gs1' && a.elements.gtin === '09506000134352');
      assert.ok(b.ok && b.kind === 'gs1' && b.elements.lot === 'ABC');
    });

    it('expiry day 00 means the last day of the month, and the century follows the sliding window', () => {
      assert.equal(gs1Date('240200', 2025), '2024-02-29');
      assert.equal(gs1Date('991231', 2025), '1999-12-31');
      assert.equal(gs1Date('740101', 2025), '2074-01-01');
      assert.equal(gs1Date('251301', 2025), null);
      assert.equal(gs1Date('250230', 2025), null);
    });

    const invalid: Array<[string, string, string, string | null]> = [
      ['wrong GTIN check digit', ']C10109506000134353', 'GS1_CHECK_DIGIT', '01'],
      ['wrong SSCC check digit', '(00)106141411234567898', 'GS1_CHECK_DIGIT', '00'],
      ['wrong bare EAN-13 check digit', '4006381333932', 'GS1_CHECK_DIGIT', '01'],
      ['truncated GTIN', ']C101095060001343', 'GS1_LENGTH', '01'],
      ['lot longer than 20 (missing FNC1)', `]C11012345678901234567890123`, 'GS1_LENGTH', '10'],
      ['unknown AI', ']C19912345', 'GS1_UNKNOWN_AI', '9912'],
      ['letters in a numeric AI', '(17)25AB31', 'GS1_CHARSET', '17'],
      ['impossible expiry date', ']C117251340', 'GS1_DATE', '17'],
      ['AI given twice', '(10)A(10)B', 'GS1_DUPLICATE_AI', '10'],
      ['empty scan', '', 'GS1_EMPTY', null],
    ];
    for (const [name, input, code, ai] of invalid) {
      it(`reports ${name} with the AI and a reason`, () => {
        const result = parseScan(input, { referenceYear: 2025 });
        assert.equal(result.ok, false);
        assert.ok(!result.ok);
        assert.equal(result.error.code, code);
        assert.equal(result.error.ai, ai);
        assert.ok(result.error.reason.length > 5);
      });
    }

    it('names the expected check digit in the reason', () => {
      const result = parseScan(']C10109506000134353');
      assert.ok(!result.ok);
      assert.match(result.error.reason, /expected 2/);
    });

    it('passes non-GS1 codes (location labels, internal references) through as plain codes', () => {
      assert.deepEqual(parseScan('WH-A-01-02'), { ok: true, kind: 'plain', code: 'WH-A-01-02' });
      assert.deepEqual(parseScan('1004'), { ok: true, kind: 'plain', code: '1004' });
    });

    it('round-trips generated element strings (property)', () => {
      const lot = fc.stringMatching(/^[A-Z0-9-]{1,20}$/);
      const body13 = fc.stringMatching(/^\d{13}$/);
      fc.assert(
        fc.property(body13, lot, fc.integer({ min: 1, max: 999_999 }), (body, lotValue, grams) => {
          const gtin = body + gs1CheckDigit(body);
          const weight = String(grams).padStart(6, '0');
          const raw = `]C101${gtin}10${lotValue}${GS}3103${weight}`;
          const result = parseScan(raw);
          return result.ok && result.kind === 'gs1' && result.elements.gtin === gtin && result.elements.lot === lotValue && result.elements.netWeightKg === grams / 1000;
        }),
      );
    });

    it('never throws on arbitrary input (property)', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 60 }), (input) => {
          const result = parseScan(input);
          return result.ok ? true : typeof result.error.reason === 'string';
        }),
        { numRuns: 2000 },
      );
    });
  });
});
