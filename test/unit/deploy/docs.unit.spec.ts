import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { configTable, envSchema, loadConfig } from '../../../sidecar/src/config';

const ROOT = resolve(__dirname, '../../..');

function composeConfig(): string | undefined {
  for (const [cmd, args] of [['docker', ['compose', 'config']], ['docker-compose', ['config']]] as const) {
    try {
      return execFileSync(cmd, [...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { code?: string; stderr?: string; status?: number };
      // "unknown command" / not installed: try the next tool; a real validation error fails the test.
      if (e.code === 'ENOENT' || /unknown command|is not a docker command/.test(e.stderr ?? '')) continue;
      throw new Error(`${cmd} config rejected docker-compose.yml:\n${e.stderr ?? String(err)}`);
    }
  }
  return undefined;
}

describe('docs and deployment stay consistent with the code', () => {
  it('the README configuration table is the one generated from the schema', () => {
    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    assert.ok(readme.includes(configTable()), 'README.md configuration table is stale: paste the output of `npm run docs:config`');
  });

  it('docker-compose.yml is valid and gives the sidecar a configuration the schema accepts', function () {
    const text = composeConfig();
    if (text === undefined) {
      process.stderr.write('\n*** compose check SKIPPED: neither `docker compose` nor `docker-compose` is installed ***\n');
      this.skip();
    }
    const sidecar = text.split(/\n  (?=\S)/).find((block) => block.startsWith('sidecar:'));
    assert.ok(sidecar, 'no sidecar service');
    const env: Record<string, string> = {};
    const envBlock = /\n    environment:\n((?:      .*\n)+)/.exec(`${sidecar}\n`)?.[1] ?? '';
    for (const line of envBlock.split('\n')) {
      const m = /^\s+([A-Z_]+): (.*)$/.exec(line);
      if (m?.[1]) env[m[1]] = (m[2] ?? '').replace(/^'(.*)'$/, '$1');
    }
    const known = new Set(Object.keys(envSchema.shape).flatMap((k) => [k, `${k}_FILE`]));
    for (const name of Object.keys(env)) assert.ok(known.has(name), `docker-compose sets ${name}, which the sidecar does not read`);
    // Secrets arrive as files in the stack: the gateway tokens are the example file mounted by compose,
    // the API key is written by odoo-init at start-up (a stand-in here).
    const tokens = readFileSync(resolve(ROOT, 'deploy/gateway-tokens.example.json'), 'utf8');
    const cfg = loadConfig(env, (path) => (path.endsWith('tokens.json') ? tokens : 'secret-from-file'));
    assert.equal(cfg.odoo.url, 'http://odoo:8069');
    assert.match(cfg.amqp.url, /^amqp:\/\/.*@rabbitmq:5672$/);
  });
});
