import assert from 'node:assert/strict';
import { s10CheckDigit, trackingNumberProblem, trackingScheme, ups1zCheckDigit } from '@logistics-bridge/contract';

describe('tracking numbers with a check digit', () => {
  it('computes the UPU S10 check digit, with its two special cases', () => {
    assert.equal(s10CheckDigit('47312482'), 9); // RA 47312482 9 GB, the example of UPU S10
    assert.equal(s10CheckDigit('12345678'), 5);
    assert.equal(s10CheckDigit('00000008'), 0); // 11 - 1 = 10 -> 0
    assert.equal(s10CheckDigit('00000000'), 5); // 11 - 0 = 11 -> 5
  });

  it('accepts a valid S10 number and refuses one digit changed', () => {
    assert.equal(trackingScheme('RA473124829GB'), 'upu-s10');
    assert.equal(trackingNumberProblem('RA473124829GB'), undefined);
    assert.equal(trackingNumberProblem('RA473124820GB'), 'UPU S10 check digit is wrong');
    assert.equal(trackingNumberProblem('RA473124289GB'), 'UPU S10 check digit is wrong'); // two digits swapped
  });

  it('checks UPS 1Z numbers, letters included', () => {
    assert.equal(ups1zCheckDigit('999AA1012345678'), 4);
    assert.equal(trackingNumberProblem('1Z999AA10123456784'), undefined);
    assert.equal(trackingNumberProblem('1Z999AA10123456785'), 'UPS check digit is wrong');
    assert.match(trackingNumberProblem('1Z999AA1012345678') ?? '', /18 characters/);
  });

  it('lets other carriers through as plain text, and refuses what is not a tracking number', () => {
    assert.equal(trackingScheme('00340434161094042557'), 'plain');
    assert.equal(trackingNumberProblem('00340434161094042557'), undefined);
    assert.match(trackingNumberProblem('JD 0146') ?? '', /A-Za-z0-9-/);
    assert.match(trackingNumberProblem('x'.repeat(65)) ?? '', /1\.\.64/);
  });
});
