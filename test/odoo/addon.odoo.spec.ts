import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ADDON_DIR, copyTemplate, dropDatabase, ensureTemplate, exportPot, freePort, locateOdoo, odooBin, potMsgids, seriesOf, writeConfig } from '../support/odoo';
import { skipLoudly } from '../support/skip';

/**
 * The addon's own Odoo tests (odoo_addon/logistics_bridge/tests), run by Odoo's test runner on a
 * database of their own, followed by an upgrade of the module on the same database.
 */
describe(`odoo tier: the logistics_bridge addon in Odoo ${seriesOf()}`, function () {
  let source: Awaited<ReturnType<typeof locateOdoo>> = { kind: 'none', why: 'not located yet', series: seriesOf() };
  const db = `lb_addon_tests_${process.pid}`;
  let src = '';
  let conf = '';
  let dir = '';

  before(async function () {
    source = await locateOdoo();
    if (source.kind !== 'source') {
      skipLoudly(this, 'addon Odoo tests: they need an Odoo source tree (ODOO_SRC / ODOO19_SRC), not only ODOO_URL');
    }
    src = (source as { src: string }).src;
    dir = mkdtempSync(join(tmpdir(), 'lb-addon-'));
    await copyTemplate(await ensureTemplate(src, dir, (l) => process.stderr.write(`${l}\n`)), db);
    conf = writeConfig(src, dir, await freePort());
  });

  after(async () => {
    if (source.kind === 'source') await dropDatabase(db);
  });

  it('installs cleanly and passes its Odoo tests (at install and post-install)', async () => {
    const res = await odooBin(src, conf, ['-d', db, '-i', 'logistics_bridge', '--test-tags', '/logistics_bridge', '--stop-after-init', '--log-level=test'], join(dir, 'tests.log'));
    const stats = [...res.log.matchAll(/(\d+) failed, (\d+) error\(s\) of (\d+) tests/g)].map((m) => m.slice(1, 4).map(Number));
    const ran = stats.reduce((n, s) => n + (s[2] ?? 0), 0);
    const problems = res.log.split('\n').filter((l) => /^\S+ \S+ \d+ (ERROR|CRITICAL|WARNING) \S+ odoo\.addons\.logistics_bridge|^\S+ \S+ \d+ (ERROR|CRITICAL) /.test(l));
    process.stdout.write(`      addon tests: ${ran} run, ${stats.map((s) => `${s[0]} failed, ${s[1]} errors`).join('; ')}\n`);
    assert.equal(problems.length, 0, `errors or warnings in the Odoo log:\n${problems.slice(0, 30).join('\n')}\n(full log ${join(dir, 'tests.log')})`);
    assert.equal(res.code, 0, `odoo-bin exited ${res.code}:\n${res.log.slice(-4000)}`);
    assert.ok(ran > 0, 'Odoo ran no test of logistics_bridge');
  });

  it('upgrades cleanly (-u logistics_bridge)', async () => {
    const res = await odooBin(src, conf, ['-d', db, '-u', 'logistics_bridge', '--stop-after-init'], join(dir, 'upgrade.log'));
    const problems = res.log.split('\n').filter((l) => /^\S+ \S+ \d+ (ERROR|CRITICAL) /.test(l));
    assert.equal(problems.length, 0, problems.join('\n'));
    assert.equal(res.code, 0, res.log.slice(-4000));
  });

  it('has a current translation template (i18n/logistics_bridge.pot has the msgids Odoo exports)', async () => {
    const out = join(dir, 'logistics_bridge.pot');
    const res = await exportPot(src, conf, db, out, join(dir, 'i18n.log'));
    assert.equal(res.code, 0, res.log.slice(-4000));
    const exported = potMsgids(readFileSync(out, 'utf8'));
    const committed = potMsgids(readFileSync(resolve(ADDON_DIR, 'logistics_bridge/i18n/logistics_bridge.pot'), 'utf8'));
    assert.ok(exported.length > 100, `Odoo exported only ${exported.length} msgids`);
    const missing = exported.filter((id) => !committed.includes(id));
    const stale = committed.filter((id) => !exported.includes(id));
    assert.deepEqual({ missing, stale }, { missing: [], stale: [] }, `i18n/logistics_bridge.pot is out of date: regenerate it (README.md of the addon, "Translations"), e.g. cp ${out} odoo_addon/logistics_bridge/i18n/`);
  });
});
