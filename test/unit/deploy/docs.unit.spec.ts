import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configTable, envSchema } from '../../../sidecar/src/config';

const ROOT = resolve(__dirname, '../../..');
const README = readFileSync(resolve(ROOT, 'README.md'), 'utf8');

type Field = { safeParse(v: unknown): { success: boolean; data?: unknown } };

/** The rows of the README's configuration table, read from the README itself (not from configTable). */
function readmeRows(): Map<string, { required: boolean; default: string | undefined }> {
  const section = README.slice(README.indexOf('## Configuration'));
  const rows = new Map<string, { required: boolean; default: string | undefined }>();
  for (const m of section.slice(0, section.indexOf('\n## ', 3)).matchAll(/^\| `([A-Z][A-Z0-9_]*)`[^|]* \| (yes)? \| (?:`([^`]*)`)? \|/gm)) {
    rows.set(m[1] as string, { required: m[2] === 'yes', default: m[3] });
  }
  return rows;
}

describe('docs and deployment stay consistent with the code', () => {
  it('the README configuration table is the one generated from the schema', () => {
    assert.ok(README.includes(configTable()), 'README.md configuration table is stale: paste the output of `npm run docs:config`');
  });

  it("every default in the README's table, set as the variable, means what leaving it unset means", () => {
    const rows = readmeRows();
    const shape = envSchema.shape as Record<string, Field>;
    assert.deepEqual([...rows.keys()].sort(), Object.keys(shape).sort(), 'the README table lists other variables than the schema');
    for (const [name, row] of rows) {
      const field = shape[name] as Field;
      const unset = field.safeParse(undefined);
      assert.equal(row.required, !unset.success, `${name}: README says required=${row.required}`);
      if (row.default === undefined) {
        assert.ok(!unset.success || unset.data === undefined, `${name} has a default the README does not show`);
        continue;
      }
      const set = field.safeParse(row.default);
      assert.ok(set.success, `${name}: the README's default \`${row.default}\` is not a valid value of ${name}`);
      assert.deepEqual(set.data, unset.data, `${name}: the README's default \`${row.default}\` is not the schema's default`);
    }
  });
});
