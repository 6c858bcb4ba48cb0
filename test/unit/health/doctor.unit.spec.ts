import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { doctorChecks, formatDoctor, MIN_ADDON_VERSION, readiness, type DoctorDeps } from '../../../sidecar/src/health';
import { addonVersionParts, compareVersions } from '../../../sidecar/src/health/doctor';
import { OdooAuthError } from '../../../sidecar/src/odoo';
import { skipLoudly } from '../../support/skip';

const ROOT = resolve(__dirname, '../../..');
const target = { url: 'http://odoo:8069', db: 'odoo', login: 'logistics-bridge', keyWarnDays: 14 };

/** An Odoo that answers the doctor's calls as told. */
function fakeOdoo(o: { version?: string; groups?: string[]; internal?: boolean; refuseKey?: boolean; expires?: Date | null } = {}): DoctorDeps['odoo'] {
  const groups = new Set(o.groups ?? ['logistics_bridge.logistics_bridge_group_service']);
  return {
    version: async () => ({ server_version: '18.0', server_version_info: [18, 0, 0, 'final', 0, ''], protocol_version: 1 }) as never,
    keyStatus: async () => ({ found: true, expires_at: o.expires ?? null }),
    executeKw: async (model: string, method: string, args: unknown[]) => {
      if (o.refuseKey) throw new OdooAuthError('Access Denied', 'odoo.exceptions.AccessDenied');
      if (method === 'context_get') return { lang: 'en_US' };
      if (method === 'bridge_ping') return { addon_version: o.version ?? '18.0.1.2.1', database: 'odoo', login: 'logistics-bridge' };
      if (model === 'logistics.bridge.service' && method === 'caller_rights') {
        const asked = args[0] as string[];
        return { login: 'logistics-bridge', internal: o.internal ?? false, groups: Object.fromEntries(asked.map((g) => [g, groups.has(g)])) };
      }
      throw new Error(`unexpected call ${model}.${method}`);
    },
  };
}

async function run(d: Partial<DoctorDeps>): Promise<string> {
  const report = await readiness(doctorChecks({ odoo: fakeOdoo(), target, topology: async () => [], ...d }), 5_000);
  return formatDoctor(Object.entries(report.checks));
}

describe('doctor: one line per check, ok or the fix (unit)', () => {
  it('says ok on each line when everything is as it should be', async () => {
    const text = await run({});
    for (const name of ['odoo', 'odoo_login', 'logistics_bridge', 'api_key', 'addon_version', 'rights', 'rabbitmq_topology', 'gateway_tls']) assert.match(text, new RegExp(`^ok +${name} `, 'm'), text);
    assert.match(text, /^ok +addon_version +18\.0\.1\.2\.1 \(this sidecar needs 1\.2\.1 or newer\)$/m);
  });

  it('names the fix when the service user is an administrator, or lacks its group', async () => {
    const admin = await run({ odoo: fakeOdoo({ groups: ['logistics_bridge.logistics_bridge_group_service', 'base.group_system'] }) });
    assert.match(admin, /^FAIL rights +the service user "logistics-bridge" has administrator rights \(base\.group_system\)/m);
    assert.match(admin, /^ +fix: in Odoo, Settings › Users › logistics-bridge: set Administration to none/m);
    assert.match(await run({ odoo: fakeOdoo({ groups: [] }) }), /^FAIL rights +the service user "logistics-bridge" lacks the group Logistics Bridge \/ Integration service/m);
  });

  it('warns when the service user is an Internal User (it could read partners, products and users)', async () => {
    assert.match(await run({ odoo: fakeOdoo({ internal: true }) }), /^WARN rights +logistics-bridge: Integration service group, no administrator rights: it is an Internal User/m);
  });

  it('refuses an addon older than this sidecar, and says the key was refused with the same words as /readyz', async () => {
    const old = await run({ odoo: fakeOdoo({ version: '18.0.1.1.0' }) });
    assert.match(old, /^FAIL addon_version +the addon in database "odoo" is 18\.0\.1\.1\.0, this sidecar needs 1\.2\.1 or newer$/m);
    assert.match(old, /fix: upgrade the addon: odoo-bin -d odoo -u logistics_bridge/);
    const refused = await run({ odoo: fakeOdoo({ refuseKey: true }) });
    assert.match(refused, /^FAIL odoo_login +the API key was refused for login "logistics-bridge" on database "odoo"$/m);
    assert.match(refused, /^FAIL rights +not checked: logistics_bridge failed$/m);
  });

  it('warns ahead of the API key expiry, and fails the topology line with what differs', async () => {
    const soon = await run({ odoo: fakeOdoo({ expires: new Date(Date.now() + 3 * 86_400_000) }) });
    assert.match(soon, /^WARN api_key +expires \S+: /m);
    const topo = await run({ topology: async () => ['queue logistics.updates.dead does not exist'] });
    assert.match(topo, /^FAIL rabbitmq_topology +queue logistics\.updates\.dead does not exist/m);
    assert.match(topo, /fix: start the sidecar once against this vhost/);
  });

  it("checks the gateway's TLS files: the key must be the certificate's, the certificate valid", async function () {
    let dir: string;
    try {
      dir = mkdtempSync(join(tmpdir(), 'lb-doctor-'));
      const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
      const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
      ssl('req', '-x509', ...ec, '-keyout', join(dir, 'a.key'), '-out', join(dir, 'a.pem'), '-days', '30', '-subj', '/CN=gateway');
      ssl('req', '-x509', ...ec, '-keyout', join(dir, 'b.key'), '-out', join(dir, 'b.pem'), '-days', '30', '-subj', '/CN=other');
    } catch {
      return skipLoudly(this, 'doctor TLS check: no openssl CLI to make certificates');
    }
    try {
      const good = await run({ tls: { certFile: join(dir, 'a.pem'), keyFile: join(dir, 'a.key'), clientCaFile: join(dir, 'b.pem') } });
      assert.match(good, /^ok +gateway_tls +certificate CN=gateway until \S+; client CA CN=other \(mutual TLS\)$/m);
      assert.match(await run({ tls: { certFile: join(dir, 'a.pem'), keyFile: join(dir, 'b.key') } }), /^FAIL gateway_tls +GRPC_TLS_KEY_FILE: \S+b\.key is not the key of the certificate/m);
      assert.match(await run({ tls: { certFile: join(dir, 'a.pem'), keyFile: join(dir, 'a.key') }, now: () => new Date(Date.now() + 60 * 86_400_000) }), /^FAIL gateway_tls +GRPC_TLS_CERT_FILE: the gateway certificate expired/m);
      assert.match(await run({ tls: { certFile: join(dir, 'a.pem'), keyFile: join(dir, 'a.key') }, now: () => new Date(Date.now() + 25 * 86_400_000) }), /^WARN gateway_tls .*expires in \d days/m);
      assert.match(await run({ tls: { certFile: join(dir, 'missing.pem'), keyFile: join(dir, 'a.key') } }), /^FAIL gateway_tls +GRPC_TLS_CERT_FILE: cannot read \S+ \(ENOENT\)/m);
      assert.match(await run({ tls: { certFile: join(dir, 'a.key'), keyFile: join(dir, 'a.key') } }), /is not a PEM certificate/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps MIN_ADDON_VERSION at most the addon manifest's version", () => {
    const manifest = readFileSync(join(ROOT, 'odoo_addon/logistics_bridge/__manifest__.py'), 'utf8');
    const version = /'version':\s*'([\d.]+)'/.exec(manifest)?.[1] as string;
    assert.ok(compareVersions(addonVersionParts(version), addonVersionParts(MIN_ADDON_VERSION)) >= 0, `manifest ${version} < ${MIN_ADDON_VERSION}`);
    assert.deepEqual(addonVersionParts('19.0.1.2.0'), [1, 2, 0]);
    assert.ok(compareVersions([1, 10, 0], [1, 9, 9]) > 0);
  });
});
