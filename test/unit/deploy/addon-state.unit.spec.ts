import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * odoo-init's decision (deploy/addon_state.py `decide`) on every `docker compose up`: create the database
 * once, install or upgrade the addon when needed, and otherwise leave the database alone, so installed
 * modules are never initialised again next to the live server.
 */
const DEPLOY = resolve(__dirname, '../../../deploy');

type Installed = null | Record<string, never> | { state: string; version: string | null };
interface Case {
  installed: Installed;
  manifest: string;
  series: string;
}

function decide(cases: Case[]): string[] {
  const code = `import json, sys
sys.path.insert(0, ${JSON.stringify(DEPLOY)})
from addon_state import decide, RefusedError
out = []
for c in json.load(sys.stdin):
    try:
        out.append(decide(c['installed'], c['manifest'], c['series']))
    except RefusedError as e:
        out.append('refused: ' + str(e))
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', code], { input: JSON.stringify(cases), encoding: 'utf8' })) as string[];
}

const at = (installed: Installed, manifest = '18.0.1.0.0', series = '18.0'): Case => ({ installed, manifest, series });
const CASES = {
  noDatabase: at(null),
  initialisedWithoutAddon: at({}),
  uninstalled: at({ state: 'uninstalled', version: null }),
  toInstall: at({ state: 'to install', version: null }),
  upToDate: at({ state: 'installed', version: '18.0.1.0.0' }),
  newerManifest: at({ state: 'installed', version: '18.0.1.0.0' }, '18.0.1.1.0'),
  newerManifestNumerically: at({ state: 'installed', version: '18.0.1.9.0' }, '18.0.1.10.0'),
  halfDoneUpgrade: at({ state: 'to upgrade', version: '18.0.1.0.0' }),
  seriesLessSame: at({ state: 'installed', version: '19.0.1.0.0' }, '1.0.0', '19.0'),
  seriesLessOtherSeries: at({ state: 'installed', version: '18.0.1.0.0' }, '1.0.0', '19.0'),
  downgrade: at({ state: 'installed', version: '18.0.2.0.0' }, '18.0.1.0.0'),
  toRemove: at({ state: 'to remove', version: '18.0.1.0.0' }),
};

describe('odoo-init: create, install, upgrade or nothing (deploy/addon_state.py)', () => {
  let got: Record<keyof typeof CASES, string>;
  before(function () {
    this.timeout(30_000);
    const names = Object.keys(CASES) as (keyof typeof CASES)[];
    const answers = decide(names.map((n) => CASES[n]));
    got = Object.fromEntries(names.map((n, i) => [n, answers[i] as string])) as typeof got;
  });

  it('creates a missing database, installs into one without the addon, and leaves an up-to-date one alone', () => {
    assert.deepEqual(
      [got.noDatabase, got.initialisedWithoutAddon, got.uninstalled, got.toInstall, got.upToDate],
      ['create', 'install', 'install', 'install', 'none'],
    );
  });

  it('upgrades when the manifest version changed, or an upgrade was left half done', () => {
    assert.deepEqual([got.newerManifest, got.newerManifestNumerically, got.halfDoneUpgrade], ['upgrade', 'upgrade', 'upgrade']);
  });

  it("compares as Odoo stores it: a version without the series gets the running Odoo's series", () => {
    assert.deepEqual([got.seriesLessSame, got.seriesLessOtherSeries], ['none', 'upgrade']);
  });

  it('refuses a downgrade and a module marked for removal, saying why', () => {
    assert.match(got.downgrade, /^refused: the database has logistics_bridge 18\.0\.2\.0\.0, newer than this checkout \(18\.0\.1\.0\.0\)/);
    assert.match(got.toRemove, /^refused: .*"to remove"/);
  });
});
