import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { readQueue, startGateway, tokenOf, type GatewayFixture } from '../support/gateway';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/**
 * What a vendor does: `npm pack` the SDK and the contract, install the two tarballs into a fresh
 * project outside the repository (the npm registry for grpc-js, proto-loader, protobufjs and zod),
 * and connect from there to a real gateway: send an update, get the durable ack.
 */
describe('adapter SDK as a package (npm pack, install outside the repository, connect)', function () {
  this.timeout(600_000);
  let fx: GatewayFixture;
  let work: string;
  before(async () => {
    fx = await startGateway();
    work = mkdtempSync(join(tmpdir(), 'lb-sdk-vendor-'));
  });
  after(async () => {
    await fx.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('installs from its tarball with the contract, carries the protos of proto/, and gets an update acked as durable', async () => {
    const tarballs: string[] = [];
    for (const pkg of ['contract', 'adapter-sdk']) {
      const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: join(ROOT, 'packages', pkg), maxBuffer: 8 << 20 });
      const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
      assert.ok(info);
      const paths = info.files.map((f) => f.path);
      assert.ok(paths.includes('dist/index.js') && paths.includes('dist/index.d.ts'), `${pkg} tarball: ${paths.join(', ')}`);
      assert.ok(!paths.some((p) => p.startsWith('src/')), `${pkg} ships its build, not its sources`);
      tarballs.push(join(work, info.filename));
    }
    const project = join(work, 'vendor-adapter');
    await run('mkdir', ['-p', project]);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'vendor-adapter', version: '1.0.0', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: project, maxBuffer: 8 << 20 });

    // The protos in the installed contract are those of proto/, byte for byte.
    const installed = join(project, 'node_modules', '@logistics-bridge', 'contract', 'proto');
    const source = join(ROOT, 'proto');
    assert.deepEqual(filesUnder(installed), filesUnder(source));
    for (const f of filesUnder(source)) assert.ok(readFileSync(join(installed, f)).equals(readFileSync(join(source, f))), `${f} differs from proto/`);

    // Nothing of the repository is reachable from there: only the installed packages.
    writeFileSync(
      join(project, 'adapter.js'),
      `const { connect } = require('@logistics-bridge/adapter-sdk');
(async () => {
  const client = await connect({ address: process.env.GATEWAY, token: process.env.TOKEN, family: 'sorter', adapterId: 'sorter-a' });
  const acks = [];
  client.on('ack', (a) => acks.push(a));
  client.on('reject', (r) => { console.error('rejected', r.fieldPath, r.message); process.exitCode = 1; });
  await client.sendUpdate('sorter-1', 'parcel.sorted', { sscc: '106141411234567897', chute: 'C9' }, { idempotencyKey: 'vendor:parcel:1' });
  await client.flush(20000);
  await client.close();
  console.log(JSON.stringify({ acks }));
})().catch((err) => { console.error(err); process.exit(1); });
`,
    );
    const { stdout } = await run(process.execPath, ['adapter.js'], { cwd: project, env: { PATH: process.env.PATH ?? '', GATEWAY: `127.0.0.1:${fx.port}`, TOKEN: tokenOf('sorter-a') } });
    const { acks } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { acks: Array<{ sequence: number; updates: number; duplicate: boolean }> };
    assert.deepEqual(acks, [{ sequence: 1, updates: 1, duplicate: false }]);
    const [m] = await readQueue(fx.queue, 1);
    assert.equal(m?.properties.messageId, 'vendor:parcel:1');
    assert.equal(m?.body.type, 'parcel.sorted');
  });
});
