import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { loadConfig } from '../../../sidecar/src/config';
import { saySkipped, skipLoudly } from '../../support/skip';

/**
 * docker-compose.yml as Compose renders it (`docker compose config`, or Debian's `docker-compose config`),
 * checked statically against what the images really do, as read in their sources:
 * - odoo/docker 18.0 and 19.0 `entrypoint.sh`: `odoo ...` or `-...` runs Odoo with those arguments (after
 *   wait-for-psql.py), anything else is exec'd as is; the database comes from HOST, PORT, USER, PASSWORD;
 * - nodejs/docker-node `docker-entrypoint.sh`: a first argument that starts with `-` or is not a command
 *   of the image gets `node` put in front; the node image runs as `node`, uid and gid 1000, and its slim
 *   variants purge curl and wget after installing Node;
 * - docker-library postgres 16 and rabbitmq 4: the commands are not overridden here.
 */
const ROOT = resolve(__dirname, '../../..');
const COMPOSE_TEXT = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const DOCKERFILE = readFileSync(join(ROOT, 'sidecar/Dockerfile'), 'utf8');
const INIT_SCRIPT = readFileSync(join(ROOT, 'deploy/odoo-init.sh'), 'utf8');
// The passwords a user puts in .env; the broker's has every character that breaks a URL.
const REQUIRED = { POSTGRES_PASSWORD: 'pg-secret', ODOO_MASTER_PASSWORD: 'master-secret', ODOO_ADMIN_PASSWORD: 'admin-secret', RABBITMQ_PASSWORD: "p@ss:w/rd#1%?&'" };

interface Mount {
  type: 'volume' | 'bind';
  source: string;
  target: string;
  readOnly: boolean;
}
interface Service {
  image?: string;
  build?: unknown;
  user?: string;
  entrypoint?: string[] | string;
  command?: string[] | string;
  environment?: Record<string, string | null>;
  ports?: (string | { host_ip?: string; published?: string | number; target: number })[];
  volumes?: (string | { type: string; source: string; target: string; read_only?: boolean })[];
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
}
interface Rendered {
  services: Record<string, Service>;
}

type Tool = { cmd: string; pre: string[]; v2: boolean };
function composeTool(): Tool | undefined {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) return { cmd: 'docker', pre: ['compose'], v2: true };
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0) return { cmd: 'docker-compose', pre: [], v2: false };
  return undefined;
}

/** `config` with exactly these variables (a developer's own .env and environment stay out of it). */
function render(tool: Tool, vars: Record<string, string>, profiles: string[] = []): Rendered {
  const dir = mkdtempSync(join(tmpdir(), 'lb-compose-'));
  try {
    const envFile = join(dir, 'env');
    writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
    // -f: a developer's docker-compose.override.yml is not part of what users get.
    const args = [...tool.pre, '-f', join(ROOT, 'docker-compose.yml'), '--env-file', envFile, ...profiles.flatMap((p) => ['--profile', p]), 'config', ...(tool.v2 ? ['--format', 'json'] : [])];
    const out = execFileSync(tool.cmd, args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (tool.v2) return JSON.parse(out) as Rendered;
    // docker-compose v1 prints YAML only; its own YAML library (python3-yaml, a dependency of it) reads it.
    const json = execFileSync('/usr/bin/python3', ['-c', 'import sys, json, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: out, encoding: 'utf8' });
    return JSON.parse(json) as Rendered;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = (v: string[] | string | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : v.split(' '));
/** Compose keeps `$$` (a literal `$`) escaped in its output. */
const literal = (s: string): string => s.replace(/\$\$/g, '$');

function mounts(s: Service): Mount[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { type: v.type as Mount['type'], source: v.source, target: v.target, readOnly: v.read_only === true };
    const [source = '', target = '', mode = 'rw'] = v.split(':');
    return { type: source.startsWith('/') || source.startsWith('.') ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
  });
}

function hostIps(s: Service): string[] {
  return (s.ports ?? []).map((p) => (typeof p === 'string' ? (p.split(':').length === 3 ? (p.split(':')[0] as string) : '0.0.0.0') : (p.host_ip ?? '0.0.0.0')));
}

/** The options Odoo's own parser knows (odoo/tools/config.py), from the Odoo source trees on this machine. */
function odooOptions(): { trees: string[]; options: Set<string> } {
  const trees = [process.env.ODOO_SRC ?? '/opt/odoo-src', '/opt/odoo19-src'].filter((t) => existsSync(join(t, 'odoo/tools/config.py')));
  const options = new Set<string>();
  for (const t of trees) {
    const text = readFileSync(join(t, 'odoo/tools/config.py'), 'utf8');
    for (const m of text.matchAll(/add_option\(\s*((?:["']--?[\w-]+["']\s*,\s*)+)/g)) {
      for (const o of (m[1] ?? '').matchAll(/["'](--?[\w-]+)["']/g)) options.add(o[1] as string);
    }
  }
  return { trees, options };
}

/** odoo/docker entrypoint.sh's `case "$1"`: what it runs for a command line. */
function odooEntrypoint(args: string[]): { odoo: boolean; args: string[] } {
  const [first, ...rest] = args;
  if (first === 'odoo' || first === '--') return { odoo: true, args: rest };
  if (first?.startsWith('-')) return { odoo: true, args };
  return { odoo: false, args };
}

function optionNames(args: string[]): string[] {
  return args.filter((a) => a.startsWith('-')).map((a) => a.split('=')[0] as string);
}

/** What the sidecar image adds to the node image's PATH (/usr/local/bin), from the Dockerfile. */
function imageCommands(): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of DOCKERFILE.matchAll(/^COPY (\S+) \/usr\/local\/bin\/(\S+)$/gm)) out.set(m[2] as string, m[1] as string);
  for (const m of DOCKERFILE.matchAll(/ln -s \/app\/(\S+) \/usr\/local\/bin\/(\S+)/g)) out.set(m[2] as string, m[1] as string);
  return out;
}

describe('docker-compose.yml, rendered by Compose and read against the images it runs', function () {
  this.timeout(120_000);
  let tool: Tool;
  let plain: Rendered;
  let demo: Rendered;
  let monitoring: Rendered;
  let opted: Rendered; // the user's choices: ports on every interface, Odoo 19
  const SIDECAR_IMAGE = 'logistics-bridge-sidecar:local';

  before(function () {
    const found = composeTool();
    if (!found) {
      skipLoudly(this, 'compose checks: neither `docker compose` nor `docker-compose` is installed (apt-get install docker-compose)');
    }
    tool = found;
    plain = render(tool, REQUIRED);
    demo = render(tool, REQUIRED, ['demo']);
    monitoring = render(tool, REQUIRED, ['monitoring']);
    opted = render(tool, { ...REQUIRED, BIND_ADDRESS: '0.0.0.0', ODOO_IMAGE: 'odoo:19' });
  });

  it('refuses to render without the passwords of .env, naming the missing one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-compose-'));
    writeFileSync(join(dir, 'env'), '');
    const r = spawnSync(tool.cmd, [...tool.pre, '-f', join(ROOT, 'docker-compose.yml'), '--env-file', join(dir, 'env'), 'config'], { cwd: ROOT, env: { PATH: process.env.PATH }, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.notEqual(r.status, 0, 'rendered without any password');
    assert.match(r.stderr, /set (POSTGRES_PASSWORD|ODOO_MASTER_PASSWORD|ODOO_ADMIN_PASSWORD|RABBITMQ_PASSWORD) in \.env/);
  });

  it('documents every variable it uses in the README, and .env.example names every required one', () => {
    const used = new Set([...COMPOSE_TEXT.replace(/\$\$/g, '').matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string));
    const section = README.slice(README.indexOf('## Run the whole stack with Docker'));
    const docker = section.slice(0, section.indexOf('\n## ', 3));
    assert.ok(docker.length > 100, 'README has no "## Run the whole stack with Docker" section');
    for (const v of used) assert.match(docker, new RegExp(`^\\| \`${v}\` \\|`, 'm'), `${v} is used by docker-compose.yml but not in the README's Docker variables table`);
    const example = readFileSync(join(ROOT, '.env.example'), 'utf8');
    const required = new Set([...COMPOSE_TEXT.matchAll(/\$\{([A-Z][A-Z0-9_]*):\?/g)].map((m) => m[1] as string));
    assert.deepEqual([...required].sort(), Object.keys(REQUIRED).sort(), 'the required variables changed: update REQUIRED here');
    for (const v of required) assert.match(example, new RegExp(`^${v}=$`, 'm'), `.env.example does not ask for ${v}`);
    for (const m of example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)) assert.ok(used.has(m[1] as string), `.env.example sets ${m[1]}, which docker-compose.yml does not use`);
  });

  it('publishes every port on 127.0.0.1 unless BIND_ADDRESS opts out', () => {
    const all = Object.entries({ ...demo.services, ...monitoring.services }).flatMap(([name, s]) => hostIps(s).map((ip) => `${name} ${ip}`));
    assert.ok(all.length >= 5, all.join(', '));
    for (const p of all) assert.match(p, / 127\.0\.0\.1$/);
    assert.deepEqual(hostIps(opted.services.sidecar as Service), ['0.0.0.0', '0.0.0.0', '0.0.0.0']);
  });

  it('runs Odoo from ODOO_IMAGE (odoo:18 unless set), without --proxy-mode, with a master password', () => {
    for (const name of ['odoo-init', 'odoo']) assert.equal(plain.services[name]?.image, 'odoo:18');
    for (const name of ['odoo-init', 'odoo']) assert.equal(opted.services[name]?.image, 'odoo:19');
    assert.ok(!argv(plain.services.odoo?.command).includes('--proxy-mode'));
    const init = plain.services['odoo-init']?.environment ?? {};
    assert.equal(init.ODOO_MASTER_PASSWORD, REQUIRED.ODOO_MASTER_PASSWORD);
    assert.equal(init.ODOO_PROXY_MODE, 'False');
    assert.match(INIT_SCRIPT, /admin_passwd = %s\\nproxy_mode = %s/);
    assert.equal(plain.services.odoo?.environment?.ODOO_RC, init.ODOO_RC, 'odoo must read the configuration odoo-init writes');
  });

  it('gives every secret file a service reads to that service\'s user, through a volume its writer prepares', () => {
    let checked = 0;
    for (const [name, s] of Object.entries(demo.services)) {
      for (const [variable, value] of Object.entries(s.environment ?? {})) {
        if (!variable.endsWith('_FILE') || !value) continue;
        const mount = mounts(s).find((m) => value.startsWith(`${m.target}/`));
        assert.ok(mount, `${name}: ${variable}=${value} is on no mount`);
        assert.equal(mount.type, 'volume', `${name}: ${variable} comes from a bind mount, owned by whoever is on the host`);
        assert.ok(mount.readOnly, `${name}: secrets volume ${mount.source} should be read-only for a reader`);
        const writers = Object.entries(demo.services).filter(([, w]) => mounts(w).some((m) => m.source === mount.source && !m.readOnly));
        assert.equal(writers.length, 1, `${mount.source}: one writer expected, got ${writers.map(([n]) => n).join(', ')}`);
        const [writerName, writer] = writers[0] as [string, Service];
        const target = mounts(writer).find((m) => m.source === mount.source)?.target;
        const file = posix.relative(mount.target, value);
        assert.equal(target, '/run/bridge', `${writerName} mounts ${mount.source} where deploy/odoo-init.sh does not write`);
        assert.ok(INIT_SCRIPT.includes(`"$SECRETS/${file}"`), `deploy/odoo-init.sh does not write ${file}`);
        const gid = writer.environment?.LB_SECRETS_GID;
        assert.ok(s.user, `${name} runs as the image's user; name it (uid:gid) so the writer can know it`);
        assert.equal(s.user.split(':')[1], gid, `${name} runs as ${s.user}; ${writerName} writes ${file} for gid ${gid}`);
        checked += 1;
      }
    }
    assert.ok(checked >= 5, `only ${checked} secret files checked`); // key + tokens for the sidecar, tokens for three simulators
    assert.match(DOCKERFILE, /^USER node$/m);
    assert.match(DOCKERFILE, /^ARG NODE_IMAGE=node:(22|24)-bookworm-slim$/m, 'the node image (uid/gid 1000 for `node`)');
  });

  it('gives the sidecar a configuration its loader accepts, with the broker password arriving as written', () => {
    const env = Object.fromEntries(Object.entries(plain.services.sidecar?.environment ?? {}).map(([k, v]) => [k, v ?? '']));
    const tokens = readFileSync(join(ROOT, 'deploy/gateway-tokens.example.json'), 'utf8');
    const cfg = loadConfig(env, (path) => (path.endsWith('gateway-tokens.json') ? tokens : 'key-written-by-odoo-init'));
    assert.equal(cfg.odoo.url, 'http://odoo:8069');
    assert.equal(cfg.odoo.secret, 'key-written-by-odoo-init');
    const url = new URL(cfg.amqp.url);
    // amqplib (lib/connect.js) `unescape`s the user and password of a URL string.
    assert.deepEqual([unescape(url.username), unescape(url.password), url.host], ['bridge', REQUIRED.RABBITMQ_PASSWORD, 'rabbitmq:5672']);
    assert.equal(plain.services.rabbitmq?.environment?.RABBITMQ_DEFAULT_PASS, REQUIRED.RABBITMQ_PASSWORD);
    assert.equal(cfg.partners, undefined, 'the partner doors stay off until PARTNERS_FILE is set');
  });

  it('publishes the partner door on the port the sidecar listens on once partners are configured', () => {
    const env = Object.fromEntries(Object.entries(plain.services.sidecar?.environment ?? {}).map(([k, v]) => [k, v ?? '']));
    const partners = JSON.stringify({ 'wms-1': { scheme: 'bearer', secret_file: '/run/partners/wms-1' } });
    const cfg = loadConfig({ ...env, PARTNERS_FILE: '/run/partners/partners.json' }, (path) =>
      path.endsWith('partners.json') ? partners : path.endsWith('gateway-tokens.json') ? readFileSync(join(ROOT, 'deploy/gateway-tokens.example.json'), 'utf8') : 'a-secret-of-at-least-16-chars',
    );
    const port = Number(cfg.partners?.listen.split(':').pop());
    const published = (plain.services.sidecar?.ports ?? []).map((p) => (typeof p === 'string' ? Number.parseInt(p.split(':').pop() ?? '', 10) : Number(p.target)));
    assert.ok(published.includes(port), `the sidecar publishes ${published.join(', ')}, the partner door listens on ${port}`);
  });

  it('builds the sidecar image once; the demo simulators run that image and restart for ever', () => {
    const built = Object.entries(demo.services).filter(([, s]) => s.build !== undefined).map(([n]) => n);
    assert.deepEqual(built, ['sidecar']);
    assert.equal(demo.services.sidecar?.image, SIDECAR_IMAGE);
    const profile = Object.entries(demo.services).filter(([, s]) => s.profiles?.includes('demo'));
    assert.deepEqual(profile.map(([n]) => n).sort(), ['demo', 'sim-barcode', 'sim-robots', 'sim-sorter']);
    const sims = profile.filter(([n]) => n.startsWith('sim-'));
    for (const [name, s] of sims) {
      assert.equal(s.image, SIDECAR_IMAGE, name);
      assert.equal((s as { restart?: string }).restart, 'unless-stopped', name);
      // v2 renders `disable: true`, v1 its meaning, test ["NONE"].
      assert.ok(s.healthcheck?.disable === true || s.healthcheck?.test?.[0] === 'NONE', `${name} inherits the sidecar's HEALTHCHECK and would be "unhealthy"`);
    }
    if (tool.v2) assert.ok(!('sim-barcode' in plain.services), 'the simulators run only with --profile demo');
  });

  it('has healthchecks that exist in their images (the slim node image has no curl)', () => {
    assert.equal(plain.services.sidecar?.healthcheck?.test?.[1], 'node');
    assert.match(DOCKERFILE, /HEALTHCHECK[^\n]*\n\s+CMD node /);
  });

  it("runs command lines that the images' entrypoints and programs accept", function () {
    const { trees, options } = odooOptions();
    // odoo: `odoo -d ... --db-filter=...` through the odoo image's entrypoint.
    const odoo = odooEntrypoint(argv(plain.services.odoo?.command).map(literal));
    assert.ok(odoo.odoo, 'the odoo service does not run Odoo through the entrypoint');
    assert.ok(plain.services.odoo?.entrypoint === undefined);
    // odoo-init: bash on deploy/odoo-init.sh, mounted from ./deploy; its Odoo runs go through the entrypoint.
    const init = plain.services['odoo-init'] as Service;
    assert.deepEqual(argv(init.entrypoint), ['/bin/bash', '/mnt/deploy/odoo-init.sh']);
    assert.ok(mounts(init).some((m) => m.type === 'bind' && m.source === join(ROOT, 'deploy') && m.target === '/mnt/deploy'));
    assert.equal(spawnSync('bash', ['-n', join(ROOT, 'deploy/odoo-init.sh')]).status, 0);
    const initOdooArgs = [...INIT_SCRIPT.matchAll(/\/entrypoint\.sh odoo (.*)$|odoo_run (.*)$/gm)].flatMap((m) => (m[1] ?? m[2] ?? '').split(/\s+/));
    assert.ok(initOdooArgs.includes('-u') && initOdooArgs.includes('-i') && initOdooArgs.includes('shell'));
    if (trees.length === 0) {
      saySkipped('compose check of Odoo options: no Odoo source tree (ODOO_SRC, /opt/odoo-src) to read the option parser from');
    } else {
      for (const o of [...optionNames(odoo.args), ...optionNames(initOdooArgs)]) assert.ok(options.has(o), `Odoo (${trees.join(', ')}) has no option ${o}`);
    }
    for (const name of ['postgres', 'rabbitmq']) {
      assert.equal(plain.services[name]?.command, undefined, `${name}: command overridden`);
      assert.equal(plain.services[name]?.entrypoint, undefined, `${name}: entrypoint overridden`);
    }

    // The sidecar image: its CMD, the operator CLI on PATH, and the simulators' command.
    const commands = imageCommands();
    assert.ok(DOCKERFILE.includes('CMD ["node", "dist/sidecar/src/main.js"]') && existsSync(join(ROOT, 'sidecar/src/main.ts')));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; engines: { node: string } };
    assert.equal(commands.get('logistics-bridge'), pkg.bin['logistics-bridge']);
    const cli = spawnSync(process.execPath, [join(ROOT, pkg.bin['logistics-bridge'] as string), 'help'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /status/);
    assert.match(pkg.engines.node, /\^22\b.*\^24\b/, 'engines.node names the maintained LTS lines the image runs');

    const tokensDir = mkdtempSync(join(tmpdir(), 'lb-sim-'));
    try {
      const tokensFile = join(tokensDir, 'gateway-tokens.json');
      writeFileSync(tokensFile, readFileSync(join(ROOT, 'deploy/gateway-tokens.example.json')));
      for (const [name, s] of Object.entries(demo.services).filter(([n, x]) => n.startsWith('sim-') && x.profiles?.includes('demo'))) {
        const [program, ...args] = argv(s.command);
        // docker-node's entrypoint execs a first argument that is a command of the image as it is.
        assert.ok(program && commands.has(program), `${name}: ${program} is not a command of the sidecar image`);
        const script = join(ROOT, commands.get(program) as string);
        // One dry run through the real script and the simulator CLI: the arguments parse, the token is found.
        // (A shorter scenario than the script's hour: later flags win, and the dry run prints every update.)
        const run = spawnSync('sh', [script, ...args, '--duration', '60', '--dry-run'], {
          cwd: ROOT,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          env: { PATH: process.env.PATH, GATEWAY_TOKENS_FILE: tokensFile, SIMULATOR_CLI: join(ROOT, 'adapters/simulators/cli.ts'), NODE_OPTIONS: '--import tsx', SIMULATOR_RUNS: '1' },
        });
        assert.equal(run.status, 0, `${name}: ${run.stderr}`);
        assert.match(run.stdout.trim().split('\n').at(-1) ?? '', new RegExp(`"adapter_id":"${args[1]}"`));
      }
    } finally {
      rmSync(tokensDir, { recursive: true, force: true });
    }
  });

  it("runs the demo's driver from the image's build, against the sidecar and Odoo of the stack, with arguments it accepts", () => {
    const d = demo.services.demo as Service;
    assert.ok(d, 'profile demo has no demo service');
    if (tool.v2) assert.ok(!('demo' in plain.services), 'the demo runs only with --profile demo');
    assert.equal(d.image, SIDECAR_IMAGE);
    assert.equal((d as { restart?: string }).restart, 'no', 'a finished demo must not start streaming again by itself');
    assert.ok(d.healthcheck?.disable === true || d.healthcheck?.test?.[0] === 'NONE', "the demo inherits the sidecar's HEALTHCHECK");
    // dist/tools/demo/main.js is the tsc output of tools/demo/main.ts: built into the image.
    const [node, entry] = argv(d.entrypoint);
    assert.equal(node, 'node');
    assert.equal(entry, 'dist/tools/demo/main.js');
    assert.ok(existsSync(join(ROOT, 'tools/demo/main.ts')));
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    for (const dir of ['tools/demo', 'tools/fixtures']) {
      assert.ok(build.include.includes(`${dir}/**/*.ts`), `tsconfig.build.json does not compile ${dir}`);
      assert.match(DOCKERFILE, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `the image's build stage does not copy ${dir}`);
    }
    assert.match(DOCKERFILE, /^COPY --from=build \/app\/packages\/adapter-sdk\/dist /m, 'the demo and the simulators need the SDK in the image');
    const env = d.environment ?? {};
    const sidecarEnv = plain.services.sidecar?.environment ?? {};
    assert.equal(env.DEMO_SIDECAR_URL, `http://sidecar:${String(sidecarEnv.HTTP_LISTEN).split(':').at(-1)}`);
    assert.equal(env.DEMO_GATEWAY_ADDRESS, `sidecar:${String(sidecarEnv.GRPC_LISTEN).split(':').at(-1)}`);
    assert.equal(env.ODOO_URL, sidecarEnv.ODOO_URL);
    assert.equal(env.ODOO_ADMIN_PASSWORD, REQUIRED.ODOO_ADMIN_PASSWORD);
    assert.equal(env.GATEWAY_TOKENS_FILE, sidecarEnv.GATEWAY_TOKENS_FILE, 'the stray scanner connects with the tokens the sidecar checks');
    // Its arguments and variables parse (exit 2 is a usage or configuration error); it then fails to reach Odoo (exit 1).
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/demo/main.ts'), ...argv(d.command)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v ?? ''])), ODOO_URL: 'http://127.0.0.1:9' },
    });
    assert.equal(run.status, 1, `demo: ${run.stderr}`);
    assert.match(run.stderr, /demo: .*(ECONNREFUSED|connect)/i);
  });

  it('runs Prometheus and Grafana with profile monitoring: flags Prometheus knows, every file it and Grafana read mounted from deploy/', function () {
    if (tool.v2) assert.ok(!('prometheus' in plain.services) && !('grafana' in plain.services), 'monitoring runs only with --profile monitoring');
    const prom = monitoring.services.prometheus as Service;
    const grafana = monitoring.services.grafana as Service;
    assert.ok(prom && grafana, 'profile monitoring has no prometheus and grafana services');
    assert.deepEqual(prom.profiles, ['monitoring']);
    assert.deepEqual(grafana.profiles, ['monitoring']);
    /** The host file behind a path inside the container, through the service's bind mounts. */
    const hostPath = (s: Service, inside: string): string | undefined => {
      for (const m of mounts(s)) {
        if (m.type !== 'bind') continue;
        if (inside === m.target) return m.source;
        if (inside.startsWith(`${m.target}/`)) return join(m.source, inside.slice(m.target.length + 1));
      }
      return undefined;
    };
    // prom/prometheus's entrypoint is /bin/prometheus: the command is its flags.
    const flags = argv(prom.command);
    const known = spawnSync('prometheus', ['--help'], { encoding: 'utf8' });
    if (known.error) saySkipped('compose check of Prometheus flags: no prometheus binary (apt-get install prometheus)');
    for (const f of flags) {
      assert.match(f, /^--[a-z.-]+=/, `prometheus: ${f} is not a --flag=value`);
      if (!known.error) assert.ok(`${known.stdout}${known.stderr}`.includes(`${f.split('=')[0]}=`), `Prometheus ${'2.x'} has no flag ${f.split('=')[0]}`);
    }
    const configInside = flags.find((f) => f.startsWith('--config.file='))?.split('=')[1] as string;
    const config = hostPath(prom, configInside);
    assert.ok(config && existsSync(config), `prometheus reads ${configInside}, which no bind mount of deploy/ provides`);
    const configText = readFileSync(config, 'utf8');
    const rules = [...configText.matchAll(/^ {2}- (\/\S+\.yml)$/gm)].map((m) => m[1] as string);
    assert.ok(rules.length > 0, 'prometheus.yml loads no rule file');
    for (const r of rules) assert.ok(existsSync(hostPath(prom, r) ?? '/nonexistent'), `rule file ${r} is not mounted`);
    // It scrapes the sidecar where the sidecar serves /metrics (HTTP_LISTEN's port, on the compose network).
    const port = String(plain.services.sidecar?.environment?.HTTP_LISTEN).split(':').at(-1);
    assert.match(configText, new RegExp(`targets: \\["sidecar:${port}"\\]`));
    const dataDir = flags.find((f) => f.startsWith('--storage.tsdb.path='))?.split('=')[1];
    assert.ok(mounts(prom).some((m) => m.type === 'volume' && m.target === dataDir), 'Prometheus keeps its data in a volume');

    // Grafana: the image's own command; provisioning read from /etc/grafana/provisioning.
    assert.equal(grafana.command, undefined);
    const provisioning = hostPath(grafana, '/etc/grafana/provisioning') as string;
    assert.ok(provisioning && existsSync(join(provisioning, 'datasources')) && existsSync(join(provisioning, 'dashboards')));
    const datasource = readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8');
    const listen = flags.find((f) => f.startsWith('--web.listen-address='))?.split(':').at(-1);
    assert.match(datasource, new RegExp(`url: http://prometheus:${listen}$`, 'm'), 'Grafana looks for Prometheus elsewhere');
    const provider = readFileSync(join(provisioning, 'dashboards/logistics-bridge.yml'), 'utf8');
    const dashDir = /path: (\S+)/.exec(provider)?.[1] as string;
    const home = grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    for (const inside of [dashDir, home]) assert.ok(existsSync(hostPath(grafana, inside) ?? '/nonexistent'), `Grafana reads ${inside}, which is not mounted`);
    const dashboard = JSON.parse(readFileSync(hostPath(grafana, home) as string, 'utf8')) as { panels: { datasource?: { uid: string } }[] };
    const uid = /uid: (\S+)/.exec(datasource)?.[1];
    for (const p of dashboard.panels) if (p.datasource) assert.equal(p.datasource.uid, uid, 'a panel names another data source');
  });
});
