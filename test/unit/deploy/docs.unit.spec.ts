import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configTable } from '../../../sidecar/src/config';

const ROOT = resolve(__dirname, '../../..');

describe('docs and deployment stay consistent with the code', () => {
  it('the README configuration table is the one generated from the schema', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(configTable()), 'README.md configuration table is stale: paste the output of `npm run docs:config`');
  });

});
